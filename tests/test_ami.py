"""Smart meters' RAW data (lds_utils.synthetic.ami): 15-minute intervals and meter events.

The intervals between two register readings add up to the register difference (to the register's integer step and
the rounding of each value) outside injected faults; a register reading that is wrong while the meter measured right
disagrees with them; every collection problem listed in the truth shows in the files, and nothing else does; the
events log what collection went through, and tampering leaves its burst linked to its anomaly.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from lds_utils import cli, config
from lds_utils.synthetic import ami
from lds_utils.synthetic.catalog import build_calendar, build_network
from lds_utils.synthetic.generate import GeneratorConfig, run_generate
from lds_utils.synthetic.population import CLASES, RESIDENCIAL, build_population
from lds_utils.synthetic.settings import OPCIONES, TIPOS_ANOMALIA

#: Register readings that are wrong while the meter measured right (ami.NO_MEDIDAS), as the truth names them.
NOT_MEASURED = ("PICO", "MULTIPLICADOR_X10", "DESPLAZAMIENTO_DECIMAL", "ESTIMADA_RECUPERO", "REGISTRO_RETROCEDE")
#: Many anomalies, every eligible home in the pilot, interval data for a year: the rare cases become many.
BUSY = GeneratorConfig(n_clientes=400, desde="2025-01", hasta="2025-12", historia_previa_meses=12,
                       intervalos_desde="2025-01", tasa_anomalias=0.25, cuota_piloto_residencial=1.0,
                       prob_rastro_manipulacion=1.0,
                       mezcla_anomalias=tuple((tipo, {"MULTIPLICADOR_X10": 0.4, "DEMANDA_INCONSISTENTE": 0.1,
                                                      "CAIDA_SOSTENIDA": 0.3, "CASI_CERO": 0.2}.get(tipo, 0.0))
                                              for tipo in TIPOS_ANOMALIA))


@pytest.fixture(scope="module")
def busy_lake(tmp_path_factory):
    lake = tmp_path_factory.mktemp("busy") / "lake"
    run_generate(BUSY, lake)
    return lake


def connect(lake) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, path in {"suciedad": "truth/suciedad.csv", "anomalias": "truth/anomalias.csv",
                       "eventos_anomalia": "truth/eventos_anomalia.csv", "medidor": "raw/medidor/*/*.csv",
                       "lectura": "raw/acumulado/*/*.csv", "intervalo": "raw/lectura_intervalo/*/*.csv",
                       "evento": "raw/evento_medidor/*/*.csv"}.items():
        con.execute(f"create view {name} as select * from read_csv('{lake}/{path}', all_varchar = true, "
                    f"filename = {'true' if path.startswith('raw') else 'false'})")
    return con


#: Each register period of a meter (between two clean readings of the same meter, the later one REAL) with the sum
#: and the count of its intervals, the register's maximum demand and 4 x the largest interval: [previous reading's day 00:00, reading's day 00:00).
PERIODS = """
with med as (
    select distinct on (id_medidor) id_medidor, id_suministro, cast(numero_digitos as integer) as digitos,
        cast(factor_medidor as double) as factor
    from medidor
    where id_medidor not in (select id from suciedad where tabla = 'medidor' and id is not null)
    order by id_medidor, filename desc
),
leido as (
    select id_medidor, cast(fecha_lectura as date) as fecha, tipo_lectura, cast(lectura_kwh as bigint) as lectura,
        try_cast(demanda_max_kw as double) as demanda
    from lectura
    where id_lectura not in (select id from suciedad where tabla = 'acumulado' and id is not null)
),
periodo as (
    select *, lag(fecha) over w as desde, lag(lectura) over w as lectura_previa, lag(tipo_lectura) over w as tipo_previo
    from leido
    window w as (partition by id_medidor order by fecha, lectura)
),
registro as (
    select p.id_medidor, m.id_suministro, p.desde, p.fecha, m.factor, p.demanda,
        ((p.lectura - p.lectura_previa) % cast(10 ** m.digitos as bigint) + cast(10 ** m.digitos as bigint))
            % cast(10 ** m.digitos as bigint) * m.factor as kwh_registro
    from periodo as p
    inner join med as m using (id_medidor)
    where p.tipo_lectura = 'REAL' and p.tipo_previo in ('REAL', 'INSTALACION')
)
select r.id_medidor, r.id_suministro, r.fecha, strftime(r.fecha, '%Y-%m') as anio_mes, any_value(r.factor) as factor,
    any_value(r.kwh_registro) as kwh_registro, sum(cast(i.energia_kwh as double)) as kwh_intervalos,
    any_value(r.demanda) as demanda_registro, 4 * max(cast(i.energia_kwh as double)) as demanda_intervalos,
    count(*) as intervalos, any_value(date_diff('day', r.desde, r.fecha)) * 96 as intervalos_periodo,
    avg(case when hour(cast(i.fecha_hora as timestamp)) < 6 then cast(i.energia_kwh as double) end)
        / avg(case when hour(cast(i.fecha_hora as timestamp)) between 10 and 17 then cast(i.energia_kwh as double) end)
        as ratio_noche_dia
