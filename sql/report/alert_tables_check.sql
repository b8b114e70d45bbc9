-- alert_tables_check: whether the alert relations were built from the GOLD a reader reads, months :desde..:period.
-- Grain: one row: GOLD's bills, kWh and IQR alerts of :desde..:period beside what the alert relations hold.
-- Inputs: gold_db.gold_factura_evaluada_mes (the bills of gold_facturacion_teorica_mes, one each),
--   gold_cerco_segmento_mes (its n_atipicos: the bills the view flags es_atipico), gold_senales_mes,
--   gold_alertas_mes. Parameters: :desde and :period ('YYYY-MM', inclusive; '0000-00' for every month up to :period).
-- One pass over each relation; the atypical bills are summed from the segments' counts, not from the view, which
-- joins every bill to its fence (73 M bills at 1.3 M customers: 1.9 -> 0.5 s).
with gold as (
    select count(*) as filas, sum(consumo_kwh) as kwh
    from gold_db.gold_factura_evaluada_mes
    where anio_mes between :desde and :period
),

cercos as (
    select coalesce(sum(n_atipicos), 0) as atipicos
    from gold_db.gold_cerco_segmento_mes
    where anio_mes between :desde and :period
),

senales as (
    select count(*) as filas, sum(consumo_kwh) as kwh
    from gold_db.gold_senales_mes
    where anio_mes between :desde and :period
),

alertas as (
    select count_if(es_alerta_iqr) as iqr
    from gold_db.gold_alertas_mes
    where anio_mes between :desde and :period
)

select
    gold.filas as gold_filas,
    senales.filas as senales_filas,
    gold.kwh as gold_kwh,
    senales.kwh as senales_kwh,
    cercos.atipicos as gold_atipicos,
    alertas.iqr as alertas_iqr
from gold
cross join cercos
cross join senales
cross join alertas
