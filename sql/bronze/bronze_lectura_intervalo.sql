-- bronze_lectura_intervalo (view): the valid, typed and de-duplicated 15-minute intervals of raw_db.lectura_intervalo.
-- Build: view
-- Grain: one row per smart meter and interval (id_medidor, fecha_hora). Inputs: bronze_db.stg_lectura_intervalo.
--   Parameters: none.
-- A view over the staging table (its rows without a reject reason), not a copy: the intervals are the lake's
-- largest table and the staging files already hold them typed and checked.
-- anio_mes is the delivery: a valid interval's month is its delivery's (stg_lectura_intervalo's rule), and a filter on
-- the partition column reads only those partitions.
select
    id_medidor, fecha_hora, desfase_segundos, energia_kwh, energia_reactiva_kvarh, calidad, entrega as anio_mes
from bronze_db.stg_lectura_intervalo
where motivo is null
