-- bronze_sector: the valid, typed and de-duplicated rows of raw_db.sector.
-- Build: table
-- Grain: one row per sector key, in its current state (the row of its latest delivery).
-- Inputs: bronze_db.stg_sector. Parameters: none.
select
    id_sector, nombre_sector, alimentador, ubigeo, distrito, provincia, zona, subzona, lat, lon
from bronze_db.stg_sector
where motivo is null
    and not reemplazada
