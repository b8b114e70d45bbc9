-- gold_db.gold_alertas_valoradas (ephemeral)
-- Build: ephemeral
-- Grain: one row per supply alerted in a month of :desde..:hasta (id_suministro, anio_mes) by the official IQR rule
--   (es_atipico), by the companion detector (gold_senales_mes.es_alerta) or by both, with what inspecting it is
--   worth and the month's capacity: the list before its ranking, which gold_alertas_mes and its incremental SELECT
--   share. Never stored: inlined into the statements that read it.
-- Inputs: gold_db.gold_senales_mes and gold_db.gold_facturacion_teorica_mes, months :desde..:hasta and the month
--   before :desde (to know which alerts are new); gold_db.ref_valor_motivo (what each reason is worth).
-- Parameters: :desde, :hasta ('YYYY-MM', inclusive); the month calendar of :desde (lds_utils.graph.month_calendar):
--   :mes_anterior (the month before :desde), :indice_desde (:desde as year x 12 + month); :capacidad_inspeccion =
--   inspections per month as a share of the month's billed supplies; the band limits :razon_muy_baja, :razon_baja,
--   :razon_alta, :razon_muy_alta (lds_utils.rules.companion.BANDAS_CONSUMO).
-- valor_esperado = probabilidad x importe_en_juego x meses_en_juego, the expected value of inspecting, in soles:
--   importe_en_juego  |facturacion_teorica - facturacion_referencia|: how far this month's bill is from the supply's
--                     median bill of its previous 12 months, S/ (0 without that history). Below it, energy not
--                     billed; above it, a customer over-billed: both are worth an inspection;
--   probabilidad, meses_en_juego  of the alert's leading reason (motivo_principal; CERCO_IQR for an alert of the IQR
--                     rule alone) in its band of consumption (banda_consumo), from gold_db.ref_valor_motivo; the
--                     reason's row for every band ('TODAS') where the band has none.
-- banda_consumo: the month's consumption per day against the median of its previous 12 months: SIN_HISTORIA (no
--   median), CERO, MUY_BAJA (below :razon_muy_baja times the median), BAJA (below :razon_baja), NORMAL (below
--   :razon_alta), ALTA (below :razon_muy_alta), MUY_ALTA. A fall to a few percent looks like an empty home more than
--   a theft, which leaves part of the consumption: the likelihood of the same reason differs by band.
-- puntaje: companion, the strength of its signal (+1 when the IQR rule agrees); IQR rule alone, exceso_iqr =
--   (valor_evaluado - q3) / iqr. capacidad = ceil(:capacidad_inspeccion x billed supplies of the month).
--   es_nueva: the supply had no alert (of either detector) the month before.
with

senales as (
    select
        id_suministro,
        id_cliente,
        anio_mes,
        tipo_cliente,
        nivel_tension,
        tarifa,
        distrito,
        zona,
        consumo_kwh,
        demanda_kw,
        facturacion_teorica,
        consumo_dia,
        mediana_consumo_dia,
        z_mediana,
        z_anual,
        z_maximo,
        z_factor_carga,
        es_alerta,
        motivo_principal,
        motivos,
        puntaje
    from gold_db.gold_senales_mes
    -- from the month before :desde, for es_nueva
    where anio_mes between :mes_anterior and :hasta
),

fence as (
    select
        id_suministro,
        anio_mes,
        anio * 12 + mes as indice_mes,
        es_atipico,
        case when es_atipico then (valor_evaluado - q3) / iqr end as exceso_iqr,
        facturacion_referencia
    from gold_db.gold_facturacion_teorica_mes
    where anio_mes between :mes_anterior and :hasta
),

evaluado as (
    select
        s.id_suministro,
        s.id_cliente,
        s.anio_mes,
        f.indice_mes,
        s.tipo_cliente,
        s.nivel_tension,
        s.tarifa,
        s.distrito,
        s.zona,
        s.consumo_kwh,
        s.demanda_kw,
        s.facturacion_teorica,
        s.consumo_dia,
        s.mediana_consumo_dia,
        s.z_mediana,
        s.z_anual,
        s.z_maximo,
        s.z_factor_carga,
        f.es_atipico as es_alerta_iqr,
        f.exceso_iqr,
        f.facturacion_referencia,
        s.es_alerta as es_alerta_complementaria,
        s.motivo_principal,
        s.motivos,
        s.puntaje
    from senales as s
    inner join fence as f
        on s.id_suministro = f.id_suministro
        and s.anio_mes = f.anio_mes
    where f.es_atipico or s.es_alerta
),

