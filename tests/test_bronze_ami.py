"""BRONZE of the smart meters' tables (bronze_lectura_intervalo, bronze_evento_medidor).

On the sample: both reconcile with their RAW files, and every interval dirt case is cleaned (a fast clock), rejected
with its reason (a day sent twice) or kept as the data it is (gaps, zero runs: SILVER's to measure). On a hand-made
delivery: each reason code fires on its row, and the clean rows beside them reach BRONZE.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from lds_utils.config import LakePaths
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.lake.registry import open_engine
from lds_utils.synthetic.generate import GeneratorConfig, run_generate
from tests.test_ami import truth_cases


@pytest.fixture(scope="module")
def sample(built_lake):
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        frames = {
            "conciliacion": engine.read_sql("select * from bronze_db.bronze_conciliacion"),
            "rechazos": engine.read_sql("select tabla, motivo, registro from bronze_db.bronze_rechazos "
                                        "where tabla in ('lectura_intervalo', 'evento_medidor')"),
            "intervalos": engine.read_sql("select id_medidor, fecha_hora, desfase_segundos, energia_kwh "
                                          "from bronze_db.bronze_lectura_intervalo"),
            "eventos": engine.read_sql("select * from bronze_db.bronze_evento_medidor"),
        }
    return frames


def raw_rows(lake, table: str) -> int:
    return duckdb.sql(f"select count(*) from read_csv('{LakePaths(lake).raw_table(table)}/*/*.csv', "
                      f"all_varchar = true)").fetchall()[0][0]


def test_both_tables_reconcile_with_their_raw_files(built_lake, sample):
    conciliacion = sample["conciliacion"].set_index("tabla")
    for table in ("lectura_intervalo", "evento_medidor"):
        row = conciliacion.loc[table]
        assert row.cuadra and row.filas_raw == raw_rows(built_lake, table) > 0, table
    assert len(sample["intervalos"]) == conciliacion.loc["lectura_intervalo"].filas_bronze


def test_a_day_sent_twice_keeps_one_copy_of_each_interval(built_lake, sample):
    raw = duckdb.sql(f"select count(*) - count(distinct (id_medidor, fecha_hora)) from read_csv("
                     f"'{LakePaths(built_lake).raw_table('lectura_intervalo')}/*/*.csv', all_varchar = true)")
    copies = raw.fetchall()[0][0]
    rechazos = sample["rechazos"]
    intervals = rechazos[rechazos.tabla == "lectura_intervalo"]
    assert copies > 0 and set(intervals.motivo) == {"FILA_DUPLICADA"} and len(intervals) == copies
    assert not sample["intervalos"].duplicated(["id_medidor", "fecha_hora"]).any()


def test_a_fast_clock_is_aligned_to_its_interval(built_lake, sample):
    con = duckdb.connect()
    con.execute(f"create view suciedad as select * from read_csv('{built_lake}/truth/suciedad.csv', "
                "all_varchar = true)")
    intervalos = sample["intervalos"].assign(momento=lambda f: pd.to_datetime(f.fecha_hora))
    assert (intervalos.momento.dt.minute % 15 == 0).all() and (intervalos.momento.dt.second == 0).all()
    expected = 0
    for case in truth_cases(con, "RELOJ_DESFASADO").itertuples():
        fast = int(case.detalle.split("adelantado ")[1].split()[0])
        run = intervalos[(intervalos.id_medidor == case.id_medidor) & (intervalos.momento >= case.desde)
                         & (intervalos.momento < case.desde + pd.Timedelta(minutes=15 * case.intervalos))]
        assert len(run) and (run.desfase_segundos == 60 * fast).all(), case
        expected += len(run)
    assert (intervalos.desfase_segundos != 0).sum() == expected > 0


def test_gaps_and_zero_runs_reach_bronze_as_they_are(built_lake, sample):
    con = duckdb.connect()
    con.execute(f"create view suciedad as select * from read_csv('{built_lake}/truth/suciedad.csv', "
                "all_varchar = true)")
    intervalos = sample["intervalos"].assign(momento=lambda f: pd.to_datetime(f.fecha_hora))
    for kind in ("HUECO_INTERVALOS", "RACHA_CEROS"):
        for case in truth_cases(con, kind).itertuples():
            inside = intervalos[(intervalos.id_medidor == case.id_medidor) & (intervalos.momento >= case.desde)
                                & (intervalos.momento < case.desde + pd.Timedelta(minutes=15 * case.intervalos))]
            if kind == "RACHA_CEROS":
                assert len(inside) and (inside.energia_kwh == 0).all(), case
            elif "faltantes" in case.detalle:
                assert inside.empty or (inside.desfase_segundos != 0).all(), case


# -- hand-made rows -----------------------------------------------------------------------------------------------
ORPHAN = "M9999999991"
#: (row with {m} for a meter without smart-meter data of its own, expected reason or None when it reaches BRONZE)
INTERVAL_CASES = [
    (",2025-12-03 00:00:00,0.1,,VALIDO", "CAMPO_VACIO:id_medidor"),
    ("{m},,0.1,,VALIDO", "CAMPO_VACIO:fecha_hora"),
    ("{m},03/12/2025 00:00,0.1,,VALIDO", "FORMATO_INVALIDO:fecha_hora"),
    ("{m},2025-11-30 23:45:00,0.1,,VALIDO", "FUERA_DE_RANGO:fecha_hora"),
    ("{m},2025-12-03 00:15:00,,,VALIDO", "CAMPO_VACIO:energia_kwh"),
    ("{m},2025-12-03 00:30:00,abc,,VALIDO", "FORMATO_INVALIDO:energia_kwh"),
    ("{m},2025-12-03 00:45:00,-0.2,,VALIDO", "FUERA_DE_RANGO:energia_kwh"),
    ("{m},2025-12-03 01:00:00,0.1,x,VALIDO", "FORMATO_INVALIDO:energia_reactiva_kvarh"),
    ("{m},2025-12-03 01:15:00,0.1,-1,VALIDO", "FUERA_DE_RANGO:energia_reactiva_kvarh"),
    ("{m},2025-12-03 01:30:00,0.1,,BUENO", "CODIGO_INVALIDO:calidad"),
    (f"{ORPHAN},2025-12-03 01:45:00,0.1,,VALIDO", "HUERFANO:id_medidor"),
    ("{m},2025-12-05 10:00:00,0.25,0.1,VALIDO", None),
    ("{m},2025-12-05 10:22:00,0.25,, estimado ", None),
    ("{m},2025-12-05 11:00:00,0.3,,VALIDO", None),
    ("{m},2025-12-05 11:00:00,0.3,,VALIDO", "FILA_DUPLICADA"),
    ("{m},2025-12-05 12:00:00,0.3,,VALIDO", "CLAVE_DUPLICADA"),
    ("{m},2025-12-05 12:00:00,0.4,,VALIDO", "CLAVE_DUPLICADA"),
]
EVENT_CASES = [
    (",{m},2025-12-03 10:00:00,TAPA_ABIERTA", "CAMPO_VACIO:id_evento"),
    ("EVX01,,2025-12-03 10:00:00,TAPA_ABIERTA", "CAMPO_VACIO:id_medidor"),
    ("EVX02,{m},,TAPA_ABIERTA", "CAMPO_VACIO:fecha_hora"),
    ("EVX03,{m},ayer,TAPA_ABIERTA", "FORMATO_INVALIDO:fecha_hora"),
    ("EVX04,{m},1999-12-31 10:00:00,TAPA_ABIERTA", "FUERA_DE_RANGO:fecha_hora"),
    ("EVX05,{m},2025-12-03 10:00:00,PUERTA_ABIERTA", "CODIGO_INVALIDO:codigo_evento"),
    (f"EVX06,{ORPHAN},2025-12-03 10:00:00,TAPA_ABIERTA", "HUERFANO:id_medidor"),
    ("EVX07,{m},2025-12-03 10:00:00, tapa_abierta ", None),
    ("EVX08,{m},2025-12-03 11:00:00,CAMPO_MAGNETICO", None),
    ("EVX08,{m},2025-12-03 11:00:00,CAMPO_MAGNETICO", "FILA_DUPLICADA"),
    ("EVX09,{m},2025-12-03 12:00:00,TAPA_ABIERTA", "CLAVE_DUPLICADA"),
    ("EVX09,{m},2025-12-03 12:00:00,ENERGIA_INVERSA", "CLAVE_DUPLICADA"),
]


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    """A small lake whose December deliveries carry one more file of hand-made rows per table, built."""
    lake = tmp_path_factory.mktemp("hechos_a_mano") / "lake"
    run_generate(GeneratorConfig(n_clientes=80, desde="2025-06", hasta="2025-12", historia_previa_meses=1,
                                 intervalos_desde="2025-12"), lake)
    medidores = duckdb.sql(f"select distinct id_medidor from read_csv('{LakePaths(lake).raw_table('medidor')}/*/*.csv',"
                           " all_varchar = true) where id_medidor like 'M%1' order by id_medidor").df().id_medidor
    con_intervalos = set(duckdb.sql(f"select distinct id_medidor from read_csv("
                                    f"'{LakePaths(lake).raw_table('lectura_intervalo')}/*/*.csv', all_varchar = true)")
                         .df().id_medidor)
    meter = next(m for m in medidores if m not in con_intervalos)
    for table, cases, header in (("lectura_intervalo", INTERVAL_CASES,
                                  "id_medidor,fecha_hora,energia_kwh,energia_reactiva_kvarh,calidad"),
                                 ("evento_medidor", EVENT_CASES, "id_evento,id_medidor,fecha_hora,codigo_evento")):
        rows = [row.format(m=meter) for row, _ in cases]
        (LakePaths(lake).raw_table(table) / "entrega=2025-12" / "part-90000.csv").write_text(
            "\n".join([header, *rows]) + "\n", encoding="utf-8")
    run_pipeline(lake)
    with open_engine("duckdb", lake, read_only=True) as engine:
        rechazos = engine.read_sql("select tabla, motivo, registro from bronze_db.bronze_rechazos")
        intervalos = engine.read_sql(f"select * from bronze_db.bronze_lectura_intervalo where id_medidor = '{meter}'")
        eventos = engine.read_sql("select * from bronze_db.bronze_evento_medidor where id_evento like 'EVX%'")
        conciliacion = engine.read_sql("select * from bronze_db.bronze_conciliacion")
    return meter, rechazos, intervalos, eventos, conciliacion


@pytest.mark.parametrize("table, cases", [("lectura_intervalo", INTERVAL_CASES), ("evento_medidor", EVENT_CASES)])
def test_each_reason_fires_on_its_hand_made_row_and_not_on_a_clean_one(hand_made, table, cases):
    meter, rechazos, _, _, conciliacion = hand_made
    found = rechazos[rechazos.tabla == table]
    for row, reason in cases:
        text = row.format(m=meter)
        reasons = list(found[found.registro == text].motivo)
        expected = [r for r_row, r in cases if r_row.format(m=meter) == text and r is not None]
        assert sorted(reasons) == sorted(expected), (text, reasons)
    assert conciliacion.set_index("tabla").loc[table].cuadra


def test_clean_hand_made_rows_reach_bronze_normalised(hand_made):
    meter, _, intervalos, eventos, _ = hand_made
    kept = intervalos.assign(momento=lambda f: pd.to_datetime(f.fecha_hora)).set_index("momento").sort_index()
    assert list(kept.index.strftime("%H:%M")) == ["10:00", "10:15", "11:00"]
    assert list(kept.desfase_segundos) == [0, 420, 0] and list(kept.calidad) == ["VALIDO", "ESTIMADO", "VALIDO"]
    assert kept.energia_reactiva_kvarh.iloc[0] == pytest.approx(0.1) and kept.energia_reactiva_kvarh.isna()[1:].all()
    assert sorted(zip(eventos.id_evento, eventos.codigo_evento)) == [("EVX07", "TAPA_ABIERTA"),
                                                                     ("EVX08", "CAMPO_MAGNETICO")]
    assert set(eventos.anio_mes) == {"2025-12"}
