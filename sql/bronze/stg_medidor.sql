-- stg_medidor: every raw meter row, normalised, typed and validated (foreign key included).
-- Build: table
-- Grain: one row per row of raw_db.medidor; valid rows have motivo null, the others carry the reject reason.
-- Inputs: raw_db.medidor, bronze_db.bronze_suministro. Parameters: :fecha_maxima ('YYYY-MM-DD').
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- Ranges are written as not (valid range), so NaN and Infinity fail them on every engine; numero_digitos
-- must be plain digits (a bare cast reads '0x10', '.5' or '1e3' as integers on DuckDB only).
with suministro as (
    select id_suministro from bronze_db.bronze_suministro
),

raw as (
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
            when suministro.id_suministro is null then 'HUERFANO:id_suministro'
        end as motivo_fila
    from typed
    left join suministro on typed.id_suministro = suministro.id_suministro
),

deduplicated as (
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_medidor, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_medidor, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_medidor, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
)

select
    id_medidor, id_suministro, tipo_medidor, numero_digitos, factor_medidor, fecha_instalacion, fecha_retiro,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_medidor)
        as reemplazada
from deduplicated
