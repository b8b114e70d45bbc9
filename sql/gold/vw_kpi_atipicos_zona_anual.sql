-- gold_db.vw_kpi_atipicos_zona_anual (view)
-- Build: view
-- Grain: one row per concession zone and year (zona, anio).
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
-- Annual totals count supply-MONTHS: total_suministros = supply-months billed in the year (a supply
-- billed twelve times counts twelve), total_atipicos = supply-months flagged es_atipico, so
-- pct_atipicos = 100 * total_atipicos / total_suministros is the year's share of atypical bills.
-- meses = billing months of the year with data (a partial year has fewer than 12).
with

factura as (
    select
        zona,
        anio,
        anio_mes,
        es_atipico
    from gold_db.gold_facturacion_teorica_mes
),

kpi as (
    select
        zona,
        anio,
        count(distinct anio_mes) as meses,
        count(*) as total_suministros,
        cast(count_if(es_atipico) as bigint) as total_atipicos
    from factura
    group by zona, anio
)

select
    zona,
    anio,
    meses,
    total_suministros,
    total_atipicos,
    100 * cast(total_atipicos as double) / total_suministros as pct_atipicos
from kpi
