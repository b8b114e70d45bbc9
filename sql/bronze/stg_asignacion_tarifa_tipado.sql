-- stg_asignacion_tarifa_tipado: the raw tariff-assignment rows of some deliveries, normalised, typed and checked
--   on their own.
-- Build: table partitioned by entrega
-- Grain: one row per row of raw_db.asignacion_tarifa whose entrega lies in [:entrega_desde, :entrega_hasta].
--   motivo_propio is the row's own reject reason (null: valid so far); stg_asignacion_tarifa adds the foreign key,
--   the duplicates and the overlaps.
-- Inputs: raw_db.asignacion_tarifa, bronze_db.ref_opcion_tarifaria (the valid options). Parameters: :fecha_maxima
--   ('YYYY-MM-DD'), :entrega_desde and :entrega_hasta ('YYYY-MM'; a whole build binds the widest range).
-- Partitioned by entrega: a monthly run computes the new deliveries' partitions and keeps the earlier ones' files.
--   clave_repetida: the key occurs more than once in its delivery; stg_asignacion_tarifa judges the duplicates among
--   those rows only, by firma (the normalised content) and registro (the raw record as text).
with opcion as (
    select opcion_tarifaria as opcion_conocida from bronze_db.ref_opcion_tarifaria
),

raw as (
    select
        entrega,
        upper(trim(id_asignacion)) as id_asignacion,
        upper(trim(id_suministro)) as id_suministro,
        upper(trim(opcion_tarifaria)) as opcion_tarifaria,
        trim(fecha_inicio) as fecha_inicio_txt,
        nullif(trim(fecha_fin), '') as fecha_fin_txt,
        concat_ws(',', coalesce(id_asignacion, ''), coalesce(id_suministro, ''), coalesce(opcion_tarifaria, ''),
            coalesce(fecha_inicio, ''), coalesce(fecha_fin, '')) as registro
    from raw_db.asignacion_tarifa
    where entrega between :entrega_desde and :entrega_hasta
),

typed as (
    select
        raw.*,
        try_cast(fecha_inicio_txt as date) as fecha_inicio,
        try_cast(fecha_fin_txt as date) as fecha_fin,
        concat_ws('|', coalesce(id_asignacion, ''), coalesce(id_suministro, ''), coalesce(opcion_tarifaria, ''),
            coalesce(fecha_inicio_txt, ''), coalesce(fecha_fin_txt, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when id_asignacion is null or id_asignacion = '' then 'CAMPO_VACIO:id_asignacion'
            when typed.id_suministro is null or typed.id_suministro = '' then 'CAMPO_VACIO:id_suministro'
            when opcion.opcion_conocida is null then 'CODIGO_INVALIDO:opcion_tarifaria'
            when fecha_inicio_txt is null or fecha_inicio_txt = '' then 'CAMPO_VACIO:fecha_inicio'
            when fecha_inicio is null then 'FORMATO_INVALIDO:fecha_inicio'
            when fecha_fin is null and fecha_fin_txt is not null then 'FORMATO_INVALIDO:fecha_fin'
            when fecha_inicio not between date '1950-01-01' and cast(:fecha_maxima as date)
                then 'FUERA_DE_RANGO:fecha_inicio'
            when fecha_fin < fecha_inicio then 'FECHA_INCONSISTENTE:fecha_fin'
        end as motivo_propio
    from typed
    left join opcion on typed.opcion_tarifaria = opcion.opcion_conocida
)

select
    id_asignacion, id_suministro, opcion_tarifaria, fecha_inicio, fecha_fin, firma,
    motivo_propio, registro, entrega,
    count(*) over (partition by id_asignacion, entrega) > 1 as clave_repetida
from checked
