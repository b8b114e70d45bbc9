-- stg_suministro: every raw supply-point row, typed and validated (foreign keys included), with its state across
--   deliveries.
-- Build: table
-- Grain: one row per row of raw_db.suministro; valid rows have motivo null, the others carry the reject reason.
-- Inputs: bronze_db.stg_suministro_tipado (every delivery's rows, checked on their own), bronze_db.bronze_cliente,
--   bronze_db.bronze_sector. Parameters: none.
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
-- The foreign keys are judged here, against the parents' current rows, so a parent delivered after its child still
--   counts (as in a build from every delivery).
with cliente as (
    select id_cliente from bronze_db.bronze_cliente
),

sector as (
    select id_sector from bronze_db.bronze_sector
),

checked as (
    select
        tipado.*,
        case
            when tipado.motivo_propio is not null then tipado.motivo_propio
            when cliente.id_cliente is null then 'HUERFANO:id_cliente'
            when sector.id_sector is null then 'HUERFANO:id_sector'
        end as motivo_fila
    from bronze_db.stg_suministro_tipado as tipado
    left join cliente on tipado.id_cliente = cliente.id_cliente
    left join sector on tipado.id_sector = sector.id_sector
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
            when min(case when motivo_fila is null then firma end) over (partition by id_suministro, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_suministro, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_suministro, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
    where clave_repetida
)

select
    id_suministro, id_cliente, id_sector, nivel_tension, potencia_contratada_kw, fecha_conexion, fecha_baja,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_suministro)
        as reemplazada
from deduplicated
