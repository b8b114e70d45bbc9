-- stg_asignacion_tarifa: every raw tariff-assignment row, typed and validated (foreign key included), with its
--   state across deliveries.
-- Build: table
-- Grain: one row per row of raw_db.asignacion_tarifa; valid rows have motivo null, the others carry the reason.
-- Inputs: bronze_db.stg_asignacion_tarifa_tipado (every delivery's rows, checked on their own),
--   bronze_db.bronze_suministro. Parameters: none.
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- The foreign keys are judged here, against the parent's current rows, so a parent delivered after its child still
--   counts (as in a build from every delivery).
-- An assignment that overlaps an earlier valid one of the same supply is rejected (ASIGNACION_SUPERPUESTA):
-- a supply has one tariff option at a time, so gold can never bill a month twice. Only current rows take part.
with suministro as (
    select id_suministro from bronze_db.bronze_suministro
),

checked as (
    select
        tipado.*,
        case
            when tipado.motivo_propio is not null then tipado.motivo_propio
            when suministro.id_suministro is null then 'HUERFANO:id_suministro'
        end as motivo_fila
    from bronze_db.stg_asignacion_tarifa_tipado as tipado
    left join suministro on tipado.id_suministro = suministro.id_suministro
),

deduplicated as (
    select checked.*, motivo_fila as motivo_unico
    from checked
    where not clave_repetida
    union all
    -- the duplicate checks run over the rows of a key repeated within its delivery only (a few per thousand)
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
    where clave_repetida
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
