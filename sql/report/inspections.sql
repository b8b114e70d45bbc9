-- inspections: the field inspections from :desde to :hasta, with the month they were made in and their result.
-- Grain: one row per inspection (bronze_db.bronze_inspeccion) made in a month from :desde to :hasta.
--   Only the supplies of the evaluation's sample: those whose code's number (after its first letter) is a
--   multiple of :cada (1: all; a code without a number counts as 0).
-- Input: bronze_db.bronze_inspeccion. Parameters: :desde, :hasta ('YYYY-MM'), :cada (a positive integer).
select
    id_suministro,
    substr(cast(fecha_inspeccion as varchar), 1, 7) as mes_inspeccion,
    motivo_inspeccion,
    resultado
from bronze_db.bronze_inspeccion
where substr(cast(fecha_inspeccion as varchar), 1, 7) between :desde and :hasta
    and mod(coalesce(try_cast(substr(id_suministro, 2) as bigint), 0), :cada) = 0
order by id_inspeccion
