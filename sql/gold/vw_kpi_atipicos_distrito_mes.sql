-- gold_db.vw_kpi_atipicos_distrito_mes (view)
-- Build: view
-- Grain: one row per district and billing month (distrito, zona, anio_mes); every district lies in
--   one zone, so zona only labels the district.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
-- total_suministros = billed supplies of the district in the month; total_atipicos = those flagged
-- es_atipico; pct_atipicos = 100 * total_atipicos / total_suministros.
with

factura as (
    select
        distrito,
        zona,
        anio_mes,
        es_atipico
    from gold_db.gold_facturacion_teorica_mes
),

kpi as (
    select
        distrito,
        zona,
        anio_mes,
        count(*) as total_suministros,
        cast(count_if(es_atipico) as bigint) as total_atipicos
    from factura
    group by distrito, zona, anio_mes
)

select
    distrito,
    zona,
    anio_mes,
    total_suministros,
    total_atipicos,
    100 * cast(total_atipicos as double) / total_suministros as pct_atipicos
from kpi
