-- kpi_by_district_type: the month's KPIs per zone, district and customer type, for the dashboard's filters.
-- Grain: one row per (zona, distrito, tipo_cliente) with bills in :period.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: :period ('YYYY-MM').
select
    zona,
    distrito,
    tipo_cliente,
    count(*) as total_suministros,
    count_if(es_atipico) as total_atipicos,
    100 * cast(count_if(es_atipico) as double) / count(*) as pct_atipicos
from gold_db.gold_facturacion_teorica_mes
where anio_mes = :period
group by zona, distrito, tipo_cliente
order by zona, distrito, tipo_cliente
