-- gold_db.gold_factura_mes (ephemeral)
-- Build: ephemeral
-- Grain: one row per billed supply-month (id_suministro, anio_mes) of :desde..:hasta; a supply-month is
--   billed when silver has at least one consumption difference for it.
-- The theoretical bill without its evaluation: the part that the full and the incremental SELECT of
-- gold_factura_evaluada_mes share. Never stored: the runner inlines it as common table expressions into the
-- statements that read it (lds_utils.graph.statement), so it costs what it cost inside one file.
-- Inputs: silver_db.silver_consumo_mensual and bronze_db.bronze_tarifa (the months :desde..:hasta);
--   bronze_db.bronze_suministro, bronze_cliente, bronze_sector, bronze_asignacion_tarifa, ref_opcion_tarifaria
--   (which options read two registers, charge power, give FOSE).
-- Parameters: :desde, :hasta ('YYYY-MM', inclusive) = months to compute; :suministro_desde,
--   :suministro_hasta = the supplies to compute, id_suministro in [desde, hasta) with '' as no bound
--   (Athena computes all; DuckDB computes a big run in slices, lds_utils.pipeline.supply_slices); the
--   billing rules of lds_utils.billing.billing_parameters(): :igv, :fose_*, :recargo_fose*, :ap_tramo*.
-- Steps:
--   1. Tariff in force: the assignment covering the supply's last reading of the month (the latest
--      starting one if two overlap) joined to that option's pliego of the month. The overlaps are
--      resolved once per supply on the assignments' own timeline (tramo_vigente), so each billed month
--      finds its tariff with a plain join instead of a window over every supply-month.
--   2. Theoretical bill: cargo fijo + energy (single or HP/HFP registers) + power (demand options)
--      + alumbrado público - FOSE discount + FOSE surcharge, then IGV (see lds_utils/billing.py).
with


silver as (
    select
        id_suministro,
        anio_mes,
        anio,
        mes,
        consumo_kwh,
        -- kWh not read on an HP register (a single-register meter in the month) are billed as HFP
        coalesce(consumo_kwh_hp, 0.0) as consumo_kwh_hp,
        consumo_kwh - coalesce(consumo_kwh_hp, 0.0) as consumo_kwh_hfp,
        demanda_max_kw,
        dias_facturados,
        fecha_ultima_lectura,
        es_estimada,
        n_retrocesos,
        pct_error
    from silver_db.silver_consumo_mensual
    where anio_mes between :desde and :hasta
        and n_diferencias > 0
        and id_suministro >= :suministro_desde
        and (:suministro_hasta = '' or id_suministro < :suministro_hasta)
),

suministro as (
    select
        id_suministro,
        id_cliente,
        id_sector,
        nivel_tension
    from bronze_db.bronze_suministro
    where id_suministro >= :suministro_desde
        and (:suministro_hasta = '' or id_suministro < :suministro_hasta)
),

cliente as (
    select
        id_cliente,
        tipo_cliente
    from bronze_db.bronze_cliente
),

sector as (
    select
        id_sector,
        distrito,
        zona
    from bronze_db.bronze_sector
),

asignacion as (
    select
        id_asignacion,
        id_suministro,
        opcion_tarifaria,
        fecha_inicio,
        fecha_fin
    from bronze_db.bronze_asignacion_tarifa
    where id_suministro >= :suministro_desde
        and (:suministro_hasta = '' or id_suministro < :suministro_hasta)
),

opcion as (
    select
        opcion_tarifaria,
        doble_registro,
        cobra_potencia,
        aplica_fose
    from bronze_db.ref_opcion_tarifaria
),

tarifa as (
    select
        opcion_tarifaria,
        anio_mes,
        cargo_fijo,
        cargo_energia,
        cargo_energia_hp,
        cargo_energia_hfp,
        cargo_potencia_generacion,
        cargo_potencia_distribucion
    from bronze_db.bronze_tarifa
    where anio_mes between :desde and :hasta
),

-- Stretches of a supply's timeline over which the set of covering assignments does not change: they
-- start at every fecha_inicio and on the day after every fecha_fin.
limite_tramo as (
    select id_suministro, fecha_inicio as desde
    from asignacion

    union

    select id_suministro, cast(date_add('day', 1, fecha_fin) as date) as desde
    from asignacion
    where fecha_fin is not null
),

tramo as (
    select
        id_suministro,
        desde,
        cast(date_add('day', -1, lead(desde) over (partition by id_suministro order by desde)) as date) as hasta
    from limite_tramo
),

-- The assignment in force on each stretch: the latest starting one among those covering it.
tramo_con_asignacion as (
    select
        t.id_suministro,
        t.desde,
        t.hasta,
        a.opcion_tarifaria,
        row_number() over (
            partition by t.id_suministro, t.desde
            order by a.fecha_inicio desc, a.id_asignacion desc
        ) as prioridad
    from tramo as t
    inner join asignacion as a
        on t.id_suministro = a.id_suministro
        and a.fecha_inicio <= t.desde
        and (a.fecha_fin is null or a.fecha_fin >= t.desde)
),

