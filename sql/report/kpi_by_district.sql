-- kpi_by_district: the month's KPIs per district, with the district's coordinates (mean of its sectors).
-- Grain: one row per district with bills in :period, most atypical bills first.
-- Inputs: gold_db.vw_kpi_atipicos_distrito_mes, bronze_db.bronze_sector. Parameters: :period ('YYYY-MM').
with

coordenadas as (
    select
        distrito,
        avg(lat) as lat,
        avg(lon) as lon
    from bronze_db.bronze_sector
    group by distrito
)

select
    k.distrito,
    k.zona,
    c.lat,
    c.lon,
    k.total_suministros,
    k.total_atipicos,
    k.pct_atipicos
from gold_db.vw_kpi_atipicos_distrito_mes as k
left join coordenadas as c
    on k.distrito = c.distrito
where k.anio_mes = :period
order by k.total_atipicos desc, k.pct_atipicos desc, k.total_suministros desc, k.distrito
