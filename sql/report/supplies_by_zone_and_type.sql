-- supplies_by_zone_and_type: supplies active at the close of the analysis month by zone and customer type.
-- Grain: one row per (zona, tipo_cliente).
-- Inputs: bronze_db.bronze_suministro, bronze_cliente, bronze_sector. Parameters: :period ('YYYY-MM'): a supply
--   counts when it was connected in :period or earlier and not disconnected by then.
select
    se.zona,
    c.tipo_cliente,
    count(*) as suministros
from bronze_db.bronze_suministro as s
inner join bronze_db.bronze_cliente as c
    on s.id_cliente = c.id_cliente
inner join bronze_db.bronze_sector as se
    on s.id_sector = se.id_sector
where date_format(s.fecha_conexion, '%Y-%m') <= :period
    and (s.fecha_baja is null or date_format(s.fecha_baja, '%Y-%m') > :period)
group by se.zona, c.tipo_cliente
order by se.zona, c.tipo_cliente
