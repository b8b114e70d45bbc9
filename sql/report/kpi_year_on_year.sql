-- kpi_year_on_year: the monthly KPIs of the analysis month and of the same month a year earlier, what the
--   year-on-year comparison reads (lds_utils.reporting.report.year_on_year).
-- Grain: one row per month (anio_mes): :period, and :anio_anterior when it is not before :inicio (the first
--   reported month), as kpi_by_month holds them. Reads two months of GOLD, not every reported month.
-- Input: gold_db.vw_kpi_atipicos_mes. Parameters: :inicio, :period, :anio_anterior ('YYYY-MM').
select
    anio_mes,
    total_suministros,
    total_atipicos,
    pct_atipicos
from gold_db.vw_kpi_atipicos_mes
where anio_mes in (:period, :anio_anterior)
    and anio_mes between :inicio and :period
order by anio_mes
