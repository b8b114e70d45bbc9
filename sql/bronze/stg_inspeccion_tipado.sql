-- stg_inspeccion_tipado: the raw field-inspection rows of some deliveries, normalised, typed and checked on their own.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.inspeccion whose entrega lies in [:entrega_desde, :entrega_hasta]. motivo_propio
--   is the row's own reject reason (null: valid so far); stg_inspeccion adds the foreign key and the duplicates.
-- Inputs: raw_db.inspeccion. Parameters: :fecha_maxima ('YYYY-MM-DD'), :entrega_desde and
--   :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- Partitioned by entrega: a monthly run computes the new deliveries' partitions and keeps the earlier ones' files.
--   clave_repetida: the key occurs more than once in its delivery; stg_inspeccion judges the duplicates among
--   those rows only, by firma (the normalised content) and registro (the raw record as text).
with raw as (
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
    where entrega between :entrega_desde and :entrega_hasta
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
        end as motivo_propio
    from typed
)

select
    id_inspeccion, id_suministro, fecha_inspeccion, motivo_inspeccion, resultado, firma,
    motivo_propio, registro, entrega,
    count(*) over (partition by id_inspeccion, entrega) > 1 as clave_repetida
from checked
