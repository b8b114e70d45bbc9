-- kpi_by_zone: the month's KPIs per zone.
-- Grain: one row per zone with bills in :period, most atypical bills first.
-- Input: gold_db.vw_kpi_atipicos_zona_mes. Parameters: :period ('YYYY-MM').
select
    zona,
    total_suministros,
    total_atipicos,
    pct_atipicos
from gold_db.vw_kpi_atipicos_zona_mes
where anio_mes = :period
order by total_atipicos desc, zona
