-- stg_cliente: every raw customer row, typed and validated, with its state across deliveries.
-- Build: table
-- Grain: one row per row of raw_db.cliente; valid rows have motivo null, the others carry the reject reason.
-- Inputs: bronze_db.stg_cliente_tipado (every delivery's rows with their verdicts). Parameters: none.
-- Deliveries: a key's valid row of its latest delivery is current, its valid rows of earlier deliveries are
--   reemplazada (superseded by a newer state, not rejected).
select
    id_cliente, tipo_documento, numero_documento, nombre, tipo_cliente, fecha_alta,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_cliente)
        as reemplazada
from bronze_db.stg_cliente_tipado
