-- gold_db.gold_senales_mes
-- Build: table partitioned by anio_mes, on request
-- Grain: one row per billed supply-month (id_suministro, anio_mes) of :desde..:hasta with the
--   signals, reason codes and score of the companion detector. Partitioned by anio_mes.
-- Inputs: gold_db.gold_factura_evaluada_mes, the bills of gold_facturacion_teorica_mes without their fences, which no
--   signal reads (the months :desde..:hasta and the 12 before them);
--   bronze_db.ref_opcion_tarifaria (each option's voltage level, registers and whether a residence may hold it);
--   silver_db.silver_intervalo_mensual (the smart meters' intervals and tamper events in each billing period).
-- Parameters: :desde, :hasta ('YYYY-MM', inclusive); :inicio_historia (the same month a year before :desde,
--   lds_utils.graph.month_calendar); thresholds from lds_utils.alerts.parametros_deteccion():
--   :min_historia, :min_segmento (the IQR rule's, lds_utils.fence), :escala_minima, :z_alza, :z_caida,
--   :z_caida_sin_anual, :z_descenso, :z_descenso_anual, :z_factor_carga, :razon_intervalos, :razon_demanda,
--   :min_eventos_manipulacion, :min_historia_perfil, :z_perfil, :puntaje_regla.
-- The companion never reads the ground truth and does not replace the official IQR rule (es_atipico).
-- Signals, on consumption per billing day (so 28-33 day periods and two-month catch-ups compare fairly),
-- against the supply's own previous 12 months (at least :min_historia billed months):
--   log_ratio_mediana = ln(consumption / median), log_ratio_anual = ln(consumption / same month last
--   year), log_ratio_maximo = ln(consumption / highest month), log_ratio_factor_carga = ln(load factor)
--   - median ln(load factor), log_ratio_descenso = ln(mean of this month and the 2 before / median of the 10 months
--   before those three: 3..12 months back; all three months billed and above zero, at least :min_historia
--   reference months), so a fall spread over months adds up while one month's noise averages out,
--   log_ratio_perfil = ln(razon_perfil_historia), smart meters only (see PERFIL_CAMBIA). Each becomes a
--   robust z-score against the supplies of its segment
--   (tipo_cliente, nivel_tension, anio_mes; at least :min_segmento): z = (x - median) / max(1.4826 MAD,
--   :escala_minima). Subtracting the segment's median takes out what moves every supply at once
--   (season, tariff level); medians are exact (mean of the middle one or two values).
-- Reason codes (motivos, comma-separated; motivo_principal is the first in this order):
--   REGISTRO_RETROCEDE      a reading below the previous one that is not a register rollover (first: such a month
--                           bills nothing, so it is also a zero, and the register is its cause)
--   INTERVALOS_DISCREPAN    smart meter: over a billing period its intervals cover whole (periodo_completo), the
--                           intervals' energy and the register difference differ by more than a factor
--                           :razon_intervalos either way (razon_intervalos_registro), on a real reading that does not
--                           follow an estimated one (an estimate and its catch-up differ by design): the register
--                           reading is wrong (a misread, a factor or decimal error) while the meter measured right
--   DEMANDA_DISCREPA        smart meter: over a billing period with every interval valid, on a real reading that does
--                           not follow an estimated one, the register's maximum demand and 4 x the largest interval
--                           differ by more than a factor :razon_demanda either way (razon_demanda_intervalos): the
--                           demand register is wrong (a factor error, a demand that the energy cannot give)
--   EVENTO_MANIPULACION     smart meter: at least :min_eventos_manipulacion tamper events (cover opened, magnetic
--                           field, reverse energy) logged in the billing period: tampering leaves a burst, while a
--                           lone event is what maintenance and the background rate give
--   PERFIL_CAMBIA           smart meter: z of log_ratio_perfil > :z_perfil, the period's night/day ratio (silver
--                           ratio_noche_dia) risen against the median of the supply's previous 12 months' (at least
--                           :min_historia_perfil of them), each from one meter over a whole period: the day's load
--                           left the meter while its night base stayed (a bypass of the appliance circuits; an empty
--                           home flattens its day too). Against its segment, as a day that is mostly base load (a
--                           shop's night) moves more with the month's appliance use than a home's
--   CONSUMO_CERO            zero consumption on a supply that was read (it is active)
--   FACTOR_CARGA_MAYOR_1    kWh / (max demand x 24 h x days) > 1: the demand cannot be right
--   OPCION_INCOMPATIBLE     tariff option of the other voltage level, or a residential supply on an option that
--                           does not admit residences (admite_residencial: BT5B/BT5A)
--   CONSUMO_ALTO            z of log_ratio_maximo > :z_alza: far above even its highest recent month
--   CONSUMO_BAJO            z of log_ratio_mediana < -:z_caida, confirmed by the same month last year
--                           (z < -:z_caida) or, without it, z of log_ratio_mediana < -:z_caida_sin_anual
--   DESCENSO_GRADUAL        z of log_ratio_descenso < -:z_descenso, each of the three months below the reference
--                           median, and the month below the same month last year (z of log_ratio_anual <
--                           -:z_descenso_anual; without it, no alert: a supply's own seasons, which the segment's
--                           centre does not take out, otherwise look like a fall after its high season)
--   FACTOR_CARGA_ATIPICO    |z of log_ratio_factor_carga| > :z_factor_carga: demand inconsistent with energy
--   RECUPERO_TRAS_ESTIMADA  first real reading after an estimated month, above the supply's median
--   ESTIMADA_BAJA           estimated reading below the supply's median (under-billing to be recovered)
--   OPCION_NUEVA            option changed from last month to one not held in the previous 12 months
--                           that reads the same registers (doble_registro: no meter change explains it)
-- Supplies without a smart meter (no row in silver_intervalo_mensual) have null interval signals and none of the four
-- smart-meter codes.
-- puntaje: :puntaje_regla for a consistency rule (all codes but CONSUMO_ALTO, CONSUMO_BAJO, DESCENSO_GRADUAL,
--   FACTOR_CARGA_ATIPICO and PERFIL_CAMBIA), else the |z| of the statistical reason (for CONSUMO_BAJO the weaker of its
--   two confirmations); the highest applies. 0 when there is no alert.
with

opcion as (
    select
        opcion_tarifaria,
        nivel_tension,
        doble_registro,
        admite_residencial
    from bronze_db.ref_opcion_tarifaria
),

factura as (
    select
        id_suministro,
        id_cliente,
        anio_mes,
        anio * 12 + mes as indice_mes,
        tipo_cliente,
        nivel_tension,
        tarifa,
        distrito,
        zona,
        consumo_kwh,
        demanda_kw,
        dias_facturados,
        es_estimada,
        n_retrocesos,
        facturacion_teorica,
        case when dias_facturados > 0 then consumo_kwh / dias_facturados end as consumo_dia,
        case
            when demanda_kw > 0 and dias_facturados > 0 then consumo_kwh / (demanda_kw * 24 * dias_facturados)
        end as factor_carga
    from gold_db.gold_factura_evaluada_mes
    -- 12 months of history: from the same month of the previous year
    where anio_mes between :inicio_historia and :hasta
),

historia as (
    select
        a.id_suministro,
        a.anio_mes,
        a.tarifa as tarifa_actual,
        a.indice_mes - h.indice_mes as meses_atras,
        h.consumo_dia,
        case when h.factor_carga > 0 then ln(h.factor_carga) end as log_factor_carga,
        h.tarifa,
        h.es_estimada
    from factura as a
    inner join factura as h
        on a.id_suministro = h.id_suministro
        and h.indice_mes between a.indice_mes - 12 and a.indice_mes - 1
    where a.anio_mes between :desde and :hasta
),

-- The smart meters' evidence on each billing period; a supply whose meter changed in the month adds its meters'.
intervalo as (
    select
        id_suministro,
        anio_mes,
        bool_and(coalesce(periodo_completo, false)) as periodo_completo,
        sum(kwh_intervalos) as kwh_intervalos,
        sum(kwh_registro) as kwh_registro,
        sum(eventos_manipulacion) as eventos_manipulacion,
        -- one meter in the month: a replaced meter's register closes only part of the period
        case
            when count(*) = 1 and bool_and(coincide_demanda is not null) and max(demanda_max_intervalo_kw) > 0
                then max(demanda_registro_kw) / max(demanda_max_intervalo_kw)
        end as razon_demanda_intervalos
    from silver_db.silver_intervalo_mensual
    where anio_mes between :desde and :hasta
    group by id_suministro, anio_mes
),

-- The load profile of each billing period that one meter covers whole: its night/day ratio.
perfil as (
    select
        id_suministro,
        anio_mes,
        cast(substr(anio_mes, 1, 4) as integer) * 12 + cast(substr(anio_mes, 6, 2) as integer) as indice_mes,
        max(ratio_noche_dia) as ratio_noche_dia
    from silver_db.silver_intervalo_mensual
    where anio_mes between :inicio_historia and :hasta
    group by id_suministro, anio_mes
    having count(*) = 1 and bool_and(coalesce(periodo_completo, false)) and max(ratio_noche_dia) > 0
),

-- Each period's ratio against the supply's ratios of the previous 12 months.
perfil_historia as (
    select
        a.id_suministro,
        a.anio_mes,
        a.ratio_noche_dia,
        array_agg(h.ratio_noche_dia) as ratios_previos
    from perfil as a
    inner join perfil as h
        on a.id_suministro = h.id_suministro
        and h.indice_mes between a.indice_mes - 12 and a.indice_mes - 1
    where a.anio_mes between :desde and :hasta
    group by a.id_suministro, a.anio_mes, a.ratio_noche_dia
),

perfil_cambio as (
    select
        id_suministro,
        anio_mes,
        ratio_noche_dia / case
            when cardinality(ratios_previos) = 0 then null
            when cardinality(ratios_previos) % 2 = 1
                then element_at(array_sort(ratios_previos), cast((cardinality(ratios_previos) + 1) / 2 as integer))
            else (
                element_at(array_sort(ratios_previos), cast(cardinality(ratios_previos) / 2 as integer))
                + element_at(array_sort(ratios_previos), cast(cardinality(ratios_previos) / 2 as integer) + 1)
            ) / 2
        end as razon_perfil_historia
    from perfil_historia
    where cardinality(ratios_previos) >= :min_historia_perfil
),

-- The previous months' values as arrays (nulls left out), so each median is the middle of a sorted array, as in
-- gold_factura_evaluada_mes: DuckDB runs it as list_median, which sorts nothing (lds_utils.sql.SORTED_ARRAY_MEDIAN).
historia_agrupada as (
    select
        id_suministro,
        anio_mes,
        array_agg(consumo_dia) filter (where consumo_dia is not null) as consumos,
        array_agg(log_factor_carga) filter (where log_factor_carga is not null) as cargas,
        max(consumo_dia) as maximo_consumo_dia,
        max(case when meses_atras = 12 then consumo_dia end) as consumo_dia_anio_anterior,
        array_agg(consumo_dia) filter (where consumo_dia is not null and meses_atras >= 3) as consumos_referencia,
        max(case when meses_atras = 1 then consumo_dia end) as consumo_dia_mes_1,
        max(case when meses_atras = 2 then consumo_dia end) as consumo_dia_mes_2,
        max(case when meses_atras = 1 then tarifa end) as tarifa_mes_anterior,
        count_if(tarifa = tarifa_actual) > 0 as tarifa_en_historia,
        count_if(meses_atras = 1 and es_estimada) > 0 as estimada_mes_anterior
    from historia
    group by id_suministro, anio_mes
),

resumen_historia as (
    select
        id_suministro,
        anio_mes,
        coalesce(cardinality(consumos), 0) as n_historia,
        coalesce(cardinality(cargas), 0) as n_historia_carga,
        case
            when cardinality(consumos) = 0 then null
            when cardinality(consumos) % 2 = 1
                then element_at(array_sort(consumos), cast((cardinality(consumos) + 1) / 2 as integer))
            else (
                element_at(array_sort(consumos), cast(cardinality(consumos) / 2 as integer))
                + element_at(array_sort(consumos), cast(cardinality(consumos) / 2 as integer) + 1)
            ) / 2
        end as mediana_consumo_dia,
        maximo_consumo_dia,
        consumo_dia_anio_anterior,
        coalesce(cardinality(consumos_referencia), 0) as n_referencia_descenso,
        case
            when cardinality(consumos_referencia) = 0 then null
            when cardinality(consumos_referencia) % 2 = 1
                then element_at(
                    array_sort(consumos_referencia), cast((cardinality(consumos_referencia) + 1) / 2 as integer)
                )
            else (
                element_at(array_sort(consumos_referencia), cast(cardinality(consumos_referencia) / 2 as integer))
                + element_at(
                    array_sort(consumos_referencia), cast(cardinality(consumos_referencia) / 2 as integer) + 1
                )
            ) / 2
        end as mediana_referencia_descenso,
        consumo_dia_mes_1,
        consumo_dia_mes_2,
        case
            when cardinality(cargas) = 0 then null
            when cardinality(cargas) % 2 = 1
                then element_at(array_sort(cargas), cast((cardinality(cargas) + 1) / 2 as integer))
            else (
                element_at(array_sort(cargas), cast(cardinality(cargas) / 2 as integer))
                + element_at(array_sort(cargas), cast(cardinality(cargas) / 2 as integer) + 1)
            ) / 2
        end as mediana_log_factor_carga,
        tarifa_mes_anterior,
        tarifa_en_historia,
        estimada_mes_anterior
    from historia_agrupada
),

senal as (
    select
        f.id_suministro,
        f.id_cliente,
        f.anio_mes,
        f.tipo_cliente,
        f.nivel_tension,
        f.tarifa,
        f.distrito,
        f.zona,
        f.consumo_kwh,
        f.demanda_kw,
        f.dias_facturados,
        f.es_estimada,
        f.n_retrocesos,
        f.facturacion_teorica,
        f.consumo_dia,
        f.factor_carga,
        coalesce(r.n_historia, 0) as n_historia,
        r.mediana_consumo_dia,
        r.maximo_consumo_dia,
        r.consumo_dia_anio_anterior,
        r.mediana_referencia_descenso,
        case
            when f.consumo_dia > 0 and r.consumo_dia_mes_1 > 0 and r.consumo_dia_mes_2 > 0
                then (f.consumo_dia + r.consumo_dia_mes_1 + r.consumo_dia_mes_2) / 3
        end as media_consumo_dia_3m,
        greatest(f.consumo_dia, r.consumo_dia_mes_1, r.consumo_dia_mes_2) < r.mediana_referencia_descenso
            as tres_meses_bajo_referencia,
        r.tarifa_mes_anterior,
        case
            when i.periodo_completo and i.kwh_registro > 0 then i.kwh_intervalos / i.kwh_registro
        end as razon_intervalos_registro,
        i.razon_demanda_intervalos,
        i.eventos_manipulacion,
        p.razon_perfil_historia,
        coalesce(r.tarifa_en_historia, false) as tarifa_en_historia,
        coalesce(r.estimada_mes_anterior, false) as estimada_mes_anterior,
        case
            when r.n_historia >= :min_historia and f.consumo_dia > 0 and r.mediana_consumo_dia > 0
                then ln(f.consumo_dia / r.mediana_consumo_dia)
        end as log_ratio_mediana,
        case
            when f.consumo_dia > 0 and r.consumo_dia_anio_anterior > 0
                then ln(f.consumo_dia / r.consumo_dia_anio_anterior)
        end as log_ratio_anual,
        case
            when r.n_historia >= :min_historia and f.consumo_dia > 0 and r.maximo_consumo_dia > 0
                then ln(f.consumo_dia / r.maximo_consumo_dia)
        end as log_ratio_maximo,
        case
            when r.n_historia_carga >= :min_historia and f.factor_carga > 0
                then ln(f.factor_carga) - r.mediana_log_factor_carga
        end as log_ratio_factor_carga,
        case
            when r.n_referencia_descenso >= :min_historia and f.consumo_dia > 0 and r.consumo_dia_mes_1 > 0
                and r.consumo_dia_mes_2 > 0 and r.mediana_referencia_descenso > 0
                then ln(
                    (f.consumo_dia + r.consumo_dia_mes_1 + r.consumo_dia_mes_2) / 3 / r.mediana_referencia_descenso
                )
        end as log_ratio_descenso,
        ln(p.razon_perfil_historia) as log_ratio_perfil
    from factura as f
    left join resumen_historia as r
        on f.id_suministro = r.id_suministro
        and f.anio_mes = r.anio_mes
    left join intervalo as i
        on f.id_suministro = i.id_suministro
        and f.anio_mes = i.anio_mes
    left join perfil_cambio as p
        on f.id_suministro = p.id_suministro
        and f.anio_mes = p.anio_mes
    where f.anio_mes between :desde and :hasta
),

-- The five log ratios stacked (one row per supply-month and signal, from one read of senal), to take each one's
-- median and MAD per segment with one computation.
senal_larga as (
    select
        s.tipo_cliente,
        s.nivel_tension,
        s.anio_mes,
        k.senal,
        case k.senal
            when 'mediana' then s.log_ratio_mediana
            when 'anual' then s.log_ratio_anual
            when 'maximo' then s.log_ratio_maximo
            when 'factor_carga' then s.log_ratio_factor_carga
            when 'descenso' then s.log_ratio_descenso
            when 'perfil' then s.log_ratio_perfil
        end as valor
    from senal as s
    cross join (values ('mediana'), ('anual'), ('maximo'), ('factor_carga'), ('descenso'), ('perfil')) as k (senal)
),

valores_segmento as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        senal,
        count(*) as n_segmento,
        array_agg(valor) as valores
    from senal_larga
    where valor is not null
    group by tipo_cliente, nivel_tension, anio_mes, senal
),

centro as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        senal,
        n_segmento,
        valores,
        case
            when cardinality(valores) = 0 then null
            when cardinality(valores) % 2 = 1
                then element_at(array_sort(valores), cast((cardinality(valores) + 1) / 2 as integer))
            else (
                element_at(array_sort(valores), cast(cardinality(valores) / 2 as integer))
                + element_at(array_sort(valores), cast(cardinality(valores) / 2 as integer) + 1)
            ) / 2
        end as centro
    from valores_segmento
),

-- Each value's distance to its segment's centre, from the same array (the values are not read again).
desvios_segmento as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        senal,
        transform(valores, valor -> abs(valor - centro)) as desvios
    from centro
),

