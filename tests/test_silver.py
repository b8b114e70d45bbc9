"""SILVER: monthly consumption from cumulative registers, on hand-made meters and on the sample lake."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lds_utils.lake.engines import DuckDBEngine
from tests import minilake, oracle

# Each meter: (id_medidor, id_suministro, digits, factor) and its readings
# (fecha, tipo, register, HP register, demand, expected records, records with error).
METERS = {
    # 5-digit register rolls over in 2024-02: 99 950 -> 30 is 80 kWh.
    ("M_ROLL", "S_ROLL", 5, 1.0): [
        ("2024-01-20", "INSTALACION", 99900, None, None, 0, 0),
        ("2024-02-20", "REAL", 99950, None, 0.3, 2784, 0),
        ("2024-03-20", "REAL", 30, None, 0.4, 2976, 30),
    ],
    # The register goes back 10 kWh in 2024-03: an error, no consumption; 2024-04 counts from 4 990.
    ("M_BACK", "S_BACK", 5, 1.0): [
        ("2024-02-20", "INSTALACION", 5000, None, None, 0, 0),
        ("2024-03-20", "REAL", 4990, None, 0.3, 2976, 0),
        ("2024-04-20", "ESTIMADA", 5100, None, 0.3, 2880, 0),
    ],
    # Meter replaced on 2024-02-10: old meter 1 000 -> 1 050, new one 0 -> 30: 80 kWh in 2024-02.
    ("M_OLD", "S_SWAP", 6, 1.0): [
        ("2024-01-20", "INSTALACION", 1000, None, None, 0, 0),
        ("2024-02-10", "RETIRO", 1050, None, None, 0, 0),
    ],
    ("M_NEW", "S_SWAP", 6, 1.0): [
        ("2024-02-10", "INSTALACION", 0, None, None, 0, 0),
        ("2024-02-20", "REAL", 30, None, 0.5, 2784, 0),
    ],
    # Double register with factor 40; the HP register rolls over (99 990 -> 10 = 20 x 40 = 800 kWh).
    ("M_HP", "S_HP", 5, 40.0): [
        ("2024-01-20", "INSTALACION", 500, 99990, None, 0, 0),
        ("2024-02-21", "REAL", 600, 10, 25.0, 2784, 100),
    ],
    # Installed and read on the same day: the 2024-03 reading counts from that day's REAL one (the last of
    # the day), also in a one-month run, which keeps only the meter's last day before the month.
    ("M_SAME", "S_SAME", 5, 1.0): [
        ("2024-02-20", "REAL", 120, None, 0.2, 2784, 0),
        ("2024-02-20", "INSTALACION", 100, None, None, 0, 0),
        ("2024-03-20", "REAL", 150, None, 0.2, 2976, 0),
    ],
    # Not read in 2024-03 and 2024-04: the 2024-05 reading counts from 2024-02, also in a one-month run of
    # 2024-05, which looks beyond the month before only for the meters not read in it.
    ("M_SKIP", "S_SKIP", 5, 1.0): [
        ("2024-01-20", "INSTALACION", 1000, None, None, 0, 0),
        ("2024-02-20", "REAL", 1100, None, 0.2, 2784, 0),
        ("2024-05-20", "REAL", 1400, None, 0.3, 2976, 0),
    ],
    # A 14-month gap: the 2025-03 reading has no previous reading within 12 months.
    ("M_GAP", "S_GAP", 6, 1.0): [
        ("2024-01-20", "INSTALACION", 100, None, None, 0, 0),
        ("2025-03-20", "REAL", 400, None, 0.2, 2976, 0),
    ],
}

# (id_suministro, anio_mes) -> expected columns.
EXPECTED = {
    ("S_ROLL", "2024-02"): dict(consumo_kwh=50.0, n_vueltas=0, n_retrocesos=0, dias_facturados=31, pct_error=0.0),
    ("S_ROLL", "2024-03"): dict(
        consumo_kwh=80.0, n_vueltas=1, n_retrocesos=0, dias_facturados=29, pct_error=100 * 30 / 2976
    ),
    ("S_BACK", "2024-03"): dict(consumo_kwh=0.0, n_vueltas=0, n_retrocesos=1, es_estimada=False),
    ("S_BACK", "2024-04"): dict(consumo_kwh=110.0, n_vueltas=0, n_retrocesos=0, es_estimada=True),
    ("S_SWAP", "2024-02"): dict(consumo_kwh=80.0, n_medidores=2, n_lecturas=3, n_diferencias=2, dias_facturados=31),
    ("S_HP", "2024-02"): dict(
        consumo_kwh=4000.0, consumo_kwh_hp=800.0, consumo_kwh_hfp=3200.0, n_vueltas=1, demanda_max_kw=25.0
    ),
    ("S_SAME", "2024-02"): dict(consumo_kwh=20.0, n_diferencias=1),
    ("S_SAME", "2024-03"): dict(consumo_kwh=30.0, n_diferencias=1),
    ("S_SKIP", "2024-05"): dict(consumo_kwh=300.0, n_diferencias=1, n_sin_lectura_previa=0, dias_facturados=90),
    ("S_GAP", "2025-03"): dict(consumo_kwh=0.0, n_diferencias=0, n_sin_lectura_previa=1),
}


def _bronze() -> dict[str, pd.DataFrame]:
    medidor, acumulado = [], []
    for (id_medidor, id_suministro, digits, factor), readings in METERS.items():
        medidor.append(
            dict(id_medidor=id_medidor, id_suministro=id_suministro, numero_digitos=digits, factor_medidor=factor)
        )
        for n, (fecha, tipo, kwh, hp, demanda, esperados, error) in enumerate(readings):
            acumulado.append(
                dict(
                    id_lectura=f"{id_medidor}-{n}",
                    id_medidor=id_medidor,
                    fecha_lectura=fecha,
                    tipo_lectura=tipo,
                    lectura_kwh=kwh,
                    lectura_kwh_hp=hp,
                    demanda_max_kw=demanda,
                    registros_esperados=esperados,
                    registros_error=error,
                )
            )
    return {"medidor": pd.DataFrame(medidor), "acumulado": pd.DataFrame(acumulado)}


@pytest.fixture(scope="module")
def hand_lake(tmp_path_factory):
    engine = minilake.open_lake(tmp_path_factory.mktemp("silver"), _bronze())
    minilake.run_monthly(engine, "2024-01", "2025-12")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def hand_silver(hand_lake):
    return minilake.read(hand_lake, "silver_consumo_mensual").set_index(["id_suministro", "anio_mes"])


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: "-".join(key))
def test_hand_cases_in_sql(hand_silver, key):
    got = hand_silver.loc[key]
    for column, value in EXPECTED[key].items():
        assert got[column] == pytest.approx(value), column


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: "-".join(key))
def test_hand_cases_in_reference(hand_lake, key):
    bronze = oracle.read_bronze(hand_lake)
    reference = oracle.silver_reference(bronze["acumulado"], bronze["medidor"], "2024-01", "2025-12")
    got = reference.set_index(["id_suministro", "anio_mes"]).loc[key]
    for column, value in EXPECTED[key].items():
        assert got[column] == pytest.approx(value), column


def test_installation_only_months_have_no_difference(hand_silver):
    first = hand_silver.loc[("S_ROLL", "2024-01")]
    assert first["n_diferencias"] == 0 and first["consumo_kwh"] == 0 and first["n_lecturas"] == 1


def test_single_register_meters_have_no_hp(hand_silver):
    assert pd.isna(hand_silver.loc[("S_ROLL", "2024-03"), "consumo_kwh_hp"])
    assert pd.isna(hand_silver.loc[("S_BACK", "2024-03"), "consumo_kwh_hp"])


def test_runs_of_some_months_match_the_full_run(tmp_path):
    """The bounded look-back gives a run of one month, or of a few, the same rows as the full run."""
    engine = minilake.open_lake(tmp_path, _bronze())
    try:
        for desde, hasta in (("2024-03", "2024-03"), ("2024-05", "2024-05"), ("2025-03", "2025-03"),
                             ("2024-02", "2024-05")):
            minilake.run_monthly(engine, desde, hasta)
            some = minilake.read(engine, "silver_consumo_mensual").set_index(["id_suministro", "anio_mes"])
            checked = some.index.intersection(pd.Index(list(EXPECTED)))
            assert not checked.empty
            for key in checked:
                for column, value in EXPECTED[key].items():
                    assert some.loc[key, column] == pytest.approx(value), (key, column)
            months = some.index.get_level_values("anio_mes")
            assert ((months >= desde) & (months <= hasta)).all()
    finally:
        engine.close()


@pytest.fixture(scope="module")
def sample_silver(built_lake):
    """Silver of the built sample lake and the pandas reference computed from its BRONZE tables."""
    with DuckDBEngine(built_lake, read_only=True) as engine:
        sql = minilake.read(engine, "silver_consumo_mensual")
        bronze = oracle.read_bronze(engine)
    reference = oracle.silver_reference(bronze["acumulado"], bronze["medidor"], "0000-01", "9999-12")
    return sql, reference.sort_values(["id_suministro", "anio_mes"]).reset_index(drop=True)


def test_sample_silver_matches_reference(sample_silver):
    sql, reference = sample_silver
    exact = ["id_suministro", "anio_mes", "anio", "mes", "n_medidores", "n_lecturas", "n_diferencias",
             "n_sin_lectura_previa", "n_vueltas", "n_retrocesos", "es_estimada", "dias_facturados",
             "fecha_ultima_lectura", "registros_esperados", "registros_error"]
    pd.testing.assert_frame_equal(sql[exact], reference[exact], check_dtype=False)
    counts = ["n_medidores", "n_lecturas", "n_diferencias", "n_sin_lectura_previa", "n_vueltas", "n_retrocesos",
              "dias_facturados", "registros_esperados", "registros_error"]
    assert all(pd.api.types.is_integer_dtype(sql[column]) for column in counts), sql[counts].dtypes.to_dict()
    for column in ["consumo_kwh", "consumo_kwh_hp", "consumo_kwh_hfp", "demanda_max_kw", "pct_error"]:
        np.testing.assert_allclose(sql[column].astype(float), reference[column].astype(float), rtol=1e-9, equal_nan=True)


def test_sample_has_rollovers_and_replacements(sample_silver):
    sql, _ = sample_silver
    assert sql["n_vueltas"].sum() > 0 and (sql["n_medidores"] > 1).any()
    assert (sql["consumo_kwh"] >= 0).all()
