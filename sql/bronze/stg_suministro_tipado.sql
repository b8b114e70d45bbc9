-- stg_suministro_tipado: the raw supply-point rows of some deliveries, normalised, typed and checked on their own.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.suministro whose entrega lies in [:entrega_desde, :entrega_hasta]. motivo_propio
--   is the row's own reject reason (null: valid so far); stg_suministro adds the foreign keys and the duplicates.
-- Inputs: raw_db.suministro. Parameters: :fecha_maxima ('YYYY-MM-DD'), :entrega_desde and
--   :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- Partitioned by entrega: a monthly run computes the new deliveries' partitions and keeps the earlier ones' files.
--   clave_repetida: the key occurs more than once in its delivery; stg_suministro judges the duplicates among
--   those rows only, by firma (the normalised content) and registro (the raw record as text).
-- Ranges are written as not (valid range), so NaN and Infinity fail them on every engine.
with raw as (
    select
        entrega,
        upper(trim(id_suministro)) as id_suministro,
        upper(trim(id_cliente)) as id_cliente,
        upper(trim(id_sector)) as id_sector,
        upper(trim(nivel_tension)) as nivel_tension,
        trim(potencia_contratada_kw) as potencia_contratada_kw_txt,
        trim(fecha_conexion) as fecha_conexion_txt,
        nullif(trim(fecha_baja), '') as fecha_baja_txt,
        concat_ws(',', coalesce(id_suministro, ''), coalesce(id_cliente, ''), coalesce(id_sector, ''),
            coalesce(nivel_tension, ''), coalesce(potencia_contratada_kw, ''), coalesce(fecha_conexion, ''),
            coalesce(fecha_baja, '')) as registro
    from raw_db.suministro
    where entrega between :entrega_desde and :entrega_hasta
),

typed as (
    select
        raw.*,
        try_cast(potencia_contratada_kw_txt as double) as potencia_contratada_kw,
        try_cast(fecha_conexion_txt as date) as fecha_conexion,
        try_cast(fecha_baja_txt as date) as fecha_baja,
        concat_ws('|', coalesce(id_suministro, ''), coalesce(id_cliente, ''), coalesce(id_sector, ''),
            coalesce(nivel_tension, ''), coalesce(potencia_contratada_kw_txt, ''), coalesce(fecha_conexion_txt, ''),
            coalesce(fecha_baja_txt, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when typed.id_suministro is null or typed.id_suministro = '' then 'CAMPO_VACIO:id_suministro'
            when typed.id_cliente is null or typed.id_cliente = '' then 'CAMPO_VACIO:id_cliente'
            when typed.id_sector is null or typed.id_sector = '' then 'CAMPO_VACIO:id_sector'
            when nivel_tension not in ('BT', 'MT') or nivel_tension is null then 'CODIGO_INVALIDO:nivel_tension'
            when potencia_contratada_kw_txt is null or potencia_contratada_kw_txt = '' then 'CAMPO_VACIO:potencia_contratada_kw'
            when potencia_contratada_kw is null then 'FORMATO_INVALIDO:potencia_contratada_kw'
            when not (potencia_contratada_kw > 0 and potencia_contratada_kw <= 100000)
                then 'FUERA_DE_RANGO:potencia_contratada_kw'
            when fecha_conexion_txt is null or fecha_conexion_txt = '' then 'CAMPO_VACIO:fecha_conexion'
            when fecha_conexion is null then 'FORMATO_INVALIDO:fecha_conexion'
            when fecha_baja is null and fecha_baja_txt is not null then 'FORMATO_INVALIDO:fecha_baja'
            when fecha_conexion not between date '1950-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:fecha_conexion'
            when fecha_baja < fecha_conexion or fecha_baja > cast(:fecha_maxima as date)
                then 'FECHA_INCONSISTENTE:fecha_baja'
        end as motivo_propio
    from typed
)

select
    id_suministro, id_cliente, id_sector, nivel_tension, potencia_contratada_kw, fecha_conexion, fecha_baja, firma,
    motivo_propio, registro, entrega,
    count(*) over (partition by id_suministro, entrega) > 1 as clave_repetida
from checked
