-- kpi_by_zone_year: the yearly KPIs per zone, the analysis month's year counted up to that month (year to date).
-- Grain: one row per (anio, zona) from the year of :inicio to the year of :period.
-- Input: gold_db.vw_kpi_atipicos_zona_mes. Parameters: :inicio (first reported month), :period ('YYYY-MM').
-- Like vw_kpi_atipicos_zona_anual, totals count supply-months: pct_atipicos is the share of atypical bills.
with

anual as (
    select
        zona,
        cast(substr(anio_mes, 1, 4) as integer) as anio,
        count(*) as meses,
        sum(total_suministros) as total_suministros,
        sum(total_atipicos) as total_atipicos
    from gold_db.vw_kpi_atipicos_zona_mes
    where anio_mes between :inicio and :period
    group by zona, substr(anio_mes, 1, 4)
)

select
    zona,
    anio,
    meses,
    total_suministros,
    total_atipicos,
    100 * cast(total_atipicos as double) / total_suministros as pct_atipicos
from anual
order by anio, zona
