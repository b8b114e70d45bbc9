-- inspections: the field inspections from :desde to :hasta, with the month they were made in and their result.
-- Grain: one row per inspection (bronze_db.bronze_inspeccion) made in a month from :desde to :hasta.
-- Input: bronze_db.bronze_inspeccion. Parameters: :desde, :hasta ('YYYY-MM').
select
    id_suministro,
    substr(cast(fecha_inspeccion as varchar), 1, 7) as mes_inspeccion,
    motivo_inspeccion,
    resultado
from bronze_db.bronze_inspeccion
where substr(cast(fecha_inspeccion as varchar), 1, 7) between :desde and :hasta
order by id_inspeccion
