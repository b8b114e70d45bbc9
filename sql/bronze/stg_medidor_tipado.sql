-- stg_medidor_tipado: the raw meter rows of some deliveries, normalised, typed and checked on their own.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.medidor whose entrega lies in [:entrega_desde, :entrega_hasta]. motivo_propio
--   is the row's own reject reason (null: valid so far); stg_medidor adds the foreign key and the duplicates.
-- Inputs: raw_db.medidor. Parameters: :fecha_maxima ('YYYY-MM-DD'), :entrega_desde and
--   :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- Partitioned by entrega: a monthly run computes the new deliveries' partitions and keeps the earlier ones' files.
--   clave_repetida: the key occurs more than once in its delivery; stg_medidor judges the duplicates among
--   those rows only, by firma (the normalised content) and registro (the raw record as text).
-- Ranges are written as not (valid range), so NaN and Infinity fail them on every engine; numero_digitos
-- must be plain digits (a bare cast reads '0x10', '.5' or '1e3' as integers on DuckDB only).
with raw as (
    select
        entrega,
        upper(trim(id_medidor)) as id_medidor,
        upper(trim(id_suministro)) as id_suministro,
        upper(trim(tipo_medidor)) as tipo_medidor,
        trim(numero_digitos) as numero_digitos_txt,
        trim(factor_medidor) as factor_medidor_txt,
        trim(fecha_instalacion) as fecha_instalacion_txt,
        nullif(trim(fecha_retiro), '') as fecha_retiro_txt,
        concat_ws(',', coalesce(id_medidor, ''), coalesce(id_suministro, ''), coalesce(tipo_medidor, ''),
            coalesce(numero_digitos, ''), coalesce(factor_medidor, ''), coalesce(fecha_instalacion, ''),
            coalesce(fecha_retiro, '')) as registro
    from raw_db.medidor
    where entrega between :entrega_desde and :entrega_hasta
),

typed as (
    select
        raw.*,
        try_cast(case when regexp_like(numero_digitos_txt, '^-?[0-9]+$') then numero_digitos_txt end as integer) as numero_digitos,
        try_cast(factor_medidor_txt as double) as factor_medidor,
        try_cast(fecha_instalacion_txt as date) as fecha_instalacion,
        try_cast(fecha_retiro_txt as date) as fecha_retiro,
        concat_ws('|', coalesce(id_medidor, ''), coalesce(id_suministro, ''), coalesce(tipo_medidor, ''),
            coalesce(numero_digitos_txt, ''), coalesce(factor_medidor_txt, ''), coalesce(fecha_instalacion_txt, ''),
            coalesce(fecha_retiro_txt, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when id_medidor is null or id_medidor = '' then 'CAMPO_VACIO:id_medidor'
            when typed.id_suministro is null or typed.id_suministro = '' then 'CAMPO_VACIO:id_suministro'
            when tipo_medidor is null
                or tipo_medidor not in ('ELECTROMECANICO', 'ELECTRONICO', 'DOBLE_REGISTRO', 'PERFIL_CARGA')
                then 'CODIGO_INVALIDO:tipo_medidor'
            when numero_digitos_txt is null or numero_digitos_txt = '' then 'CAMPO_VACIO:numero_digitos'
            when numero_digitos is null then 'FORMATO_INVALIDO:numero_digitos'
            when numero_digitos not between 4 and 9 then 'FUERA_DE_RANGO:numero_digitos'
            when factor_medidor_txt is null or factor_medidor_txt = '' then 'CAMPO_VACIO:factor_medidor'
            when factor_medidor is null then 'FORMATO_INVALIDO:factor_medidor'
            when not (factor_medidor > 0 and factor_medidor <= 100000) then 'FUERA_DE_RANGO:factor_medidor'
            when fecha_instalacion_txt is null or fecha_instalacion_txt = '' then 'CAMPO_VACIO:fecha_instalacion'
            when fecha_instalacion is null then 'FORMATO_INVALIDO:fecha_instalacion'
            when fecha_retiro is null and fecha_retiro_txt is not null then 'FORMATO_INVALIDO:fecha_retiro'
            when fecha_instalacion not between date '1950-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:fecha_instalacion'
            when fecha_retiro < fecha_instalacion or fecha_retiro > cast(:fecha_maxima as date)
                then 'FECHA_INCONSISTENTE:fecha_retiro'
        end as motivo_propio
    from typed
)

select
    id_medidor, id_suministro, tipo_medidor, numero_digitos, factor_medidor, fecha_instalacion, fecha_retiro, firma,
    motivo_propio, registro, entrega,
    count(*) over (partition by id_medidor, entrega) > 1 as clave_repetida
from checked
