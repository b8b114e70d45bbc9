-- gold_db.vw_facturacion_atipica_detalle (view)
-- Build: view
-- Grain: one row per atypical supply-month (id_suministro, anio_mes) of gold, es_atipico = true.
-- Input: gold_db.gold_facturacion_teorica_mes. Parameters: none.
-- valor_evaluado = ln(facturacion_teorica / facturacion_referencia), the reference being the median
-- of the supply's bills of the previous 12 months (meses_historia of them). How far above the threshold:
--   exceso_valor = valor_evaluado - umbral_atipico (a log ratio: 0.1 is about 10 % above the threshold);
--   exceso_iqr = (valor_evaluado - q3) / iqr, Tukey's k (atypical means above the fence's factor);
--   umbral_soles = the bill in S/ at the threshold, facturacion_referencia x exp(umbral_atipico);
--   exceso_soles = facturacion_teorica - umbral_soles; veces_umbral = facturacion_teorica / umbral_soles.
with

factura as (
    select
        id_suministro,
        id_cliente,
        anio_mes,
        anio,
        mes,
        tipo_cliente,
        nivel_tension,
        tarifa,
        id_sector,
        distrito,
        zona,
        consumo_kwh,
        demanda_kw,
        dias_facturados,
        es_estimada,
        n_retrocesos,
        pct_error,
        facturacion_teorica,
        meses_historia,
        facturacion_referencia,
        valor_evaluado,
        n_segmento,
        q1,
        q3,
        iqr,
        umbral_atipico,
        umbral_soles,
        es_atipico
    from gold_db.gold_facturacion_teorica_mes
),

atipica as (
    select
        id_suministro,
        id_cliente,
        anio_mes,
        anio,
        mes,
        tipo_cliente,
        nivel_tension,
        tarifa,
        id_sector,
        distrito,
        zona,
        consumo_kwh,
        demanda_kw,
        dias_facturados,
        es_estimada,
        n_retrocesos,
        pct_error,
        facturacion_teorica,
        meses_historia,
        facturacion_referencia,
        valor_evaluado,
        n_segmento,
        q1,
        q3,
        iqr,
        umbral_atipico,
        umbral_soles
    from factura
    where es_atipico
)

select
    id_suministro,
    id_cliente,
    anio_mes,
    anio,
    mes,
    tipo_cliente,
    nivel_tension,
    tarifa,
    id_sector,
    distrito,
    zona,
    consumo_kwh,
    demanda_kw,
    dias_facturados,
    es_estimada,
    n_retrocesos,
    pct_error,
    facturacion_teorica,
    meses_historia,
    facturacion_referencia,
    valor_evaluado,
    n_segmento,
    q1,
    q3,
    iqr,
    umbral_atipico,
    valor_evaluado - umbral_atipico as exceso_valor,
    case when iqr > 0 then (valor_evaluado - q3) / iqr end as exceso_iqr,
    umbral_soles,
    facturacion_teorica - umbral_soles as exceso_soles,
    facturacion_teorica / umbral_soles as veces_umbral
from atipica
