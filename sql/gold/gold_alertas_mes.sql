-- gold_db.gold_alertas_mes
-- Build: table partitioned by anio_mes, incremental, on request
-- Grain: one row per supply alerted in a month (id_suministro, anio_mes) by the official IQR rule, the companion
--   detector or both (gold_db.gold_alertas_valoradas), ranked in one list of supplies to inspect. Partitioned by
--   anio_mes.
-- Each month's list leaves out of its capacity the supplies the lists already published sent to inspection in the
--   :meses_sin_reinspeccion months before (a second visit so soon stops nothing the first did not): so a month's list
--   reads the lists before it, and is built one month at a time, oldest first (lds_utils.detection.alerts). This
--   SELECT builds the first month of a new table, which has no list before it: nothing is left out, and
--   enviada_reciente is false. gold_alertas_mes_incremental builds every month after it.
-- Inputs: gold_db.gold_alertas_valoradas (its inputs: gold_senales_mes, gold_facturacion_teorica_mes,
--   ref_valor_motivo).
-- Parameters: those of gold_alertas_valoradas, with :desde = :hasta.
-- Ranking (prioridad 1 = inspect first): valor_esperado, the expected value of inspecting in soles (see
--   gold_alertas_valoradas); ties by puntaje, then more reasons, then id_suministro. The IQR rule stays the
--   official KPI: es_alerta_iqr is reported as is, never replaced. dentro_capacidad = prioridad <= capacidad.
with

ordenado as (
    select
        v.*,
        row_number() over (
            partition by v.anio_mes
            order by
                v.valor_esperado desc,
                v.puntaje desc,
                length(v.motivos) - length(replace(v.motivos, ',', '')) desc,
                v.id_suministro
        ) as prioridad
    from gold_db.gold_alertas_valoradas as v
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
    false as enviada_reciente,
    v.prioridad <= v.capacidad as dentro_capacidad,
    v.es_nueva
from ordenado as v
