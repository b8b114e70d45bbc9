-- supplies_by_zone_and_type: supplies in BRONZE by zone and customer type (the whole sample).
-- Grain: one row per (zona, tipo_cliente).
-- Inputs: bronze_db.bronze_suministro, bronze_cliente, bronze_sector. Parameters: none.
select
    se.zona,
    c.tipo_cliente,
    count(*) as suministros
from bronze_db.bronze_suministro as s
inner join bronze_db.bronze_cliente as c
    on s.id_cliente = c.id_cliente
inner join bronze_db.bronze_sector as se
    on s.id_sector = se.id_sector
group by se.zona, c.tipo_cliente
order by se.zona, c.tipo_cliente
