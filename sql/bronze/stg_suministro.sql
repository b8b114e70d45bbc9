-- stg_suministro: every raw supply-point row, normalised, typed and validated (foreign keys included).
-- Build: table
-- Grain: one row per row of raw_db.suministro; valid rows have motivo null, the others carry the reject reason.
-- Inputs: raw_db.suministro, bronze_db.bronze_cliente, bronze_db.bronze_sector.
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- Parameters: :fecha_maxima (latest plausible date, 'YYYY-MM-DD').
-- Ranges are written as not (valid range), so NaN and Infinity fail them on every engine.
with cliente as (
    select id_cliente from bronze_db.bronze_cliente
),

sector as (
    select id_sector from bronze_db.bronze_sector
),

raw as (
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
            when cliente.id_cliente is null then 'HUERFANO:id_cliente'
            when sector.id_sector is null then 'HUERFANO:id_sector'
        end as motivo_fila
    from typed
    left join cliente on typed.id_cliente = cliente.id_cliente
    left join sector on typed.id_sector = sector.id_sector
),

deduplicated as (
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_suministro, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_suministro, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_suministro, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
)

select
    id_suministro, id_cliente, id_sector, nivel_tension, potencia_contratada_kw, fecha_conexion, fecha_baja,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_suministro)
        as reemplazada
from deduplicated
