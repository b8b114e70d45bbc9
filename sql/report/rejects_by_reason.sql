-- rejects_by_reason: rejected raw rows per table and reason, most frequent first.
-- Grain: one row per (tabla, motivo).
-- Input: bronze_db.bronze_rechazos. Parameters: none.
select
    tabla,
    motivo,
    count(*) as filas
from bronze_db.bronze_rechazos
group by tabla, motivo
order by filas desc, tabla, motivo
