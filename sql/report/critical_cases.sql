-- critical_cases: the month's atypical bills, furthest above their segment's threshold first.
-- Grain: one row per atypical supply of :period. No personal data (supply codes only).
-- Inputs: gold_db.vw_facturacion_atipica_detalle, gold_db.gold_facturacion_teorica_mes.
-- Parameters: :period ('YYYY-MM').
select
    d.id_suministro,
    d.distrito,
    d.zona,
    d.tipo_cliente,
    d.nivel_tension,
    d.tarifa,
    d.consumo_kwh,
    g.facturacion_referencia,
    d.facturacion_teorica,
    d.umbral_soles,
    d.exceso_soles,
    d.veces_umbral
from gold_db.vw_facturacion_atipica_detalle as d
inner join gold_db.gold_facturacion_teorica_mes as g
    on d.id_suministro = g.id_suministro
    and d.anio_mes = g.anio_mes
where d.anio_mes = :period
order by d.exceso_valor desc, d.id_suministro
