"""Property-based tests of the bill and the IQR fence, run on the GOLD SQL itself (DuckDB).

Each example writes small hand-made BRONZE and SILVER tables and runs the GOLD SQL over them (the bills,
the segment fences and the gold view; no reference implementation in between):
- within one tariff, month and customer type, the bill never decreases as kWh grow, and it only
  jumps at the documented steps (alumbrado público bands, the FOSE threshold); elsewhere it grows
  at most at the top energy rate. FOSE has its own test (residential BT5B, every step every time):
  with the documented rules it is continuous at 30 kWh (25 % of 30 kWh = 7.5 kWh) and steps up at
  the threshold (discount replaced by the surcharge), so it never lowers a bill;
- the fence does not depend on the order of the rows, and its quartiles are numpy's;
- a segment of fewer than 30 evaluated supplies is never valid and flags nothing.
Examples are few (each runs the SQL) but cover every tariff option, FOSE before and after the reform
and the band limits themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lds_utils.lake.engines import DuckDBEngine
from lds_utils.rules import billing
from lds_utils.rules.fence import IQR_FACTOR, MIN_SEGMENTO, fence_parameters
from tests import minilake

OPCIONES = tuple(billing.tariff_options().index)
(OPCION_FOSE,) = billing.options_where("aplica_fose")
TIPOS = ("RESIDENCIAL", "COMERCIAL", "INDUSTRIAL", "ALUMBRADO_PUBLICO")
MESES = ("2022-02", "2022-03", "2024-06")  # before the FOSE reform, its first month, later
KWH_LIMITES = [limite for limite, _ in billing.ALUMBRADO_TRAMOS if limite is not None]
ESCALONES = [*KWH_LIMITES, billing.FOSE_TRAMO1_KWH, billing.FOSE_UMBRAL_KWH_ANTES, billing.FOSE_UMBRAL_KWH]
CERCA_DE_ESCALONES = sorted({x + d for x in ESCALONES for d in (-0.01, 0.0, 0.01)})
PROPERTY_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with DuckDBEngine(tmp_path_factory.mktemp("propiedades") / "lake") as opened:
        yield opened


def _month_before(anio_mes: str) -> str:
    year, month = int(anio_mes[:4]), int(anio_mes[5:])
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"


def _bronze(supplies: pd.DataFrame, opcion: str, meses: list[str], cargos: dict) -> dict[str, pd.DataFrame]:
    """One sector, one customer and one tariff assignment per supply, the option's pliego of each month."""
    n = len(supplies)
    nivel = opcion[:2]
    sector = pd.DataFrame([{"id_sector": "SE01", "nombre_sector": "S", "alimentador": "A", "ubigeo": "150101",
                            "distrito": "Lima", "provincia": "Lima", "zona": "Lima Centro", "subzona": "x",
                            "lat": -12.0, "lon": -77.0}])
    cliente = pd.DataFrame({"id_cliente": "C" + supplies["id"], "tipo_documento": "DNI",
                            "numero_documento": [f"{10_000_000 + i}" for i in range(n)], "nombre": "X",
                            "tipo_cliente": supplies["tipo_cliente"], "fecha_alta": "2000-01-01"})
    suministro = pd.DataFrame({"id_suministro": "S" + supplies["id"], "id_cliente": "C" + supplies["id"],
                               "id_sector": "SE01", "nivel_tension": nivel, "potencia_contratada_kw": 10,
                               "fecha_conexion": "2000-01-01", "fecha_baja": None})
    asignacion = pd.DataFrame({"id_asignacion": "A" + supplies["id"], "id_suministro": "S" + supplies["id"],
                               "opcion_tarifaria": opcion, "fecha_inicio": "2000-01-01", "fecha_fin": None})
    tarifa = pd.DataFrame([{"id_tarifa": f"{opcion}-{mes}", "opcion_tarifaria": opcion, "nivel_tension": nivel,
                            "vigencia_desde": f"{mes}-04", **cargos} for mes in meses])
    return {"sector": sector, "cliente": cliente, "suministro": suministro, "asignacion_tarifa": asignacion,
            "tarifa": tarifa}


