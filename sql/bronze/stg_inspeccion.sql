-- stg_inspeccion: every raw field-inspection row, normalised, typed and validated.
-- Build: table
-- Grain: one row per row of raw_db.inspeccion; valid rows have motivo null, the others carry the reason.
-- Inputs: raw_db.inspeccion, bronze_db.bronze_suministro. Parameters: :fecha_maxima ('YYYY-MM-DD').
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
with suministro as (
    select id_suministro from bronze_db.bronze_suministro
),

raw as (
    select
        entrega,
        upper(trim(id_inspeccion)) as id_inspeccion,
        upper(trim(id_suministro)) as id_suministro,
        trim(fecha_inspeccion) as fecha_inspeccion_txt,
        upper(trim(motivo_inspeccion)) as motivo_inspeccion,
        upper(trim(resultado)) as resultado,
        concat_ws(',', coalesce(id_inspeccion, ''), coalesce(id_suministro, ''), coalesce(fecha_inspeccion, ''),
            coalesce(motivo_inspeccion, ''), coalesce(resultado, '')) as registro
    from raw_db.inspeccion
),

typed as (
    select
        raw.*,
        try_cast(fecha_inspeccion_txt as date) as fecha_inspeccion,
        concat_ws('|', coalesce(id_inspeccion, ''), coalesce(id_suministro, ''), coalesce(fecha_inspeccion_txt, ''),
            coalesce(motivo_inspeccion, ''), coalesce(resultado, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when id_inspeccion is null or id_inspeccion = '' then 'CAMPO_VACIO:id_inspeccion'
            when typed.id_suministro is null or typed.id_suministro = '' then 'CAMPO_VACIO:id_suministro'
            when fecha_inspeccion_txt is null or fecha_inspeccion_txt = '' then 'CAMPO_VACIO:fecha_inspeccion'
            when fecha_inspeccion is null then 'FORMATO_INVALIDO:fecha_inspeccion'
            when fecha_inspeccion not between date '2000-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:fecha_inspeccion'
            when motivo_inspeccion is null or motivo_inspeccion not in ('SOSPECHA', 'ALEATORIA')
                then 'CODIGO_INVALIDO:motivo_inspeccion'
            when resultado is null
                or resultado not in ('HURTO_BYPASS', 'ERROR_MEDIDOR', 'ERROR_FACTURACION', 'SIN_ANOMALIA')
                then 'CODIGO_INVALIDO:resultado'
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
            when min(case when motivo_fila is null then firma end) over (partition by id_inspeccion, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_inspeccion, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_inspeccion, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
)

select
    id_inspeccion, id_suministro, fecha_inspeccion, motivo_inspeccion, resultado,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_inspeccion)
        as reemplazada
from deduplicated
