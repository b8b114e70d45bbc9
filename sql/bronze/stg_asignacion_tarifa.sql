-- stg_asignacion_tarifa: every raw tariff-assignment row, normalised, typed and validated.
-- Build: table
-- Grain: one row per row of raw_db.asignacion_tarifa; valid rows have motivo null, the others carry the reason.
-- Inputs: raw_db.asignacion_tarifa, bronze_db.bronze_suministro, bronze_db.ref_opcion_tarifaria (the valid options).
-- Parameters: :fecha_maxima ('YYYY-MM-DD').
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- An assignment that overlaps an earlier valid one of the same supply is rejected (ASIGNACION_SUPERPUESTA):
-- a supply has one tariff option at a time, so gold can never bill a month twice. Only current rows take part.
with suministro as (
    select id_suministro from bronze_db.bronze_suministro
),

opcion as (
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
            when suministro.id_suministro is null then 'HUERFANO:id_suministro'
        end as motivo_fila
    from typed
    left join suministro on typed.id_suministro = suministro.id_suministro
    left join opcion on typed.opcion_tarifaria = opcion.opcion_conocida
),

deduplicated as (
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_asignacion, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_asignacion, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_asignacion, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo_unico
    from checked
),

current_state as (
    select
        deduplicated.*,
        motivo_unico is null and entrega < max(case when motivo_unico is null then entrega end)
            over (partition by id_asignacion) as reemplazada
    from deduplicated
),

overlaps as (
    select
        current_state.*,
        case
            when motivo_unico is not null then motivo_unico
            when reemplazada then null
            when max(coalesce(fecha_fin, date '9999-12-31')) over (
                    partition by id_suministro, motivo_unico is null and not reemplazada
                    order by fecha_inicio, id_asignacion
                    rows between unbounded preceding and 1 preceding
                ) >= fecha_inicio then 'ASIGNACION_SUPERPUESTA'
        end as motivo
    from current_state
)

select
    id_asignacion, id_suministro, opcion_tarifaria, fecha_inicio, fecha_fin,
    motivo, registro, entrega, reemplazada
from overlaps