escala as (
    select
        tipo_cliente,
        nivel_tension,
        anio_mes,
        senal,
        1.4826e0 * case
            when cardinality(desvios) = 0 then null
            when cardinality(desvios) % 2 = 1
                then element_at(array_sort(desvios), cast((cardinality(desvios) + 1) / 2 as integer))
            else (
                element_at(array_sort(desvios), cast(cardinality(desvios) / 2 as integer))
                + element_at(array_sort(desvios), cast(cardinality(desvios) / 2 as integer) + 1)
            ) / 2
        end as mad_normalizada
    from desvios_segmento
),

referencia_segmento as (
    select
        c.tipo_cliente,
        c.nivel_tension,
        c.anio_mes,
        max(case when c.senal = 'mediana' then c.centro end) as centro_mediana,
        max(case when c.senal = 'mediana' then greatest(e.mad_normalizada, :escala_minima) end) as escala_mediana,
        max(case when c.senal = 'anual' then c.centro end) as centro_anual,
        max(case when c.senal = 'anual' then greatest(e.mad_normalizada, :escala_minima) end) as escala_anual,
        max(case when c.senal = 'maximo' then c.centro end) as centro_maximo,
        max(case when c.senal = 'maximo' then greatest(e.mad_normalizada, :escala_minima) end) as escala_maximo,
        max(case when c.senal = 'factor_carga' then c.centro end) as centro_factor_carga,
        max(case when c.senal = 'factor_carga' then greatest(e.mad_normalizada, :escala_minima) end)
            as escala_factor_carga,
        max(case when c.senal = 'descenso' then c.centro end) as centro_descenso,
        max(case when c.senal = 'descenso' then greatest(e.mad_normalizada, :escala_minima) end) as escala_descenso,
        max(case when c.senal = 'perfil' then c.centro end) as centro_perfil,
        max(case when c.senal = 'perfil' then greatest(e.mad_normalizada, :escala_minima) end) as escala_perfil
    from centro as c
    inner join escala as e
        on c.tipo_cliente = e.tipo_cliente
        and c.nivel_tension = e.nivel_tension
        and c.anio_mes = e.anio_mes
        and c.senal = e.senal
    where c.n_segmento >= :min_segmento
    group by c.tipo_cliente, c.nivel_tension, c.anio_mes
),