from registro as r
inner join intervalo as i
    on i.id_medidor = r.id_medidor
    and cast(i.fecha_hora as timestamp) >= r.desde
    and cast(i.fecha_hora as timestamp) < r.fecha
group by all
"""


def periods(con) -> pd.DataFrame:
    """Register periods fully covered by intervals on meters no interval dirt touched, with the anomaly of the
    period's billing month (tipo) and the one that ended the month before (tipo_anterior: a catch-up bills then)."""
    frame = con.sql(PERIODS).df()
    frame = frame[frame.intervalos == frame.intervalos_periodo]
    touched = set(con.sql("select split_part(id, '|', 1) as m from suciedad where tabla = 'lectura_intervalo'").df().m)
    frame = frame[~frame.id_medidor.isin(touched)]
    anomalias = con.sql("select id_suministro, tipo, anio_mes_inicio, anio_mes_fin from anomalias").df()
    merged = frame.merge(anomalias, on="id_suministro", how="left")
    during = (merged.anio_mes >= merged.anio_mes_inicio) & (merged.anio_mes <= merged.anio_mes_fin)
    after = merged.anio_mes == merged.anio_mes_fin.map(lambda month: config.shift_period(month, 1), na_action="ignore")
    merged["tipo_anterior"] = merged.tipo.where(after)
    merged["tipo"] = merged.tipo.where(during)
    keys = ["id_medidor", "fecha"]
    return (merged.groupby(keys, as_index=False)
            .agg({**{c: "first" for c in frame.columns if c not in keys}, "tipo": "first", "tipo_anterior": "first"}))


def within_rounding(frame: pd.DataFrame) -> pd.Series:
    """The register moves in whole steps of its factor; each interval is rounded to the Wh."""
    return (frame.kwh_intervalos - frame.kwh_registro).abs() < frame.factor + 0.0005 * frame.intervalos


def test_intervals_add_up_to_the_register_difference_outside_injected_faults(sample_lake):
    frame = periods(connect(sample_lake))
    clean = frame[~frame.tipo.isin(NOT_MEASURED) & ~frame.tipo_anterior.isin(NOT_MEASURED)]
    assert len(clean) >= 200
    assert within_rounding(clean).all(), clean[~within_rounding(clean)].head()


def test_the_largest_interval_is_the_register_demand_outside_injected_faults(sample_lake):
    frame = periods(connect(sample_lake))
    wrong = (*NOT_MEASURED, "DEMANDA_INCONSISTENTE")
    clean = frame[~frame.tipo.isin(wrong) & ~frame.tipo_anterior.isin(NOT_MEASURED) & frame.demanda_registro.notna()]
    assert len(clean) >= 200
    # each interval is rounded to the Wh (x 4 kW), the demand to the W
    agrees = (clean.demanda_intervalos - clean.demanda_registro).abs() <= 4 * 0.0005 + 0.0005 + 1e-9
    assert agrees.all(), clean[~agrees].head()


