-- bronze_conciliacion: reconciliation of RAW against BRONZE, one line per raw table.
-- Build: table
-- Grain: one row per raw table. Inputs: bronze_db.bronze_<tabla>, bronze_db.stg_<tabla> (and
--   bronze_db.stg_acumulado_duplicado). Parameters: none.
-- filas_raw counts the staging rows, one per raw record by construction; the pipeline checks that they equal the
-- records the RAW files hold (lds_utils.lake.rawcheck counts them with its own parser), so no row is lost or
-- invented by the reader. filas_reemplazadas are valid rows of a key that a later delivery brought again in a newer
-- state (readings and intervals are never replaced). cuadra is true when raw rows = bronze rows + rejected rows +
-- replaced rows (nothing lost or duplicated).
with conteos as (
select
    'sector' as tabla,
    (select count(*) from bronze_db.stg_sector) as filas_raw,
    (select count(*) from bronze_db.bronze_sector) as filas_bronze,
    (select count(*) from bronze_db.stg_sector where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_sector where reemplazada) as filas_reemplazadas

union all

select
    'tarifa' as tabla,
    (select count(*) from bronze_db.stg_tarifa) as filas_raw,
    (select count(*) from bronze_db.bronze_tarifa) as filas_bronze,
    (select count(*) from bronze_db.stg_tarifa where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_tarifa where reemplazada) as filas_reemplazadas

union all

select
    'cliente' as tabla,
    (select count(*) from bronze_db.stg_cliente) as filas_raw,
    (select count(*) from bronze_db.bronze_cliente) as filas_bronze,
    (select count(*) from bronze_db.stg_cliente where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_cliente where reemplazada) as filas_reemplazadas

union all

select
    'suministro' as tabla,
    (select count(*) from bronze_db.stg_suministro) as filas_raw,
    (select count(*) from bronze_db.bronze_suministro) as filas_bronze,
    (select count(*) from bronze_db.stg_suministro where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_suministro where reemplazada) as filas_reemplazadas

union all

select
    'medidor' as tabla,
    (select count(*) from bronze_db.stg_medidor) as filas_raw,
    (select count(*) from bronze_db.bronze_medidor) as filas_bronze,
    (select count(*) from bronze_db.stg_medidor where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_medidor where reemplazada) as filas_reemplazadas

union all

select
    'asignacion_tarifa' as tabla,
    (select count(*) from bronze_db.stg_asignacion_tarifa) as filas_raw,
    (select count(*) from bronze_db.bronze_asignacion_tarifa) as filas_bronze,
    (select count(*) from bronze_db.stg_asignacion_tarifa where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_asignacion_tarifa where reemplazada) as filas_reemplazadas

union all

select
    'acumulado' as tabla,
    (select count(*) from bronze_db.stg_acumulado) as filas_raw,
    (select count(*) from bronze_db.bronze_acumulado) as filas_bronze,
    (select count(*) from bronze_db.stg_acumulado where motivo is not null and not clave_repetida)
        + (select count(*) from bronze_db.stg_acumulado_duplicado where motivo is not null) as filas_rechazadas,
    0 as filas_reemplazadas

union all

select
    'inspeccion' as tabla,
    (select count(*) from bronze_db.stg_inspeccion) as filas_raw,
    (select count(*) from bronze_db.bronze_inspeccion) as filas_bronze,
    (select count(*) from bronze_db.stg_inspeccion where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_inspeccion where reemplazada) as filas_reemplazadas

union all

select
    'lectura_intervalo' as tabla,
    (select count(*) from bronze_db.stg_lectura_intervalo) as filas_raw,
    (select count(*) from bronze_db.bronze_lectura_intervalo) as filas_bronze,
    (select count(*) from bronze_db.stg_lectura_intervalo where motivo is not null) as filas_rechazadas,
    0 as filas_reemplazadas

union all

select
    'evento_medidor' as tabla,
    (select count(*) from bronze_db.stg_evento_medidor) as filas_raw,
    (select count(*) from bronze_db.bronze_evento_medidor) as filas_bronze,
    (select count(*) from bronze_db.stg_evento_medidor where motivo is not null) as filas_rechazadas,
    (select count(*) from bronze_db.stg_evento_medidor where reemplazada) as filas_reemplazadas
)

select
    tabla,
    filas_raw,
    filas_bronze,
    filas_rechazadas,
    filas_reemplazadas,
    filas_raw = filas_bronze + filas_rechazadas + filas_reemplazadas as cuadra
from conteos
