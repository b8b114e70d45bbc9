-- stg_evento_medidor: every raw smart-meter event row, typed and validated (foreign key included), with its state
--   across deliveries.
-- Build: table
-- Grain: one row per row of raw_db.evento_medidor; valid rows have motivo null, the others carry the reject reason.
-- Inputs: bronze_db.stg_evento_medidor_tipado (every delivery's rows, checked on their own), bronze_db.bronze_medidor.
--   Parameters: none.
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- The foreign key is judged here, against the parent's current rows, so a meter delivered after its events still
--   counts (as in a build from every delivery).
with medidor as (
    select id_medidor from bronze_db.bronze_medidor
),

checked as (
    select
        tipado.*,
        case
            when tipado.motivo_propio is not null then tipado.motivo_propio
            when medidor.id_medidor is null then 'HUERFANO:id_medidor'
        end as motivo_fila
    from bronze_db.stg_evento_medidor_tipado as tipado
    left join medidor on tipado.id_medidor = medidor.id_medidor
),

deduplicated as (
    select checked.*, motivo_fila as motivo
    from checked
    where not clave_repetida
    union all
    -- the duplicate checks run over the rows of a key repeated within its delivery only (a few per thousand)
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_evento, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_evento, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_evento, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
    where clave_repetida
)

select
    id_evento, id_medidor, fecha_hora, codigo_evento,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_evento)
        as reemplazada
from deduplicated