def test_a_wrong_demand_register_disagrees_with_the_intervals(busy_lake):
    frame = periods(connect(busy_lake))
    demand = frame[frame.tipo.eq("DEMANDA_INCONSISTENTE") & frame.demanda_registro.notna()]
    assert len(demand) >= 5
    ratio = demand.demanda_registro / demand.demanda_intervalos
    assert ((ratio > 1.5) | (ratio < 1 / 1.5)).all(), demand.assign(ratio=ratio)


def test_a_wrong_register_reading_disagrees_with_the_intervals_and_tampering_lowers_both(busy_lake):
    frame = periods(connect(busy_lake))
    wrong = frame[frame.tipo == "MULTIPLICADOR_X10"]
    tampered = frame[frame.tipo.isin(["CAIDA_SOSTENIDA", "CASI_CERO"])]
    assert len(wrong) >= 5 and len(tampered) >= 5
    assert (wrong.kwh_intervalos < 0.2 * wrong.kwh_registro).all()
    assert within_rounding(tampered).all()


def test_a_bypass_flattens_the_day(busy_lake):
    """A bypass takes the appliance load off the meter before the always-on base: the night/day ratio of a supply's
    periods inside it rises against its periods before it, by more than a quarter when it takes 40 % or more."""
    con = connect(busy_lake)
    frame = periods(con).dropna(subset=["ratio_noche_dia"])
    bypasses = con.sql("select id_suministro, tipo as derivacion, anio_mes_inicio, cast(magnitud as double) as queda "
                       "from anomalias where tipo in ('CAIDA_SOSTENIDA', 'CASI_CERO')").df()
    cases = frame.merge(bypasses, on="id_suministro")
    inside = cases[cases.tipo == cases.derivacion].groupby("id_suministro").ratio_noche_dia.median()
    before = cases[cases.tipo.isna() & (cases.anio_mes < cases.anio_mes_inicio)].groupby(
        "id_suministro").ratio_noche_dia.median()
    both = pd.DataFrame({"dentro": inside, "antes": before,
                         "queda": cases.groupby("id_suministro").queda.first()}).dropna()
    assert len(both) >= 4
    assert (both.dentro > 1.05 * both.antes).all(), both
    large = both[both.queda <= 0.6]
    assert len(large) >= 3 and (large.dentro > 1.25 * large.antes).all(), large


def test_a_normal_month_keeps_the_supplys_day_shape(sample_lake):
    """Without an anomaly or an empty home a supply's night/day ratio moves little from month to month (its
    appliance use varies a little): what lets a bypass's flat day stand out against the supply's own months."""
    con = connect(sample_lake)
    frame = periods(con).dropna(subset=["ratio_noche_dia"])
    empty_homes = f"select id_suministro from read_csv('{sample_lake}/truth/legitimos.csv') where tipo = 'DESOCUPADO'"
    clean = frame[~frame.id_suministro.isin(con.sql(f"select id_suministro from anomalias union all {empty_homes}")
                                            .df().id_suministro)]
    change = clean.ratio_noche_dia / clean.groupby("id_suministro").ratio_noche_dia.transform("median")
    assert len(change) >= 200 and change.between(0.75, 1.33).mean() > 0.97, change.describe()


def test_smart_meters_are_the_demand_options_and_the_residential_pilot():
    cfg = GeneratorConfig(n_clientes=20_000)
    calendar = build_calendar(cfg)
    pop = build_population(cfg, calendar, build_network(cfg, calendar), 0)
    meters = ami.smart_meters(cfg, pop)
    demand = np.isin(pop.opcion, [OPCIONES.index(code) for code in cfg.opciones_ami])
    assert (meters.demand_meter[:, 0] == demand).all()
    pilot = meters.pilot_day != ami.SIN_DIA
    residential = pop.tipo == RESIDENCIAL
    assert not (pilot & ~residential).any() and not (pilot & (pop.opcion != OPCIONES.index("BT5B"))).any()
    assert 0.07 < pilot.sum() / residential.sum() < 0.10  # cuota_piloto_residencial 0.085
    start = (np.datetime64(cfg.inicio_piloto, "D") - np.datetime64("1970-01-01", "D")).astype(int)
    assert start <= meters.pilot_day[pilot].min() and meters.pilot_day[pilot].max() < start + 366
    assert np.allclose(meters.sigma, np.array([dict(cfg.ruido_intervalo)[c] for c in CLASES])[pop.clase])


