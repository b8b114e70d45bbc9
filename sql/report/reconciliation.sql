-- reconciliation: raw = bronze + rejected + replaced, per raw table, for the records that had arrived by the analysis
--   month (replaced: a valid row that a later delivery brought again in a newer state).
-- Grain: one row per raw table.
-- Inputs: bronze_db.stg_<tabla> (one row per raw row; reemplazada), bronze_db.bronze_<tabla>,
--   bronze_db.bronze_rechazos.
-- Parameters: :period ('YYYY-MM'). A record counts when the month it refers to (reading, inspection, pliego,
--   connection, installation, start of the assignment, customer's start date, interval, event) is :period or
--   earlier; sectors (undated) and records whose date cannot be read count in every edition, as
--   bronze_rechazos.mes_registro does.
--   The rule is written for the staging tables (one row per raw row) and again for the published BRONZE tables:
--   counting both is what makes cuadra a check rather than an identity.
with

recibidas as (
    select 'sector' as tabla, cast(null as varchar) as mes from bronze_db.stg_sector
    union all select 'tarifa', anio_mes from bronze_db.stg_tarifa
    union all select 'cliente', date_format(fecha_alta, '%Y-%m') from bronze_db.stg_cliente
    union all select 'suministro', date_format(fecha_conexion, '%Y-%m') from bronze_db.stg_suministro
    union all select 'medidor', date_format(fecha_instalacion, '%Y-%m') from bronze_db.stg_medidor
    union all select 'asignacion_tarifa', date_format(fecha_inicio, '%Y-%m') from bronze_db.stg_asignacion_tarifa
    union all select 'acumulado', anio_mes from bronze_db.stg_acumulado
    union all select 'inspeccion', date_format(fecha_inspeccion, '%Y-%m') from bronze_db.stg_inspeccion
    union all select 'lectura_intervalo', anio_mes from bronze_db.stg_lectura_intervalo
    union all select 'evento_medidor', date_format(fecha_hora, '%Y-%m') from bronze_db.stg_evento_medidor
),

validas as (
    select 'sector' as tabla, cast(null as varchar) as mes from bronze_db.bronze_sector
    union all select 'tarifa', anio_mes from bronze_db.bronze_tarifa
    union all select 'cliente', date_format(fecha_alta, '%Y-%m') from bronze_db.bronze_cliente
    union all select 'suministro', date_format(fecha_conexion, '%Y-%m') from bronze_db.bronze_suministro
    union all select 'medidor', date_format(fecha_instalacion, '%Y-%m') from bronze_db.bronze_medidor
    union all select 'asignacion_tarifa', date_format(fecha_inicio, '%Y-%m') from bronze_db.bronze_asignacion_tarifa
    union all select 'acumulado', anio_mes from bronze_db.bronze_acumulado
    union all select 'inspeccion', date_format(fecha_inspeccion, '%Y-%m') from bronze_db.bronze_inspeccion
    union all select 'lectura_intervalo', anio_mes from bronze_db.bronze_lectura_intervalo
    union all select 'evento_medidor', anio_mes from bronze_db.bronze_evento_medidor
),

reemplazadas as (
    select 'sector' as tabla, cast(null as varchar) as mes from bronze_db.stg_sector where reemplazada
    union all select 'tarifa', anio_mes from bronze_db.stg_tarifa where reemplazada
    union all select 'cliente', date_format(fecha_alta, '%Y-%m') from bronze_db.stg_cliente where reemplazada
    union all select 'suministro', date_format(fecha_conexion, '%Y-%m') from bronze_db.stg_suministro where reemplazada
    union all select 'medidor', date_format(fecha_instalacion, '%Y-%m') from bronze_db.stg_medidor where reemplazada
    union all select 'asignacion_tarifa', date_format(fecha_inicio, '%Y-%m')
    from bronze_db.stg_asignacion_tarifa where reemplazada
    union all select 'inspeccion', date_format(fecha_inspeccion, '%Y-%m') from bronze_db.stg_inspeccion where reemplazada
    union all select 'evento_medidor', date_format(fecha_hora, '%Y-%m') from bronze_db.stg_evento_medidor where reemplazada
),

registros as (
    select tabla, 'raw' as capa, mes from recibidas
    union all select tabla, 'bronze' as capa, mes from validas
    union all select tabla, 'rechazo' as capa, mes_registro as mes from bronze_db.bronze_rechazos
    union all select tabla, 'reemplazada' as capa, mes from reemplazadas
),

-- every raw table, so one whose records all came after :period (the smart meters' before their first month) shows 0
tablas as (
    select tabla
    from (values ('sector'), ('tarifa'), ('cliente'), ('suministro'), ('medidor'), ('asignacion_tarifa'),
        ('acumulado'), ('inspeccion'), ('lectura_intervalo'), ('evento_medidor')) as t (tabla)
),

conteos as (
    select
        tabla,
        count_if(capa = 'raw') as filas_raw,
        count_if(capa = 'bronze') as filas_bronze,
        count_if(capa = 'rechazo') as filas_rechazadas,
        count_if(capa = 'reemplazada') as filas_reemplazadas
    from registros
    where mes is null or mes <= :period
    group by tabla
)

select
    t.tabla,
    coalesce(c.filas_raw, 0) as filas_raw,
    coalesce(c.filas_bronze, 0) as filas_bronze,
    coalesce(c.filas_rechazadas, 0) as filas_rechazadas,
    coalesce(c.filas_reemplazadas, 0) as filas_reemplazadas,
    coalesce(c.filas_raw = c.filas_bronze + c.filas_rechazadas + c.filas_reemplazadas, true) as cuadra
from tablas as t
left join conteos as c on t.tabla = c.tabla
order by t.tabla
