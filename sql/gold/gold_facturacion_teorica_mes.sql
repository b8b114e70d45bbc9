-- gold_db.gold_facturacion_teorica_mes (view)
-- Build: view
-- Grain: one row per billed supply-month (id_suministro, anio_mes): the contract's gold relation.
-- Inputs: gold_db.gold_factura_evaluada_mes (bills and valor_evaluado), gold_db.gold_cerco_segmento_mes
--   (the Tukey fence of each segment tipo_cliente x nivel_tension x anio_mes). Parameters: none.
-- es_atipico = valid segment (segmento_valido) and valor_evaluado > umbral_atipico; a supply-month whose
-- segment has no evaluated value gets n_segmento 0 and is never atypical. umbral_soles = the bill at the
-- threshold, facturacion_referencia x exp(umbral_atipico).
-- A view rather than a table: the bills are computed in slices of supplies and the fence needs all of them,
-- so a stored table would write every bill a second time (at full scale, rewriting 60 M gold rows alone
-- takes about a minute); the fence is one row per segment, and joining it costs little on every read.
select
    e.id_suministro,
    e.id_cliente,
    e.anio_mes,
    e.anio,
    e.mes,
    e.tipo_cliente,
    e.nivel_tension,
    e.tarifa,
    e.id_sector,
    e.distrito,
    e.zona,
    e.consumo_kwh,
    e.demanda_kw,
    e.dias_facturados,
    e.es_estimada,
    e.n_retrocesos,
    e.pct_error,
    e.cargo_fijo_soles,
    e.energia_soles,
    e.potencia_soles,
    e.alumbrado_soles,
    e.descuento_fose_soles,
    e.recargo_fose_soles,
    e.subtotal_soles,
    e.igv_soles,
    e.facturacion_teorica,
    e.meses_historia,
    e.facturacion_referencia,
    e.valor_evaluado,
    coalesce(c.n_segmento, 0) as n_segmento,
    coalesce(c.segmento_valido, false) as segmento_valido,
    c.q1,
    c.q3,
    c.iqr,
    c.umbral_atipico,
    e.facturacion_referencia * exp(c.umbral_atipico) as umbral_soles,
    coalesce(c.segmento_valido and e.valor_evaluado > c.umbral_atipico, false) as es_atipico
from gold_db.gold_factura_evaluada_mes as e
left join gold_db.gold_cerco_segmento_mes as c
    on e.tipo_cliente = c.tipo_cliente
    and e.nivel_tension = c.nivel_tension
    and e.anio_mes = c.anio_mes
