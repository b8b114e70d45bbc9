-- bronze_inspeccion: the valid, typed and de-duplicated rows of raw_db.inspeccion.
-- Build: table
-- Grain: one row per inspeccion key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_inspeccion. Parameters: none.
select
    id_inspeccion, id_suministro, fecha_inspeccion, motivo_inspeccion, resultado
from bronze_db.stg_inspeccion
where motivo is null
    and not reemplazada
