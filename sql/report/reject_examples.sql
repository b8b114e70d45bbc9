-- reject_examples: one rejected raw record per table and reason, from the tables without personal data, as of
--   the analysis month.
-- Grain: one row per (tabla, motivo) of a table whose raw records may be shown.
-- Input: bronze_db.bronze_rechazos. Parameters: :personal_tables = the raw tables holding personal data,
--   comma-separated (from lds_utils.schema): their rejected records are never read out; :period ('YYYY-MM'): rows
--   whose mes_registro is later are left out.
select
    tabla,
    motivo,
    min(registro) as registro
from bronze_db.bronze_rechazos
where not contains(split(:personal_tables, ','), tabla)
    and (mes_registro is null or mes_registro <= :period)
group by tabla, motivo
order by tabla, motivo