def _silver(supplies: pd.DataFrame, anio_mes: str, kwh: pd.Series, hp_ratio: float | None, demanda: float):
    return pd.DataFrame({
        "id_suministro": "S" + supplies["id"], "anio_mes": anio_mes, "anio": int(anio_mes[:4]),
        "mes": int(anio_mes[5:]), "consumo_kwh": kwh.to_numpy(dtype=float),
        "consumo_kwh_hp": pd.array(kwh.to_numpy(dtype=float) * (hp_ratio if hp_ratio is not None else np.nan),
                                   dtype="Float64"),
        "demanda_max_kw": demanda, "dias_facturados": 30, "fecha_ultima_lectura": pd.Timestamp(f"{anio_mes}-20"),
        "es_estimada": False, "n_retrocesos": 0, "pct_error": 0.0, "n_diferencias": 1,
    })


def _gold(engine: DuckDBEngine, bronze: dict, silver: pd.DataFrame, anio_mes: str) -> pd.DataFrame:
    minilake.create_bronze(engine, bronze)
    engine.con.register("silver_in", silver)
    engine.con.execute("create or replace table silver_db.silver_consumo_mensual as select * from silver_in")
    engine.con.unregister("silver_in")
    # every month of the silver given: a bill's history is the bills of its earlier months
    params = {"desde": silver["anio_mes"].min(), "hasta": anio_mes, **billing.billing_parameters(),
              **fence_parameters()}
    gold = minilake.compute_gold(engine, params)
    gold = gold[gold["anio_mes"] == anio_mes]
    return gold.sort_values("id_suministro").reset_index(drop=True)


cargos = st.fixed_dictionaries({
    "cargo_fijo": st.floats(0, 20), "cargo_energia": st.floats(1, 100), "cargo_energia_hp": st.floats(1, 100),
    "cargo_energia_hfp": st.floats(1, 100), "cargo_potencia_generacion": st.floats(0, 50),
    "cargo_potencia_distribucion": st.floats(0, 50),
})
consumos = st.lists(st.one_of(st.floats(0, 2000), st.sampled_from(CERCA_DE_ESCALONES)), min_size=2, max_size=80,
                    unique=True)


def _check_bill_growth(engine, opcion, tipo, anio_mes, cargos, kwh, hp_ratio, demanda) -> None:
    supplies = pd.DataFrame({"id": [f"{i:04d}" for i in range(len(kwh))], "tipo_cliente": tipo})
    doble = opcion in billing.options_where("doble_registro")
    silver = _silver(supplies, anio_mes, pd.Series(kwh), hp_ratio if doble else None, demanda)
    gold = _gold(engine, _bronze(supplies, opcion, [anio_mes], cargos), silver, anio_mes)
    assert len(gold) == len(kwh) and gold["facturacion_teorica"].notna().all()
    bills = gold.sort_values("consumo_kwh")
    k, bill = bills["consumo_kwh"].to_numpy(), bills["facturacion_teorica"].to_numpy()
    steps = np.diff(bill)
    assert (steps >= -1e-9).all(), f"the bill went down between {k[:-1][steps < -1e-9]} and {k[1:][steps < -1e-9]} kWh"
    top_rate = max(cargos["cargo_energia"], cargos["cargo_energia_hp"], cargos["cargo_energia_hfp"]) / 100
    top_rate *= (1 + max(billing.RECARGO_FOSE, billing.RECARGO_FOSE_ANTES)) * (1 + billing.IGV)
    crosses_step = np.array([any(a <= s < b for s in ESCALONES) for a, b in zip(k[:-1], k[1:])])
    unexplained = ~crosses_step & (steps > top_rate * np.diff(k) + 1e-9)
    assert not unexplained.any(), f"jumps between {list(zip(k[:-1][unexplained], k[1:][unexplained]))}"


@given(opcion=st.sampled_from(OPCIONES), tipo=st.sampled_from(TIPOS), anio_mes=st.sampled_from(MESES),
       cargos=cargos, kwh=consumos, hp_ratio=st.floats(0, 1), demanda=st.floats(0, 500))
@PROPERTY_SETTINGS
def test_bill_grows_with_kwh_and_jumps_only_at_documented_steps(engine, opcion, tipo, anio_mes, cargos, kwh,
                                                                hp_ratio, demanda):
    _check_bill_growth(engine, opcion, tipo, anio_mes, cargos, kwh, hp_ratio, demanda)


