-- silver_db.silver_intervalo_mensual
-- Build: table partitioned by anio_mes
-- Grain: one row per smart meter and billing month (id_medidor, anio_mes): the register period that the meter's
--   last reading of the month closes (from the meter's previous reading, in that month or the one before: a meter
--   not read for a month has no period then, in a run of any months), with
--   the 15-minute intervals received in it. Only meters that sent intervals in the period. Partitioned by anio_mes.
-- Inputs: bronze_db.bronze_acumulado (readings), bronze_db.bronze_medidor (meter -> supply, digits, factor),
--   bronze_db.bronze_lectura_intervalo (intervals), bronze_db.bronze_evento_medidor (events).
-- Parameters: :desde, :hasta ('YYYY-MM', inclusive) = the billing months to (re)compute; :mes_anterior, the month
--   before :desde (lds_utils.graph.month_calendar). A one-month run reads two months of readings, intervals and
--   events.
-- Rules:
--   * The period runs from the previous reading's day at 00:00 to the reading's day at 00:00; an interval belongs
--     to it when its start (fecha_hora, on the 15-minute grid) does. intervalos_esperados = 96 x its days.
--   * periodo_completo: the meter sent an interval at the period's first instant or before it (in the period's month
--     or the one before):
--     a meter switched on, or an extract that starts, inside the period covers it only in part, and its errors
--     and disagreement are not judged (left null).
--   * intervalos_error = expected - received VALIDO (missing, or filled by the head-end as ESTIMADO); pct_error =
--     100 x error / expected.
--   * kwh_registro is the register difference x factor (a rollover unwrapped as in silver_consumo_mensual; a
--     register that went backwards gives null). coincide_registro: |kwh_intervalos - kwh_registro| < factor + half
--     a Wh per interval received (the register moves in whole steps; each interval is rounded to the Wh). A
--     complete period that does not agree is a signal: the register or the profile recorder is wrong.
--   * demanda_max_intervalo_kw = 4 x the largest interval kWh (kW over 15 minutes); demanda_registro_kw, the
--     maximum demand the reading records. coincide_demanda (only over a complete period with every interval valid,
--     where the largest one cannot be missing): the two within 2.6 W; a disagreement is a signal, the demand
--     register or the profile recorder is wrong.
--   * Load profile: ratio_noche_dia = mean kWh of the intervals starting 00:00-05:59 / those 10:00-17:59 (null
--     without day energy); intervalos_cero; racha_ceros_max and tramo_plano_max, the longest runs of consecutive
--     received intervals with zero energy and with one same non-zero value (a stuck recorder, a constant estimate).
--   * eventos_manipulacion: the meter's tamper events (TAPA_ABIERTA, CAMPO_MAGNETICO, ENERGIA_INVERSA) logged in the
--     period (from its start to the reading's day at 00:00, as the intervals).
with

medidor as (
    select id_medidor, id_suministro, numero_digitos, factor_medidor
    from bronze_db.bronze_medidor
),

lectura as (
    select
        a.id_medidor,
        a.anio_mes,
        a.fecha_lectura,
        a.tipo_lectura,
        a.lectura_kwh,
        a.demanda_max_kw,
        lag(a.fecha_lectura) over (
            partition by a.id_medidor
            order by a.fecha_lectura, case a.tipo_lectura when 'INSTALACION' then 0 when 'RETIRO' then 2 else 1 end,
                a.id_lectura
        ) as fecha_previa,
        lag(a.anio_mes) over (
            partition by a.id_medidor
            order by a.fecha_lectura, case a.tipo_lectura when 'INSTALACION' then 0 when 'RETIRO' then 2 else 1 end,
                a.id_lectura
        ) as mes_previa,
        lag(a.lectura_kwh) over (
            partition by a.id_medidor
            order by a.fecha_lectura, case a.tipo_lectura when 'INSTALACION' then 0 when 'RETIRO' then 2 else 1 end,
                a.id_lectura
        ) as lectura_kwh_previa,
        row_number() over (partition by a.id_medidor, a.anio_mes order by a.fecha_lectura desc, a.id_lectura desc)
            as orden_en_mes
    from bronze_db.bronze_acumulado as a
    where a.anio_mes between :mes_anterior and :hasta
        -- only the meters that sent intervals (the others have no row here): most meters are not smart
        and a.id_medidor in (
            select id_medidor from bronze_db.bronze_lectura_intervalo where anio_mes between :mes_anterior and :hasta
        )
),

periodo as (
    select
        l.id_medidor,
        m.id_suministro,
        l.anio_mes,
        cast(substr(l.anio_mes, 1, 4) as integer) * 12 + cast(substr(l.anio_mes, 6, 2) as integer) as indice_mes,
        l.tipo_lectura,
        m.factor_medidor,
        cast(l.fecha_previa as timestamp) as inicio,
        cast(l.fecha_lectura as timestamp) as fin,
        date_diff('day', l.fecha_previa, l.fecha_lectura) as dias,
        case
            when l.lectura_kwh >= l.lectura_kwh_previa then (l.lectura_kwh - l.lectura_kwh_previa) * m.factor_medidor
            when l.lectura_kwh - l.lectura_kwh_previa + power(10, m.numero_digitos) < power(10, m.numero_digitos) / 2
                then (l.lectura_kwh - l.lectura_kwh_previa + power(10, m.numero_digitos)) * m.factor_medidor
        end as kwh_registro,
        l.demanda_max_kw as demanda_registro_kw
    from lectura as l
    inner join medidor as m
        on l.id_medidor = m.id_medidor
    where l.anio_mes between :desde and :hasta
        and l.orden_en_mes = 1
        and l.tipo_lectura <> 'INSTALACION'
        and l.fecha_previa < l.fecha_lectura
        -- the previous reading in the month or the one before, whatever months the run computes
        and cast(substr(l.anio_mes, 1, 4) as integer) * 12 + cast(substr(l.anio_mes, 6, 2) as integer)
            - cast(substr(l.mes_previa, 1, 4) as integer) * 12 - cast(substr(l.mes_previa, 6, 2) as integer) <= 1
),

intervalo as (
    select id_medidor, fecha_hora, energia_kwh, calidad, anio_mes
    from bronze_db.bronze_lectura_intervalo
    where anio_mes between :mes_anterior and :hasta
),

-- the meter's first interval of each month read, to tell whether it was sending when a period began
primer_intervalo as (
    select
        id_medidor,
        cast(substr(anio_mes, 1, 4) as integer) * 12 + cast(substr(anio_mes, 6, 2) as integer) as indice_mes,
        min(fecha_hora) as primero
    from intervalo
    group by id_medidor, anio_mes
),

-- judged on the period's month and the one before only, so a run of any months gives the same verdict
cobertura as (
    select p.id_medidor, p.anio_mes, min(f.primero) <= min(p.inicio) as periodo_completo
    from periodo as p
    inner join primer_intervalo as f
        on f.id_medidor = p.id_medidor
        and f.indice_mes between p.indice_mes - 1 and p.indice_mes
    group by p.id_medidor, p.anio_mes
),

del_periodo as (
    select
        p.id_medidor,
        p.anio_mes,
        i.fecha_hora,
        i.energia_kwh,
        i.calidad,
        hour(i.fecha_hora) as hora,
        cast(round(i.energia_kwh * 1000) as bigint) as wh,
        -- a new run starts where the value differs from the previous interval received
        case
            when lag(i.energia_kwh) over (partition by p.id_medidor, p.anio_mes order by i.fecha_hora)
                = i.energia_kwh then 0
            else 1
        end as empieza_tramo
    from periodo as p
    inner join intervalo as i
        on i.id_medidor = p.id_medidor
        and i.fecha_hora >= p.inicio
        and i.fecha_hora < p.fin
),

tramo as (
    select
        id_medidor,
        anio_mes,
        energia_kwh,
        sum(empieza_tramo) over (
            partition by id_medidor, anio_mes order by fecha_hora rows between unbounded preceding and current row
        ) as n_tramo
    from del_periodo
),

tramos as (
    select
        id_medidor,
        anio_mes,
        max(case when energia_kwh = 0 then largo end) as racha_ceros_max,
        max(case when energia_kwh > 0 then largo end) as tramo_plano_max
    from (
        select id_medidor, anio_mes, n_tramo, min(energia_kwh) as energia_kwh, count(*) as largo
        from tramo
        group by id_medidor, anio_mes, n_tramo
    ) as t
    group by id_medidor, anio_mes
),

manipulacion as (
    select p.id_medidor, p.anio_mes, count(*) as eventos
    from periodo as p
    inner join bronze_db.bronze_evento_medidor as e
        on e.id_medidor = p.id_medidor
        and e.fecha_hora >= p.inicio
        and e.fecha_hora < p.fin
    where e.anio_mes between :mes_anterior and :hasta
        and e.codigo_evento in ('TAPA_ABIERTA', 'CAMPO_MAGNETICO', 'ENERGIA_INVERSA')
    group by p.id_medidor, p.anio_mes
),

recibido as (
    select
        id_medidor,
        anio_mes,
        count(*) as intervalos_recibidos,
        count_if(calidad = 'VALIDO') as intervalos_validos,
        count_if(calidad = 'ESTIMADO') as intervalos_estimados,
        count_if(energia_kwh = 0) as intervalos_cero,
        -- sums of whole Wh (each interval has three decimals): exact, so every run gives the same bits
        sum(wh) / 1000e0 as kwh_intervalos,
        4 * max(energia_kwh) as demanda_max_intervalo_kw,
        sum(case when hora < 6 then wh end) / 1000e0 / count(case when hora < 6 then wh end) as kwh_medio_noche,
        sum(case when hora between 10 and 17 then wh end) / 1000e0
            / count(case when hora between 10 and 17 then wh end) as kwh_medio_dia
    from del_periodo
    group by id_medidor, anio_mes
)

select
    p.id_medidor,
    p.id_suministro,
    p.anio_mes,
    p.tipo_lectura,
    cast(p.inicio as date) as fecha_inicio,
    cast(p.fin as date) as fecha_fin,
    p.dias,
    96 * p.dias as intervalos_esperados,
    r.intervalos_recibidos,
    r.intervalos_estimados,
    c.periodo_completo,
    case when c.periodo_completo then 96 * p.dias - r.intervalos_validos end as intervalos_error,
    case when c.periodo_completo then 100e0 * (96 * p.dias - r.intervalos_validos) / (96 * p.dias) end as pct_error,
    r.kwh_intervalos,
    p.kwh_registro,
    r.kwh_intervalos - p.kwh_registro as diferencia_kwh,
    case
        when c.periodo_completo and p.kwh_registro is not null
            then abs(r.kwh_intervalos - p.kwh_registro) < p.factor_medidor + 0.0005 * r.intervalos_recibidos
    end as coincide_registro,
    r.demanda_max_intervalo_kw,
    p.demanda_registro_kw,
    case
        -- 4 x half a Wh per interval and half a W on the register: 2.5 W (and a margin for binary fractions)
        when c.periodo_completo and r.intervalos_validos = 96 * p.dias and p.demanda_registro_kw is not null
            then abs(r.demanda_max_intervalo_kw - p.demanda_registro_kw) < 0.0026
    end as coincide_demanda,
    case when r.kwh_medio_dia > 0 then r.kwh_medio_noche / r.kwh_medio_dia end as ratio_noche_dia,
    r.intervalos_cero,
    coalesce(t.racha_ceros_max, 0) as racha_ceros_max,
    coalesce(t.tramo_plano_max, 0) as tramo_plano_max,
    coalesce(e.eventos, 0) as eventos_manipulacion
from periodo as p
inner join recibido as r
    on p.id_medidor = r.id_medidor
    and p.anio_mes = r.anio_mes
inner join cobertura as c
    on p.id_medidor = c.id_medidor
    and p.anio_mes = c.anio_mes
left join tramos as t
    on p.id_medidor = t.id_medidor
    and p.anio_mes = t.anio_mes
left join manipulacion as e
    on p.id_medidor = e.id_medidor
    and p.anio_mes = e.anio_mes
