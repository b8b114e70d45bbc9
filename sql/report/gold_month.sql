-- gold_month: the GOLD bills of the analysis month, without customer identifiers.
-- Grain: one row per billed supply of :period.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: :period ('YYYY-MM').
select
    id_suministro,
    tipo_cliente,
    nivel_tension,
    tarifa,
    distrito,
    zona,
    consumo_kwh,
    demanda_kw,
    cargo_fijo_soles,
    energia_soles,
    potencia_soles,
    alumbrado_soles,
    descuento_fose_soles,
    recargo_fose_soles,
    subtotal_soles,
    igv_soles,
    facturacion_teorica,
    facturacion_referencia,
    meses_historia,
    valor_evaluado,
    n_segmento,
    segmento_valido,
    q1,
    q3,
    iqr,
    umbral_atipico,
    umbral_soles,
    es_atipico
from gold_db.gold_facturacion_teorica_mes
where anio_mes = :period
order by id_suministro
