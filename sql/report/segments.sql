-- segments: the month's segments with their evaluated bills, quartiles and fence of valor_evaluado.
-- Grain: one row per segment (tipo_cliente, nivel_tension) of :period, largest first.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: :period ('YYYY-MM').
select
    tipo_cliente,
    nivel_tension,
    max(n_segmento) as n_segmento,
    bool_and(segmento_valido) as segmento_valido,
    max(q1) as q1,
    max(q3) as q3,
    max(iqr) as iqr,
    max(umbral_atipico) as umbral_atipico,
    count_if(es_atipico) as atipicos
from gold_db.gold_facturacion_teorica_mes
where anio_mes = :period
group by tipo_cliente, nivel_tension
order by n_segmento desc, tipo_cliente, nivel_tension
