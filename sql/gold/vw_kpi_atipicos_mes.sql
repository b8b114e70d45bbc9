-- gold_db.vw_kpi_atipicos_mes (view)
-- Build: view
-- Grain: one row per billing month (anio_mes).
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
-- total_suministros = billed supplies of the month (every gold row, valid segment or not);
-- total_atipicos = those flagged es_atipico; pct_atipicos = 100 * total_atipicos / total_suministros.
with

factura as (
    select
        anio_mes,
        es_atipico
    from gold_db.gold_facturacion_teorica_mes
),

kpi as (
    select
        anio_mes,
        count(*) as total_suministros,
        cast(count_if(es_atipico) as bigint) as total_atipicos
    from factura
    group by anio_mes
)

select
    anio_mes,
    total_suministros,
    total_atipicos,
    100 * cast(total_atipicos as double) / total_suministros as pct_atipicos
from kpi
