-- rejects_by_reason: rejected raw rows per table and reason, most frequent first, as of the analysis month.
-- Grain: one row per (tabla, motivo).
-- Input: bronze_db.bronze_rechazos. Parameters: :period ('YYYY-MM'): rows whose mes_registro is later are left
--   out (undated rows count in every edition).
select
    tabla,
    motivo,
    count(*) as filas
from bronze_db.bronze_rechazos
where mes_registro is null or mes_registro <= :period
group by tabla, motivo
order by filas desc, tabla, motivo
