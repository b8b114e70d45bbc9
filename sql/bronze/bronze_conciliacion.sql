-- bronze_conciliacion: reconciliation of RAW against BRONZE, one line per raw table.
-- Build: table
-- Grain: one row per raw table. Inputs: raw_db.<tabla>, bronze_db.bronze_<tabla>, bronze_db.stg_<tabla> (and
--   bronze_db.stg_acumulado_duplicado).
-- Parameters: none. cuadra is true when raw rows = bronze rows + rejected rows (nothing lost or duplicated).
with conteos as (
select
    'sector' as tabla,
    (select count(*) from raw_db.sector) as filas_raw,
    (select count(*) from bronze_db.bronze_sector) as filas_bronze,
    (select count(*) from bronze_db.stg_sector where motivo is not null) as filas_rechazadas

union all

select
    'tarifa' as tabla,
    (select count(*) from raw_db.tarifa) as filas_raw,
    (select count(*) from bronze_db.bronze_tarifa) as filas_bronze,
    (select count(*) from bronze_db.stg_tarifa where motivo is not null) as filas_rechazadas

union all

select
    'cliente' as tabla,
    (select count(*) from raw_db.cliente) as filas_raw,
    (select count(*) from bronze_db.bronze_cliente) as filas_bronze,
    (select count(*) from bronze_db.stg_cliente where motivo is not null) as filas_rechazadas

union all

select
    'suministro' as tabla,
    (select count(*) from raw_db.suministro) as filas_raw,
    (select count(*) from bronze_db.bronze_suministro) as filas_bronze,
    (select count(*) from bronze_db.stg_suministro where motivo is not null) as filas_rechazadas

union all

select
    'medidor' as tabla,
    (select count(*) from raw_db.medidor) as filas_raw,
    (select count(*) from bronze_db.bronze_medidor) as filas_bronze,
    (select count(*) from bronze_db.stg_medidor where motivo is not null) as filas_rechazadas

union all

select
    'asignacion_tarifa' as tabla,
    (select count(*) from raw_db.asignacion_tarifa) as filas_raw,
    (select count(*) from bronze_db.bronze_asignacion_tarifa) as filas_bronze,
    (select count(*) from bronze_db.stg_asignacion_tarifa where motivo is not null) as filas_rechazadas

union all

select
    'acumulado' as tabla,
    (select count(*) from raw_db.acumulado) as filas_raw,
    (select count(*) from bronze_db.bronze_acumulado) as filas_bronze,
    (select count(*) from bronze_db.stg_acumulado where motivo is not null and not clave_repetida)
        + (select count(*) from bronze_db.stg_acumulado_duplicado where motivo is not null) as filas_rechazadas

union all

select
    'inspeccion' as tabla,
    (select count(*) from raw_db.inspeccion) as filas_raw,
    (select count(*) from bronze_db.bronze_inspeccion) as filas_bronze,
    (select count(*) from bronze_db.stg_inspeccion where motivo is not null) as filas_rechazadas
)

select
    tabla,
    filas_raw,
    filas_bronze,
    filas_rechazadas,
    filas_raw = filas_bronze + filas_rechazadas as cuadra
from conteos
