-- stg_sector: every raw sector row, normalised, typed and validated.
-- Build: table
-- Grain: one row per row of raw_db.sector; valid rows have motivo null, the others carry the reject reason.
-- Inputs: raw_db.sector. Parameters: none.
-- Deliveries: duplicates are judged within one delivery (entrega); a key's valid row of its latest delivery is
--   current, its valid rows of earlier deliveries are reemplazada (superseded by a newer state, not rejected).
with raw as (
    select
        entrega,
        upper(trim(id_sector)) as id_sector,
        trim(nombre_sector) as nombre_sector,
        upper(trim(alimentador)) as alimentador,
        trim(ubigeo) as ubigeo,
        trim(distrito) as distrito,
        trim(provincia) as provincia,
        trim(zona) as zona,
        trim(subzona) as subzona,
        trim(lat) as lat_txt,
        trim(lon) as lon_txt,
        concat_ws(',', coalesce(id_sector, ''), coalesce(nombre_sector, ''), coalesce(alimentador, ''),
            coalesce(ubigeo, ''), coalesce(distrito, ''), coalesce(provincia, ''), coalesce(zona, ''),
            coalesce(subzona, ''), coalesce(lat, ''), coalesce(lon, '')) as registro
    from raw_db.sector
),

typed as (
    select
        raw.*,
        try_cast(lat_txt as double) as lat,
        try_cast(lon_txt as double) as lon,
        concat_ws('|', coalesce(id_sector, ''), coalesce(nombre_sector, ''),
            coalesce(alimentador, ''), coalesce(ubigeo, ''), coalesce(distrito, ''), coalesce(provincia, ''),
            coalesce(zona, ''), coalesce(subzona, ''), coalesce(lat_txt, ''), coalesce(lon_txt, '')) as firma
    from raw
),

checked as (
    select
        typed.*,
        case
            when id_sector is null or id_sector = '' then 'CAMPO_VACIO:id_sector'
            when distrito is null or distrito = '' then 'CAMPO_VACIO:distrito'
            when zona is null or zona = '' then 'CAMPO_VACIO:zona'
            when ubigeo is null or not regexp_like(ubigeo, '^[0-9]{6}$') then 'FORMATO_INVALIDO:ubigeo'
            when coalesce(lat_txt, '') = '' or coalesce(lon_txt, '') = '' then 'CAMPO_VACIO:lat_lon'
            when lat is null or lon is null then 'FORMATO_INVALIDO:lat_lon'
            when lat not between -14.0 and -11.0 or lon not between -78.0 and -75.5 then 'FUERA_DE_RANGO:lat_lon'
        end as motivo_fila
    from typed
),

deduplicated as (
    select
        checked.*,
        case
            when motivo_fila is not null then motivo_fila
            when min(case when motivo_fila is null then firma end) over (partition by id_sector, entrega)
                <> max(case when motivo_fila is null then firma end) over (partition by id_sector, entrega)
                then 'CLAVE_DUPLICADA'
            when row_number() over (partition by id_sector, entrega, motivo_fila is null order by registro) > 1
                then 'FILA_DUPLICADA'
        end as motivo
    from checked
)

select
    id_sector, nombre_sector, alimentador, ubigeo, distrito, provincia, zona, subzona, lat, lon,
    motivo, registro, entrega,
    motivo is null and entrega < max(case when motivo is null then entrega end) over (partition by id_sector)
        as reemplazada
from deduplicated
