-- bronze_cliente: the valid, typed and de-duplicated rows of raw_db.cliente.
-- Build: table
-- Grain: one row per cliente key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_cliente. Parameters: none.
select
    id_cliente, tipo_documento, numero_documento, nombre, tipo_cliente, fecha_alta
from bronze_db.stg_cliente
where motivo is null
    and not reemplazada
