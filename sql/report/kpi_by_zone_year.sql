-- kpi_by_zone_year: the yearly KPIs per zone up to the year of the analysis month.
-- Grain: one row per (anio, zona) with anio up to the year of :period.
-- Input: gold_db.vw_kpi_atipicos_zona_anual. Parameters: :period ('YYYY-MM').
select
    zona,
    anio,
    total_suministros,
    total_atipicos,
    pct_atipicos
from gold_db.vw_kpi_atipicos_zona_anual
where anio <= cast(substr(:period, 1, 4) as integer)
order by anio, zona
