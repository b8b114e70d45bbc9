-- detections: each billed supply-month from :desde to :hasta with each detector's flag, the alert's rank and value,
--   and how far the bill is from the supply's median bill (importe_en_juego, S/, as gold_alertas_mes computes it).
-- Grain: one row per supply-month (id_suministro, anio_mes) of gold_db.gold_senales_mes from :desde to :hasta.
--   Only the supplies of the evaluation's sample: those whose code's number (after its first letter) is a
--   multiple of :cada (1: all; a code without a number counts as 0).
-- Inputs: gold_db.gold_senales_mes; gold_factura_evaluada_mes and gold_cerco_segmento_mes, joined as
--   gold_facturacion_teorica_mes joins them but after the sample is taken: through the view, every bill of every month
--   met its fence first (at 1.3 M customers, 58 M bills for a sample of 4.4 M); gold_alertas_mes.
-- Parameters: :desde, :hasta ('YYYY-MM'), :cada (a positive integer).
select
    s.id_suministro,
    s.anio_mes,
    s.tipo_cliente,
    coalesce(c.segmento_valido and g.valor_evaluado > c.umbral_atipico, false) as es_alerta_iqr,
    case when c.segmento_valido and g.valor_evaluado > c.umbral_atipico then (g.valor_evaluado - c.q3) / c.iqr end
        as exceso_iqr,
    coalesce(abs(g.facturacion_teorica - g.facturacion_referencia), 0e0) as importe_en_juego,
    s.es_alerta as es_alerta_complementaria,
    s.motivos,
    a.motivo_principal,
    a.banda_consumo,
    a.valor_esperado,
    a.prioridad,
    a.capacidad,
    a.id_suministro is not null as es_alerta_combinada,
    coalesce(a.dentro_capacidad, false) as dentro_capacidad
from gold_db.gold_senales_mes as s
inner join gold_db.gold_factura_evaluada_mes as g
    on s.id_suministro = g.id_suministro
    and s.anio_mes = g.anio_mes
left join gold_db.gold_cerco_segmento_mes as c
    on g.tipo_cliente = c.tipo_cliente
    and g.nivel_tension = c.nivel_tension
    and g.anio_mes = c.anio_mes
left join gold_db.gold_alertas_mes as a
    on s.id_suministro = a.id_suministro
    and s.anio_mes = a.anio_mes
where s.anio_mes between :desde and :hasta
    and mod(coalesce(try_cast(substr(s.id_suministro, 2) as bigint), 0), :cada) = 0
order by s.anio_mes, s.id_suministro