alerta_del_periodo as (
    select
        e.id_suministro,
        e.id_cliente,
        e.anio_mes,
        e.indice_mes,
        e.tipo_cliente,
        e.nivel_tension,
        e.tarifa,
        e.distrito,
        e.zona,
        e.consumo_kwh,
        e.demanda_kw,
        e.facturacion_teorica,
        e.consumo_dia,
        e.mediana_consumo_dia,
        e.z_mediana,
        e.z_anual,
        e.z_maximo,
        e.z_factor_carga,
        e.es_alerta_iqr,
        e.exceso_iqr,
        e.es_alerta_complementaria,
        case
            when e.es_alerta_iqr and e.es_alerta_complementaria then 'IQR+COMPLEMENTARIO'
            when e.es_alerta_complementaria then 'COMPLEMENTARIO'
            else 'IQR'
        end as detectores,
        coalesce(e.motivo_principal, 'CERCO_IQR') as motivo_principal,
        case
            when not e.es_alerta_iqr then e.motivos
            when e.es_alerta_complementaria then e.motivos || ',CERCO_IQR'
            else 'CERCO_IQR'
        end as motivos,
        case
            when e.es_alerta_complementaria then e.puntaje + case when e.es_alerta_iqr then 1e0 else 0e0 end
            else e.exceso_iqr
        end as puntaje,
        coalesce(abs(e.facturacion_teorica - e.facturacion_referencia), 0e0) as importe_en_juego,
        case
            when e.consumo_dia is null or e.mediana_consumo_dia is null then 'SIN_HISTORIA'
            when e.consumo_dia = 0 then 'CERO'
            when e.consumo_dia < :razon_muy_baja * e.mediana_consumo_dia then 'MUY_BAJA'
            when e.consumo_dia < :razon_baja * e.mediana_consumo_dia then 'BAJA'
            when e.consumo_dia < :razon_alta * e.mediana_consumo_dia then 'NORMAL'
            when e.consumo_dia < :razon_muy_alta * e.mediana_consumo_dia then 'ALTA'
            else 'MUY_ALTA'
        end as banda_consumo
    from evaluado as e
    where e.indice_mes >= :indice_desde
),

valorado as (
    select
        a.id_suministro,
        a.id_cliente,
        a.anio_mes,
        a.indice_mes,
        a.tipo_cliente,
        a.nivel_tension,
        a.tarifa,
        a.distrito,
        a.zona,
        a.consumo_kwh,
        a.demanda_kw,
        a.facturacion_teorica,
        a.consumo_dia,
        a.mediana_consumo_dia,
        a.z_mediana,
        a.z_anual,
        a.z_maximo,
        a.z_factor_carga,
        a.es_alerta_iqr,
        a.exceso_iqr,
        a.es_alerta_complementaria,
        a.detectores,
        a.motivo_principal,
        a.motivos,
        a.puntaje,
        a.importe_en_juego,
        a.banda_consumo,
        coalesce(b.probabilidad, v.probabilidad) as probabilidad,
        coalesce(b.meses_en_juego, v.meses_en_juego) as meses_en_juego,
        coalesce(b.probabilidad, v.probabilidad) * a.importe_en_juego * coalesce(b.meses_en_juego, v.meses_en_juego)
            as valor_esperado
    from alerta_del_periodo as a
    inner join gold_db.ref_valor_motivo as v
        on a.motivo_principal = v.motivo
        and v.banda_consumo = 'TODAS'
    left join gold_db.ref_valor_motivo as b
        on a.motivo_principal = b.motivo
        and a.banda_consumo = b.banda_consumo
),

capacidad as (
    select
        anio_mes,
        count(*) as suministros_facturados,
        cast(ceil(:capacidad_inspeccion * count(*)) as bigint) as capacidad
    from fence
    where anio_mes between :desde and :hasta
    group by anio_mes
)

select
    v.anio_mes,
    v.id_suministro,
    v.id_cliente,
    v.tipo_cliente,
    v.nivel_tension,
    v.tarifa,
    v.distrito,
    v.zona,
    v.detectores,
    v.motivo_principal,
    v.motivos,
    v.puntaje,
    v.importe_en_juego,
    v.banda_consumo,
    v.probabilidad,
    v.meses_en_juego,
    v.valor_esperado,
    v.es_alerta_iqr,
    v.exceso_iqr,
    v.es_alerta_complementaria,
    v.consumo_kwh,
    v.demanda_kw,
    v.facturacion_teorica,
    v.consumo_dia,
    v.mediana_consumo_dia,
    v.z_mediana,
    v.z_anual,
    v.z_maximo,
    v.z_factor_carga,
    c.suministros_facturados,
    c.capacidad,
    p.id_suministro is null as es_nueva
from valorado as v
inner join capacidad as c
    on v.anio_mes = c.anio_mes
left join evaluado as p
    on v.id_suministro = p.id_suministro
    and v.indice_mes - 1 = p.indice_mes