puntuado as (
    select
        s.id_suministro,
        s.id_cliente,
        s.anio_mes,
        s.tipo_cliente,
        s.nivel_tension,
        s.tarifa,
        s.distrito,
        s.zona,
        s.consumo_kwh,
        s.demanda_kw,
        s.dias_facturados,
        s.es_estimada,
        s.n_retrocesos,
        s.facturacion_teorica,
        s.consumo_dia,
        s.factor_carga,
        s.n_historia,
        s.mediana_consumo_dia,
        s.maximo_consumo_dia,
        s.consumo_dia_anio_anterior,
        s.mediana_referencia_descenso,
        s.media_consumo_dia_3m,
        s.tres_meses_bajo_referencia,
        s.tarifa_mes_anterior,
        s.razon_intervalos_registro,
        s.razon_demanda_intervalos,
        s.eventos_manipulacion,
        s.razon_perfil_historia,
        s.log_ratio_mediana,
        s.log_ratio_anual,
        s.log_ratio_maximo,
        s.log_ratio_factor_carga,
        s.log_ratio_descenso,
        s.log_ratio_perfil,
        (s.log_ratio_mediana - r.centro_mediana) / r.escala_mediana as z_mediana,
        (s.log_ratio_anual - r.centro_anual) / r.escala_anual as z_anual,
        (s.log_ratio_maximo - r.centro_maximo) / r.escala_maximo as z_maximo,
        (s.log_ratio_factor_carga - r.centro_factor_carga) / r.escala_factor_carga as z_factor_carga,
        (s.log_ratio_descenso - r.centro_descenso) / r.escala_descenso as z_descenso,
        (s.log_ratio_perfil - r.centro_perfil) / r.escala_perfil as z_perfil,
        s.consumo_kwh = 0 as es_consumo_cero,
        s.n_retrocesos > 0 as es_registro_retrocede,
        coalesce(
            not s.es_estimada and not s.estimada_mes_anterior
            and (
                s.razon_intervalos_registro > :razon_intervalos
                or s.razon_intervalos_registro < 1 / :razon_intervalos
            ),
            false
        ) as es_intervalos_discrepan,
        coalesce(
            not s.es_estimada and not s.estimada_mes_anterior
            and (
                s.razon_demanda_intervalos > :razon_demanda
                or s.razon_demanda_intervalos < 1 / :razon_demanda
            ),
            false
        ) as es_demanda_discrepa,
        coalesce(s.eventos_manipulacion >= :min_eventos_manipulacion, false) as es_evento_manipulacion,
        coalesce(s.factor_carga > 1, false) as es_factor_carga_mayor_1,
        coalesce(
            o.nivel_tension <> s.nivel_tension
            or (s.tipo_cliente = 'RESIDENCIAL' and not o.admite_residencial),
            false
        ) as es_opcion_incompatible,
        coalesce(
            s.tarifa <> s.tarifa_mes_anterior
            and not s.tarifa_en_historia
            and o.doble_registro = oa.doble_registro,
            false
        ) as es_opcion_nueva,
        coalesce(s.es_estimada and s.consumo_dia < s.mediana_consumo_dia, false) as es_estimada_baja,
        coalesce(
            s.estimada_mes_anterior and not s.es_estimada and s.consumo_dia > s.mediana_consumo_dia, false
        ) as es_recupero_tras_estimada
    from senal as s
    left join referencia_segmento as r
        on s.tipo_cliente = r.tipo_cliente
        and s.nivel_tension = r.nivel_tension
        and s.anio_mes = r.anio_mes
    left join opcion as o
        on s.tarifa = o.opcion_tarifaria
    -- the option of the month before
    left join opcion as oa
        on s.tarifa_mes_anterior = oa.opcion_tarifaria
),