def intervals(con) -> pd.DataFrame:
    frame = con.sql("select id_medidor, fecha_hora, cast(energia_kwh as double) as kwh, calidad from intervalo").df()
    frame["momento"] = pd.to_datetime(frame.fecha_hora)
    return frame


def truth_cases(con, kind: str) -> pd.DataFrame:
    frame = con.sql(f"select id, detalle from suciedad where tipo_suciedad = '{kind}'").df()
    frame[["id_medidor", "desde"]] = frame.id.str.split("|", expand=True)
    frame["desde"] = pd.to_datetime(frame.desde)
    frame["intervalos"] = frame.detalle.str.extract(r"(\d+) intervalos")[0].astype(float)
    return frame


def rows_in(frame: pd.DataFrame, meter: str, start, count: float, minutes_fast: int = 0) -> pd.DataFrame:
    """The meter's rows stamped in ``count`` intervals from ``start`` (by a clock ``minutes_fast``)."""
    return frame[(frame.id_medidor == meter) & (frame.momento >= start + pd.Timedelta(minutes=minutes_fast))
                 & (frame.momento < start + pd.Timedelta(minutes=15 * count))]


def test_every_interval_dirt_case_shows_in_the_files_and_nothing_else_does(sample_lake):
    con = connect(sample_lake)
    frame = intervals(con)
    cases = {kind: truth_cases(con, kind) for kind in ami.TIPOS_SUCIEDAD_INTERVALO}
    assert all(len(found) for found in cases.values()), {kind: len(found) for kind, found in cases.items()}

    off_grid = frame[(frame.momento.dt.minute % 15 != 0) | (frame.momento.dt.second != 0)]
    explained = 0
    for case in cases["RELOJ_DESFASADO"].itertuples():
        fast = int(case.detalle.split("adelantado ")[1].split()[0])
        shifted = rows_in(frame, case.id_medidor, case.desde, case.intervalos, fast)
        assert len(shifted) and (shifted.momento.dt.minute % 15 == fast).all(), case
        explained += len(shifted[(shifted.momento.dt.minute % 15 != 0)])
    assert explained == len(off_grid)

    repeated = frame[frame.duplicated(["id_medidor", "fecha_hora"], keep=False)]
    resent = cases["DIA_REENVIADO"]
    for case in resent.itertuples():
        day = repeated[(repeated.id_medidor == case.id_medidor) & (repeated.momento.dt.normalize() == case.desde)]
        assert len(day) > 0 and len(day) % 2 == 0, case
    days = set(zip(resent.id_medidor, resent.desde))
    assert set(zip(repeated.id_medidor, repeated.momento.dt.normalize())) <= days

    gaps = cases["HUECO_INTERVALOS"]
    filled = gaps[gaps.detalle.str.contains("estimados")]
    for case in gaps.itertuples():
        inside = rows_in(frame, case.id_medidor, case.desde, case.intervalos)
        if "estimados" in case.detalle:
            assert len(inside) and (inside.calidad == "ESTIMADO").all(), case
        else:
            assert (inside.momento.dt.minute % 15 != 0).all(), case  # only a fast clock's rows may fall there
    estimated = frame[frame.calidad == "ESTIMADO"]
    assert sum(len(rows_in(estimated, c.id_medidor, c.desde, c.intervalos)) for c in filled.itertuples()) == len(
        estimated)

    for case in cases["RACHA_CEROS"].itertuples():
        zeros = rows_in(frame, case.id_medidor, case.desde, case.intervalos)
        assert len(zeros) and (zeros.kwh == 0).all(), case


