-- bronze_rechazos: every raw record that did not reach BRONZE, with the reason.
-- Build: table
-- Grain: one row per rejected raw row. Inputs: bronze_db.stg_<tabla> for the ten raw tables (the readings of a
--   repeated key from bronze_db.stg_acumulado_duplicado). Parameters: none.
-- motivo is '<REGLA>[:<columna>]': CAMPO_VACIO, FORMATO_INVALIDO, CODIGO_INVALIDO, FUERA_DE_RANGO,
-- FECHA_INCONSISTENTE, HUERFANO (foreign key without parent), CLAVE_DUPLICADA (same key, different content),
-- FILA_DUPLICADA (extra copy of a kept row), CLAVE_YA_ENTREGADA (a reading key of an earlier delivery),
-- ASIGNACION_SUPERPUESTA. registro is the raw row as text (a customer's
-- without its name and document number: see stg_cliente).
-- mes_registro is the month the record refers to (reading, inspection, pliego, connection, installation, start of
-- the assignment, customer's start date, interval, event), so an edition counts only what had arrived by its period; null for
-- sectors (undated) and for a date that cannot be read.
select 'sector' as tabla, motivo, registro, cast(null as varchar) as mes_registro
from bronze_db.stg_sector
where motivo is not null

union all

select 'tarifa' as tabla, motivo, registro, anio_mes as mes_registro
from bronze_db.stg_tarifa
where motivo is not null

union all

select 'cliente' as tabla, motivo, registro, date_format(fecha_alta, '%Y-%m') as mes_registro
from bronze_db.stg_cliente
where motivo is not null

union all

select 'suministro' as tabla, motivo, registro, date_format(fecha_conexion, '%Y-%m') as mes_registro
from bronze_db.stg_suministro
where motivo is not null

union all

select 'medidor' as tabla, motivo, registro, date_format(fecha_instalacion, '%Y-%m') as mes_registro
from bronze_db.stg_medidor
where motivo is not null

union all

select 'asignacion_tarifa' as tabla, motivo, registro, date_format(fecha_inicio, '%Y-%m') as mes_registro
from bronze_db.stg_asignacion_tarifa
where motivo is not null

union all

select 'acumulado' as tabla, motivo, registro, anio_mes as mes_registro
from bronze_db.stg_acumulado
where motivo is not null
    and not clave_repetida

union all

select 'acumulado' as tabla, motivo, registro, anio_mes as mes_registro
from bronze_db.stg_acumulado_duplicado
where motivo is not null

union all

select 'inspeccion' as tabla, motivo, registro, date_format(fecha_inspeccion, '%Y-%m') as mes_registro
from bronze_db.stg_inspeccion
where motivo is not null

union all

select 'lectura_intervalo' as tabla, motivo, registro, anio_mes as mes_registro
from bronze_db.stg_lectura_intervalo
where motivo is not null

union all

select 'evento_medidor' as tabla, motivo, registro, date_format(fecha_hora, '%Y-%m') as mes_registro
from bronze_db.stg_evento_medidor
where motivo is not null
