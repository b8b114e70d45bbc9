-- bronze_medidor: the valid, typed and de-duplicated rows of raw_db.medidor.
-- Build: table
-- Grain: one row per medidor key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_medidor. Parameters: none.
select
    id_medidor, id_suministro, tipo_medidor, numero_digitos, factor_medidor, fecha_instalacion, fecha_retiro
from bronze_db.stg_medidor
where motivo is null
    and not reemplazada
