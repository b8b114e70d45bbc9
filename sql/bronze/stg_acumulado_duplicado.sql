-- stg_acumulado_duplicado: the final reject reason of the raw readings whose key occurs more than once.
-- Build: table
-- Grain: one row per row of bronze_db.stg_acumulado with clave_repetida (a few per thousand readings).
-- Inputs: bronze_db.stg_acumulado. Parameters: none.
-- A row rejected for its own content keeps that reason. Among the valid rows of a key: if their contents
-- (firma) differ, all are CLAVE_DUPLICADA; if they are copies of one content, one is kept and the other
-- copies are FILA_DUPLICADA (which one is kept does not matter: they are the same reading).
with repetida as (
    select
        id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
        registros_esperados, registros_error, anio_mes, motivo as motivo_fila, firma, registro
    from bronze_db.stg_acumulado
    where clave_repetida
),

decidida as (
    select
        id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
        registros_esperados, registros_error, anio_mes, registro,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_lectura)
                <> max(case when motivo_fila is null then firma end) over (partition by id_lectura)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_lectura, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from repetida
)

select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error, anio_mes, motivo,
    case when motivo is not null then registro end as registro
from decidida
