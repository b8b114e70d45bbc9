-- gold_db.vw_kpi_atipicos_mes (view)
-- Build: view
-- Grain: one row per billing month (anio_mes).
-- Inputs: gold_db.gold_factura_evaluada_mes (the bills of gold_facturacion_teorica_mes, one each) and
--   gold_db.gold_cerco_segmento_mes (its n_atipicos: the bills the view flags es_atipico). Parameters: none.
-- total_suministros = billed supplies of the month (every gold row, valid segment or not);
-- total_atipicos = those flagged es_atipico; pct_atipicos = 100 * total_atipicos / total_suministros.
-- The atypical bills are summed from the month's segments rather than counted bill by bill through the view, which
-- joins every bill to its fence (the monthly trend reads every month: 73 M bills at 1.3 M customers).
with

kpi as (
    select
        anio_mes,
        count(*) as total_suministros
    from gold_db.gold_factura_evaluada_mes
    group by anio_mes
),

atipicos as (
    select
        anio_mes,
        cast(sum(n_atipicos) as bigint) as total_atipicos
    from gold_db.gold_cerco_segmento_mes
    group by anio_mes
)

select
    kpi.anio_mes,
    kpi.total_suministros,
    coalesce(atipicos.total_atipicos, 0) as total_atipicos,
    100 * cast(coalesce(atipicos.total_atipicos, 0) as double) / kpi.total_suministros as pct_atipicos
from kpi
left join atipicos
    on kpi.anio_mes = atipicos.anio_mes
