-- gold_db.gold_alertas_mes
-- Build: table partitioned by anio_mes, on request
-- Grain: one row per supply alerted in a month of :desde..:hasta (id_suministro, anio_mes) by the
--   official IQR rule (es_atipico), by the companion detector (gold_senales_mes.es_alerta) or by both,
--   ranked in one list of supplies to inspect. Partitioned by anio_mes.
-- Inputs: gold_db.gold_senales_mes and gold_db.gold_facturacion_teorica_mes, months :desde..:hasta and
--   the month before :desde (to know which alerts are new).
-- Parameters: :desde, :hasta ('YYYY-MM', inclusive); the month calendar of :desde (lds_utils.graph.month_calendar):
--   :mes_anterior (the month before :desde), :indice_desde (:desde as year x 12 + month); :capacidad_inspeccion = inspections per month as a
--   share of the month's billed supplies.
-- Ranking (prioridad 1 = inspect first): companion alerts first, by puntaje (+1 when the IQR rule agrees),
--   then alerts of the IQR rule alone, by exceso_iqr = (valor_evaluado - q3) / iqr. On the tuning seed
--   the IQR rule's alerts that the companion does not confirm were almost all normal bills (see
--   notebooks/10_validacion.ipynb), so they only fill capacity the companion leaves free. The IQR rule
--   stays the official KPI: es_alerta_iqr is reported as is, never replaced.
--   Ties: more reasons first, then id_suministro.
-- capacidad = ceil(:capacidad_inspeccion x billed supplies of the month); dentro_capacidad = prioridad
--   <= capacidad. es_nueva: the supply had no alert (of either detector) the month before.
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
        case when es_atipico then (valor_evaluado - q3) / iqr end as exceso_iqr
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
        end as puntaje
    from evaluado as e
    where e.indice_mes >= :indice_desde
),

capacidad as (
    select
        anio_mes,
        count(*) as suministros_facturados,
        cast(ceil(:capacidad_inspeccion * count(*)) as bigint) as capacidad
    from fence
    where anio_mes between :desde and :hasta
    group by anio_mes
),

ordenado as (
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
        row_number() over (
            partition by a.anio_mes
            order by
                case when a.es_alerta_complementaria then 0 else 1 end,
                a.puntaje desc,
                length(a.motivos) - length(replace(a.motivos, ',', '')) desc,
                a.id_suministro
        ) as prioridad
    from alerta_del_periodo as a
)

select
    o.anio_mes,
    o.prioridad,
    o.id_suministro,
    o.id_cliente,
    o.tipo_cliente,
    o.nivel_tension,
    o.tarifa,
    o.distrito,
    o.zona,
    o.detectores,
    o.motivo_principal,
    o.motivos,
    o.puntaje,
    o.es_alerta_iqr,
    o.exceso_iqr,
    o.es_alerta_complementaria,
    o.consumo_kwh,
    o.demanda_kw,
    o.facturacion_teorica,
    o.consumo_dia,
    o.mediana_consumo_dia,
    o.z_mediana,
    o.z_anual,
    o.z_maximo,
    o.z_factor_carga,
    c.suministros_facturados,
    c.capacidad,
    o.prioridad <= c.capacidad as dentro_capacidad,
    p.id_suministro is null as es_nueva
from ordenado as o
inner join capacidad as c
    on o.anio_mes = c.anio_mes
left join evaluado as p
    on o.id_suministro = p.id_suministro
    and o.indice_mes - 1 = p.indice_mes