def test_events_log_interruptions_gaps_and_clock_errors(sample_lake):
    con = connect(sample_lake)
    events = con.sql("select id_evento, id_medidor, cast(fecha_hora as timestamp) as momento, codigo_evento "
                     "from evento").df()
    assert events.id_evento.is_unique
    meters = set(con.sql("select id_medidor from medidor").df().id_medidor)
    assert set(events.id_medidor) <= meters
    assert set(events.codigo_evento) <= set(ami.CODIGOS_EVENTO)
    codes = events.codigo_evento.value_counts()
    assert codes["CORTE_ENERGIA"] == codes["RESTABLECIMIENTO_ENERGIA"] > 0

    for kind, code in (("HUECO_INTERVALOS", "COMUNICACION_PERDIDA"), ("RELOJ_DESFASADO", "ERROR_RELOJ")):
        for case in truth_cases(con, kind).itertuples():
            logged = events[(events.id_medidor == case.id_medidor) & (events.codigo_evento == code)]
            assert ((logged.momento >= case.desde) & (logged.momento < case.desde + pd.Timedelta(minutes=15))).any()

    frame = intervals(con)
    fast_clock = set(truth_cases(con, "RELOJ_DESFASADO").id_medidor)
    cuts = events[(events.codigo_evento == "CORTE_ENERGIA") & ~events.id_medidor.isin(fast_clock)]
    restored = events[events.codigo_evento == "RESTABLECIMIENTO_ENERGIA"]
    checked = 0
    for cut in cuts.head(40).itertuples():
        back = restored[(restored.id_medidor == cut.id_medidor) & (restored.momento > cut.momento)].momento.min()
        out = rows_in(frame, cut.id_medidor, cut.momento.floor("15min"), (back - cut.momento).total_seconds() / 900)
        assert (out.kwh == 0).all(), cut
        checked += len(out)
    assert checked > 0


def test_tampering_leaves_a_burst_of_tamper_events_linked_to_its_anomaly(busy_lake):
    con = connect(busy_lake)
    links = con.sql("""
        select l.id_evento, l.id_anomalia, a.tipo, a.id_suministro, a.anio_mes_inicio, e.codigo_evento,
            cast(e.fecha_hora as timestamp) as momento, m.id_suministro as suministro_medidor
        from eventos_anomalia as l
        inner join evento as e using (id_evento)
        inner join anomalias as a using (id_anomalia)
        inner join (select distinct id_medidor, id_suministro from medidor) as m using (id_medidor)
    """).df()
    assert len(links) == len(con.sql("select * from eventos_anomalia").df()) > 0
    assert set(links.tipo) <= set(BUSY.tipos_manipulacion)
    assert set(links.codigo_evento) <= {code for code, _ in BUSY.mezcla_eventos_manipulacion}
    assert (links.id_suministro == links.suministro_medidor).all()
    low, high = BUSY.eventos_por_manipulacion
    per_anomaly = links.groupby("id_anomalia").size()
    assert per_anomaly.between(1, high).all() and (per_anomaly >= low).mean() > 0.8
    # within the first week of the anomaly's first billing period (which starts in the month before it closes)
    first_month = pd.to_datetime(links.anio_mes_inicio + "-01")
    assert ((links.momento >= first_month - pd.DateOffset(months=1))
            & (links.momento < first_month + pd.DateOffset(months=1))).all()


def test_the_command_generates_a_lake_without_smart_meter_data_and_keeps_that_choice(tmp_path):
    lake = tmp_path / "lake"
    assert cli.main(["generate", "--clientes", "60", "--hasta", "2025-10", "--intervalos-desde", "ninguno",
                     "--lake", str(lake), "--quiet"]) == 0
    assert cli.main(["generate", "--hasta", "2025-11", "--lake", str(lake), "--quiet"]) == 0  # an extension
    summary = json.loads((lake / "generacion.json").read_text())
    assert summary["parametros"]["intervalos_desde"] is None and summary["hasta"] == "2025-11"
    assert summary["filas"]["lectura_intervalo"] == summary["filas"]["evento_medidor"] == 0
    assert not any((lake / "raw" / "lectura_intervalo").iterdir())
    assert cli.main(["generate", "--intervalos-desde", "2025-13", "--lake", str(lake), "--quiet"]) == 2
