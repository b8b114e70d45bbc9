-- kpi_by_month: the monthly KPIs from the first reported month up to the analysis month.
-- Grain: one row per month (anio_mes) from :inicio to :period.
-- Input: gold_db.vw_kpi_atipicos_mes. Parameters: :inicio (first reported month), :period ('YYYY-MM').
select
    anio_mes,
    total_suministros,
    total_atipicos,
    pct_atipicos
from gold_db.vw_kpi_atipicos_mes
where anio_mes between :inicio and :period
order by anio_mes
