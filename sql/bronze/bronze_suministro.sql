-- bronze_suministro: the valid, typed and de-duplicated rows of raw_db.suministro.
-- Build: table
-- Grain: one row per suministro key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_suministro. Parameters: none.
select
    id_suministro, id_cliente, id_sector, nivel_tension, potencia_contratada_kw, fecha_conexion, fecha_baja
from bronze_db.stg_suministro
where motivo is null
    and not reemplazada
