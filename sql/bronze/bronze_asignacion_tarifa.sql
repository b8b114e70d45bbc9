-- bronze_asignacion_tarifa: the valid, typed and de-duplicated rows of raw_db.asignacion_tarifa.
-- Build: table
-- Grain: one row per asignacion_tarifa key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_asignacion_tarifa. Parameters: none.
select
    id_asignacion, id_suministro, opcion_tarifaria, fecha_inicio, fecha_fin
from bronze_db.stg_asignacion_tarifa
where motivo is null
    and not reemplazada