motivado as (
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
        dias_facturados,
        es_estimada,
        n_retrocesos,
        facturacion_teorica,
        consumo_dia,
        factor_carga,
        n_historia,
        mediana_consumo_dia,
        maximo_consumo_dia,
        consumo_dia_anio_anterior,
        mediana_referencia_descenso,
        media_consumo_dia_3m,
        tarifa_mes_anterior,
        razon_intervalos_registro,
        razon_demanda_intervalos,
        eventos_manipulacion,
        razon_perfil_historia,
        log_ratio_mediana,
        log_ratio_anual,
        log_ratio_maximo,
        log_ratio_factor_carga,
        log_ratio_descenso,
        log_ratio_perfil,
        z_mediana,
        z_anual,
        z_maximo,
        z_factor_carga,
        z_descenso,
        z_perfil,
        es_consumo_cero,
        es_registro_retrocede,
        es_intervalos_discrepan,
        es_demanda_discrepa,
        es_evento_manipulacion,
        coalesce(z_perfil > :z_perfil, false) as es_perfil_cambia,
        es_factor_carga_mayor_1,
        es_opcion_incompatible,
        coalesce(z_maximo > :z_alza, false) as es_consumo_alto,
        coalesce(
            -z_mediana > :z_caida
            and (-z_anual > :z_caida or (z_anual is null and -z_mediana > :z_caida_sin_anual)),
            false
        ) as es_consumo_bajo,
        coalesce(-z_descenso > :z_descenso and tres_meses_bajo_referencia and -z_anual > :z_descenso_anual, false)
            as es_descenso_gradual,
        coalesce(abs(z_factor_carga) > :z_factor_carga, false) as es_factor_carga_atipico,
        es_recupero_tras_estimada,
        es_estimada_baja,
        es_opcion_nueva,
        es_consumo_cero or es_registro_retrocede or es_intervalos_discrepan or es_demanda_discrepa
            or es_evento_manipulacion or es_factor_carga_mayor_1 or es_opcion_incompatible
            or es_recupero_tras_estimada or es_estimada_baja or es_opcion_nueva as es_regla
    from puntuado
)

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
    dias_facturados,
    es_estimada,
    n_retrocesos,
    facturacion_teorica,
    consumo_dia,
    factor_carga,
    n_historia,
    mediana_consumo_dia,
    maximo_consumo_dia,
    consumo_dia_anio_anterior,
    mediana_referencia_descenso,
    media_consumo_dia_3m,
    tarifa_mes_anterior,
    razon_intervalos_registro,
    razon_demanda_intervalos,
    eventos_manipulacion,
    razon_perfil_historia,
    log_ratio_mediana,
    log_ratio_anual,
    log_ratio_maximo,
    log_ratio_factor_carga,
    log_ratio_descenso,
    log_ratio_perfil,
    z_mediana,
    z_anual,
    z_maximo,
    z_factor_carga,
    z_descenso,
    z_perfil,
    es_consumo_cero,
    es_registro_retrocede,
    es_intervalos_discrepan,
    es_demanda_discrepa,
    es_evento_manipulacion,
    es_perfil_cambia,
    es_factor_carga_mayor_1,
    es_opcion_incompatible,
    es_consumo_alto,
    es_consumo_bajo,
    es_descenso_gradual,
    es_factor_carga_atipico,
    es_recupero_tras_estimada,
    es_estimada_baja,
    es_opcion_nueva,
    es_regla or es_perfil_cambia or es_consumo_alto or es_consumo_bajo or es_descenso_gradual
        or es_factor_carga_atipico as es_alerta,
    case
        when es_registro_retrocede then 'REGISTRO_RETROCEDE'
        when es_intervalos_discrepan then 'INTERVALOS_DISCREPAN'
        when es_demanda_discrepa then 'DEMANDA_DISCREPA'
        when es_evento_manipulacion then 'EVENTO_MANIPULACION'
        when es_perfil_cambia then 'PERFIL_CAMBIA'
        when es_consumo_cero then 'CONSUMO_CERO'
        when es_factor_carga_mayor_1 then 'FACTOR_CARGA_MAYOR_1'
        when es_opcion_incompatible then 'OPCION_INCOMPATIBLE'
        when es_consumo_alto then 'CONSUMO_ALTO'
        when es_consumo_bajo then 'CONSUMO_BAJO'
        when es_descenso_gradual then 'DESCENSO_GRADUAL'
        when es_factor_carga_atipico then 'FACTOR_CARGA_ATIPICO'
        when es_recupero_tras_estimada then 'RECUPERO_TRAS_ESTIMADA'
        when es_estimada_baja then 'ESTIMADA_BAJA'
        when es_opcion_nueva then 'OPCION_NUEVA'
    end as motivo_principal,
    concat_ws(
        ',',
        case when es_registro_retrocede then 'REGISTRO_RETROCEDE' end,
        case when es_intervalos_discrepan then 'INTERVALOS_DISCREPAN' end,
        case when es_demanda_discrepa then 'DEMANDA_DISCREPA' end,
        case when es_evento_manipulacion then 'EVENTO_MANIPULACION' end,
        case when es_perfil_cambia then 'PERFIL_CAMBIA' end,
        case when es_consumo_cero then 'CONSUMO_CERO' end,
        case when es_factor_carga_mayor_1 then 'FACTOR_CARGA_MAYOR_1' end,
        case when es_opcion_incompatible then 'OPCION_INCOMPATIBLE' end,
        case when es_consumo_alto then 'CONSUMO_ALTO' end,
        case when es_consumo_bajo then 'CONSUMO_BAJO' end,
        case when es_descenso_gradual then 'DESCENSO_GRADUAL' end,
        case when es_factor_carga_atipico then 'FACTOR_CARGA_ATIPICO' end,
        case when es_recupero_tras_estimada then 'RECUPERO_TRAS_ESTIMADA' end,
        case when es_estimada_baja then 'ESTIMADA_BAJA' end,
        case when es_opcion_nueva then 'OPCION_NUEVA' end
    ) as motivos,
    greatest(
        case when es_regla then :puntaje_regla else 0e0 end,
        case when es_consumo_alto then z_maximo else 0e0 end,
        case when es_consumo_bajo then -greatest(z_mediana, coalesce(z_anual, z_mediana)) else 0e0 end,
        case when es_descenso_gradual then -z_descenso else 0e0 end,
        case when es_factor_carga_atipico then abs(z_factor_carga) else 0e0 end,
        case when es_perfil_cambia then z_perfil else 0e0 end
    ) as puntaje
from motivado
