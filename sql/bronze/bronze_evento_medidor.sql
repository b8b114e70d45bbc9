-- bronze_evento_medidor: the valid, typed and de-duplicated rows of raw_db.evento_medidor.
-- Build: table
-- Grain: one row per evento key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_evento_medidor. Parameters: none.
select
    id_evento, id_medidor, fecha_hora, codigo_evento, date_format(fecha_hora, '%Y-%m') as anio_mes
from bronze_db.stg_evento_medidor
where motivo is null
    and not reemplazada
