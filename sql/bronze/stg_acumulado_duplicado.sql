-- stg_acumulado_duplicado: the final reject reason of the raw readings whose key occurs more than once.
-- Build: table partitioned by entrega
-- Grain: one row per row of bronze_db.stg_acumulado with clave_repetida (a few per thousand readings) whose entrega
--   lies in [:entrega_desde, :entrega_hasta].
-- Inputs: bronze_db.stg_acumulado. Parameters: :entrega_desde and :entrega_hasta ('YYYY-MM'; a whole build binds the
--   widest range).
-- Partitioned by entrega: a monthly run decides the new deliveries' rows only. Their keys were marked repeated
--   within those deliveries, and a key of an earlier delivery is already CLAVE_YA_ENTREGADA
--   (stg_acumulado_incremental).
-- A row rejected for its own content keeps that reason. A reading is never replaced: a row of a delivery after the
-- first one that brought its key (valid or not) is CLAVE_YA_ENTREGADA. Among the valid rows of a key in that first
-- delivery: if their contents (firma) differ, all are CLAVE_DUPLICADA; if they are copies of one content, one is
-- kept and the other copies are FILA_DUPLICADA (which one is kept does not matter: they are the same reading).
with repetida as (
    select
        id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
        registros_esperados, registros_error, anio_mes, motivo as motivo_fila, firma, registro, entrega,
        min(entrega) over (partition by id_lectura) as primera_entrega
    from bronze_db.stg_acumulado
    where clave_repetida
        and entrega between :entrega_desde and :entrega_hasta
),

decidida as (
    select
        id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
        registros_esperados, registros_error, anio_mes, registro, entrega,
        case
            when motivo_fila is not null then motivo_fila
            when entrega > primera_entrega then 'CLAVE_YA_ENTREGADA'
            when min(case when motivo_fila is null then firma end) over (partition by id_lectura, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_lectura, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_lectura, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from repetida
)

select
    id_lectura, id_medidor, fecha_lectura, tipo_lectura, lectura_kwh, lectura_kwh_hp, demanda_max_kw,
    registros_esperados, registros_error, anio_mes, motivo,
    case when motivo is not null then registro end as registro,
    entrega
from decidida