-- With the attributes of its option, joined once per stretch rather than once per bill.
tramo_vigente as (
    select
        t.id_suministro,
        t.desde,
        t.hasta,
        t.opcion_tarifaria,
        o.doble_registro,
        o.cobra_potencia,
        o.aplica_fose
    from tramo_con_asignacion as t
    left join opcion as o
        on t.opcion_tarifaria = o.opcion_tarifaria
    where t.prioridad = 1
),

consumo_con_contexto as (
    select
        s.id_suministro,
        su.id_cliente,
        s.anio_mes,
        s.anio,
        s.mes,
        c.tipo_cliente,
        su.nivel_tension,
        av.opcion_tarifaria as tarifa,
        su.id_sector,
        se.distrito,
        se.zona,
        s.consumo_kwh,
        s.consumo_kwh_hp,
        s.consumo_kwh_hfp,
        s.demanda_max_kw as demanda_kw,
        s.dias_facturados,
        s.es_estimada,
        s.n_retrocesos,
        s.pct_error,
        t.cargo_fijo,
        t.cargo_energia,
        t.cargo_energia_hp,
        t.cargo_energia_hfp,
        t.cargo_potencia_generacion,
        t.cargo_potencia_distribucion,
        av.doble_registro,
        av.cobra_potencia,
        case when s.anio_mes < :fose_reforma_desde then :fose_umbral_kwh_antes else :fose_umbral_kwh end
            as fose_umbral_kwh,
        case when s.anio_mes < :fose_reforma_desde then :recargo_fose_antes else :recargo_fose end
            as recargo_fose,
        c.tipo_cliente = 'RESIDENCIAL' and coalesce(av.aplica_fose, false) as aplica_fose
    from silver as s
    inner join suministro as su
        on s.id_suministro = su.id_suministro
    inner join cliente as c
        on su.id_cliente = c.id_cliente
    inner join sector as se
        on su.id_sector = se.id_sector
    left join tramo_vigente as av
        on s.id_suministro = av.id_suministro
        and av.desde <= s.fecha_ultima_lectura
        and (av.hasta is null or av.hasta >= s.fecha_ultima_lectura)
    left join tarifa as t
        on av.opcion_tarifaria = t.opcion_tarifaria
        and s.anio_mes = t.anio_mes
),

cargos as (
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
        cargo_energia,
        fose_umbral_kwh,
        recargo_fose,
        aplica_fose,
        cargo_fijo as cargo_fijo_soles,
        case
            when not doble_registro then consumo_kwh * cargo_energia / 100
            else consumo_kwh_hp * cargo_energia_hp / 100 + consumo_kwh_hfp * cargo_energia_hfp / 100
        end as energia_soles,
        case
            when cobra_potencia
                then coalesce(demanda_kw, 0.0) * (cargo_potencia_generacion + cargo_potencia_distribucion)
            else 0.0
        end as potencia_soles,
        case
            when tipo_cliente = 'ALUMBRADO_PUBLICO' then 0.0
            when consumo_kwh <= :ap_tramo1_hasta_kwh then :ap_tramo1_soles
            when consumo_kwh <= :ap_tramo2_hasta_kwh then :ap_tramo2_soles
            when consumo_kwh <= :ap_tramo3_hasta_kwh then :ap_tramo3_soles
            when consumo_kwh <= :ap_tramo4_hasta_kwh then :ap_tramo4_soles
            else :ap_tramo5_soles
        end as alumbrado_soles
    from consumo_con_contexto
),

fose as (
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
        cargo_fijo_soles,
        energia_soles,
        potencia_soles,
        alumbrado_soles,
        case
            when not aplica_fose then 0.0
            when consumo_kwh <= :fose_tramo1_kwh then energia_soles * :fose_tramo1_descuento
            when consumo_kwh <= fose_umbral_kwh then :fose_tramo2_kwh_descontados * cargo_energia / 100
            else 0.0
        end as descuento_fose_soles,
        case
            when aplica_fose and consumo_kwh > fose_umbral_kwh then energia_soles * recargo_fose
            else 0.0
        end as recargo_fose_soles
    from cargos
),

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
        cargo_fijo_soles,
        energia_soles,
        potencia_soles,
        alumbrado_soles,
        descuento_fose_soles,
        recargo_fose_soles,
        cargo_fijo_soles + energia_soles + potencia_soles + alumbrado_soles
            - descuento_fose_soles + recargo_fose_soles as subtotal_soles
    from fose
),

factura_con_igv as (
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
        cargo_fijo_soles,
        energia_soles,
        potencia_soles,
        alumbrado_soles,
        descuento_fose_soles,
        recargo_fose_soles,
        subtotal_soles,
        subtotal_soles * :igv as igv_soles,
        subtotal_soles + subtotal_soles * :igv as facturacion_teorica
    from factura
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
    cargo_fijo_soles,
    energia_soles,
    potencia_soles,
    alumbrado_soles,
    descuento_fose_soles,
    recargo_fose_soles,
    subtotal_soles,
    igv_soles,
    facturacion_teorica
from factura_con_igv
