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
-- Each table is counted per month where it is read (group by 2: the month), so the union carries a few hundred counts
--   instead of one row per record (at 1.3 M customers the readings alone are 75 M records in each layer).
with

-- One scan of each staging table counts its raw rows and, among them, the replaced ones (readings and intervals have
-- no replaced rows: a reading's key delivered again is rejected, an interval belongs to its month's delivery).
recibidas as (
    select 'sector' as tabla, cast(null as varchar) as mes, count(*) as filas, count_if(reemplazada) as reemplazadas
    from bronze_db.stg_sector group by 2
    union all select 'tarifa', anio_mes, count(*), count_if(reemplazada) from bronze_db.stg_tarifa group by 2
    union all select 'cliente', date_format(fecha_alta, '%Y-%m'), count(*), count_if(reemplazada)
    from bronze_db.stg_cliente group by 2
    union all select 'suministro', date_format(fecha_conexion, '%Y-%m'), count(*), count_if(reemplazada)
    from bronze_db.stg_suministro group by 2
    union all select 'medidor', date_format(fecha_instalacion, '%Y-%m'), count(*), count_if(reemplazada)
    from bronze_db.stg_medidor group by 2
    union all select 'asignacion_tarifa', date_format(fecha_inicio, '%Y-%m'), count(*), count_if(reemplazada)
    from bronze_db.stg_asignacion_tarifa group by 2
    union all select 'acumulado', anio_mes, count(*), 0 from bronze_db.stg_acumulado group by 2
    union all select 'inspeccion', date_format(fecha_inspeccion, '%Y-%m'), count(*), count_if(reemplazada)
    from bronze_db.stg_inspeccion group by 2
    union all select 'lectura_intervalo', anio_mes, count(*), 0 from bronze_db.stg_lectura_intervalo group by 2
    union all select 'evento_medidor', date_format(fecha_hora, '%Y-%m'), count(*), count_if(reemplazada)
    from bronze_db.stg_evento_medidor group by 2
),

validas as (
    select 'sector' as tabla, cast(null as varchar) as mes, count(*) as filas from bronze_db.bronze_sector group by 2
    union all select 'tarifa', anio_mes, count(*) from bronze_db.bronze_tarifa group by 2
    union all select 'cliente', date_format(fecha_alta, '%Y-%m'), count(*) from bronze_db.bronze_cliente group by 2
    union all select 'suministro', date_format(fecha_conexion, '%Y-%m'), count(*)
    from bronze_db.bronze_suministro group by 2
    union all select 'medidor', date_format(fecha_instalacion, '%Y-%m'), count(*)
    from bronze_db.bronze_medidor group by 2
    union all select 'asignacion_tarifa', date_format(fecha_inicio, '%Y-%m'), count(*)
    from bronze_db.bronze_asignacion_tarifa group by 2
    union all select 'acumulado', anio_mes, count(*) from bronze_db.bronze_acumulado group by 2
    union all select 'inspeccion', date_format(fecha_inspeccion, '%Y-%m'), count(*)
    from bronze_db.bronze_inspeccion group by 2
    union all select 'lectura_intervalo', anio_mes, count(*) from bronze_db.bronze_lectura_intervalo group by 2
    union all select 'evento_medidor', anio_mes, count(*) from bronze_db.bronze_evento_medidor group by 2
),

registros as (
    select tabla, 'raw' as capa, mes, filas from recibidas
    union all select tabla, 'bronze' as capa, mes, filas from validas
    union all select tabla, 'rechazo' as capa, mes_registro as mes, count(*)
    from bronze_db.bronze_rechazos group by 1, 3
    union all select tabla, 'reemplazada' as capa, mes, reemplazadas from recibidas
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
        coalesce(cast(sum(filas) filter (where capa = 'raw') as bigint), 0) as filas_raw,
        coalesce(cast(sum(filas) filter (where capa = 'bronze') as bigint), 0) as filas_bronze,
        coalesce(cast(sum(filas) filter (where capa = 'rechazo') as bigint), 0) as filas_rechazadas,
        coalesce(cast(sum(filas) filter (where capa = 'reemplazada') as bigint), 0) as filas_reemplazadas
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
