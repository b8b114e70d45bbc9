-- gold_alertas_mes_incremental: the incremental build of gold_db.gold_alertas_mes
-- Build: incremental of gold_alertas_mes
-- Grain: one row per supply alerted in month :desde (id_suministro, anio_mes), ranked in one list of supplies to
--   inspect (see gold_alertas_mes). Partitioned by anio_mes.
-- A month's list after the table's first: the supplies that a list already published put within its capacity in the
--   :meses_sin_reinspeccion months before :desde were sent to inspection then (enviada_reciente). They stay in the
--   list, after every other alert, and outside its capacity: a second visit so soon stops nothing the first did not,
--   and the capacity goes to the next supplies.
-- Inputs: gold_db.gold_alertas_valoradas (its inputs: gold_senales_mes, gold_facturacion_teorica_mes,
--   ref_valor_motivo); gold_db.gold_alertas_mes itself, as published, for the months before :desde.
-- Parameters: those of gold_alertas_valoradas, with :desde = :hasta; :inicio_historia (a year before :desde,
--   lds_utils.graph.month_calendar); :meses_sin_reinspeccion (lds_utils.rules.companion, at most 12).
with

enviadas as (
    select distinct id_suministro
    from gold_db.gold_alertas_mes
    where anio_mes >= :inicio_historia
        and anio_mes < :desde
        and dentro_capacidad
        and cast(substr(anio_mes, 1, 4) as integer) * 12 + cast(substr(anio_mes, 6, 2) as integer)
            >= :indice_desde - :meses_sin_reinspeccion
),

ordenado as (
    select
        v.*,
        e.id_suministro is not null as enviada_reciente,
        row_number() over (
            partition by v.anio_mes
            order by
                case when e.id_suministro is null then 0 else 1 end,
                v.valor_esperado desc,
                v.puntaje desc,
                length(v.motivos) - length(replace(v.motivos, ',', '')) desc,
                v.id_suministro
        ) as prioridad
    from gold_db.gold_alertas_valoradas as v
    left join enviadas as e
        on v.id_suministro = e.id_suministro
)

select
    v.anio_mes,
    v.prioridad,
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
    v.suministros_facturados,
    v.capacidad,
    v.enviada_reciente,
    not v.enviada_reciente and v.prioridad <= v.capacidad as dentro_capacidad,
    v.es_nueva
from ordenado as v
