-- bronze_acumulado (view): the valid, typed and de-duplicated rows of raw_db.acumulado.
-- Build: view
-- Grain: one row per acumulado key. Inputs: bronze_db.stg_acumulado (rows with a key of their own),
--   bronze_db.stg_acumulado_duplicado (the rows of a repeated key, decided). Parameters: none.
-- A view over the staging tables, not a copy: the staging files already hold every reading typed and checked,
-- and copying the valid ones wrote 61 M rows a second time at full scale (lds_utils.pipeline.BRONZE_VIEWS).
select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error, anio_mes
from bronze_db.stg_acumulado
where motivo is null
    and not clave_repetida

union all

select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error, anio_mes
from bronze_db.stg_acumulado_duplicado
where motivo is null