@given(anio_mes=st.sampled_from(MESES), cargos=cargos, extra=consumos)
@PROPERTY_SETTINGS
def test_fose_bill_of_a_residential_bt5b_supply_never_drops_at_its_steps(engine, anio_mes, cargos, extra):
    kwh = sorted(set(CERCA_DE_ESCALONES) | set(extra))
    _check_bill_growth(engine, OPCION_FOSE, "RESIDENCIAL", anio_mes, cargos, kwh, 0.0, 0.0)


def _segments(draw_sizes: list[int], values: list[list[float]]) -> pd.DataFrame:
    tipos = ("RESIDENCIAL", "COMERCIAL")
    filas = [(f"{t}{i:03d}", tipos[t], kwh) for t, n in enumerate(draw_sizes) for i, kwh in zip(range(n), values[t])]
    return pd.DataFrame(filas, columns=["id", "tipo_cliente", "kwh"]).astype({"id": str})


@st.composite
def segment_inputs(draw):
    sizes = [draw(st.integers(1, 60)) for _ in range(2)]
    pool = st.one_of(st.floats(1, 400), st.sampled_from([50.0, 120.0, 3000.0]))  # ties and outliers
    values = [draw(st.lists(pool, min_size=n, max_size=n)) for n in sizes]
    return _segments(sizes, values), draw(st.randoms(use_true_random=False))


def _fence_gold(engine, supplies: pd.DataFrame, anio_mes: str = "2024-06") -> pd.DataFrame:
    """Gold of a month whose supplies all billed 100 kWh the month before (the reference of valor_evaluado)."""
    previo = _month_before(anio_mes)
    silver = pd.concat([_silver(supplies, previo, pd.Series(100.0, index=supplies.index), None, 1.0),
                        _silver(supplies, anio_mes, supplies["kwh"], None, 1.0)])
    cargos = {"cargo_fijo": 3.0, "cargo_energia": 60.0, "cargo_energia_hp": None, "cargo_energia_hfp": None,
              "cargo_potencia_generacion": None, "cargo_potencia_distribucion": None}
    return _gold(engine, _bronze(supplies, "BT5B", [previo, anio_mes], cargos), silver, anio_mes)


FENCE = ["n_segmento", "segmento_valido", "q1", "q3", "iqr", "umbral_atipico", "es_atipico"]


@given(segment_inputs())
@PROPERTY_SETTINGS
def test_fence_does_not_depend_on_row_order(engine, inputs):
    supplies, rng = inputs
    ordered = _fence_gold(engine, supplies)
    shuffled = _fence_gold(engine, supplies.sample(frac=1, random_state=rng.randrange(2**32)))
    pd.testing.assert_frame_equal(ordered[["id_suministro", "valor_evaluado", *FENCE]],
                                  shuffled[["id_suministro", "valor_evaluado", *FENCE]])


@given(segment_inputs())
@PROPERTY_SETTINGS
def test_fence_is_numpys_and_small_segments_flag_nothing(engine, inputs):
    supplies, _ = inputs
    gold = _fence_gold(engine, supplies)
    assert gold["valor_evaluado"].notna().all()
    for _, segmento in gold.groupby("tipo_cliente"):
        valores = segmento["valor_evaluado"].to_numpy()
        n = len(valores)
        assert (segmento["n_segmento"] == n).all()
        assert (segmento["segmento_valido"] == (n >= MIN_SEGMENTO)).all()
        q1, q3 = np.quantile(valores, [0.25, 0.75])
        np.testing.assert_allclose(segmento["q1"], q1, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(segmento["q3"], q3, rtol=1e-9, atol=1e-12)
        umbral = q3 + IQR_FACTOR * (q3 - q1)
        esperado = (n >= MIN_SEGMENTO) & (valores > umbral + 1e-12)
        dudosos = np.isclose(valores, umbral, rtol=1e-12, atol=1e-12)
        assert (segmento["es_atipico"].to_numpy()[~dudosos] == esperado[~dudosos]).all()
        if n < MIN_SEGMENTO:
            assert not segmento["es_atipico"].any()
