-- bronze_tarifa: the valid, typed and de-duplicated rows of raw_db.tarifa.
-- Build: table
-- Grain: one row per tarifa key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_tarifa. Parameters: none.
select
    id_tarifa, opcion_tarifaria, nivel_tension, vigencia_desde, cargo_fijo, cargo_energia, cargo_energia_hp,
    cargo_energia_hfp, cargo_potencia_generacion, cargo_potencia_distribucion, anio_mes
from bronze_db.stg_tarifa
where motivo is null
    and not reemplazada
