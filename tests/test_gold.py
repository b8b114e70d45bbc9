"""GOLD on the sample lake: parity with the pandas reference, the fence contract, idempotence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lds_utils import config
from lds_utils.detection import detect, evaluate
from lds_utils.lake import graph
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.graph import month_parameters
from lds_utils.lake.pipeline import ALL_SUPPLIES, run_pipeline
from lds_utils.rules import fence
from lds_utils.rules.billing import billing_parameters
from lds_utils.rules.fence import MIN_SEGMENTO, SEGMENTO, fence_parameters
from tests import lakecopy, minilake, oracle

KEYS = ["id_suministro", "anio_mes"]
CONTRACT = [
    "id_suministro", "id_cliente", "anio_mes", "anio", "mes", "tipo_cliente", "nivel_tension", "tarifa", "distrito",
    "zona", "consumo_kwh", "demanda_kw", "facturacion_teorica", "valor_evaluado", "n_segmento", "segmento_valido",
    "q1", "q3", "iqr", "umbral_atipico", "es_atipico",
]
COMPONENTS = ["cargo_fijo_soles", "energia_soles", "potencia_soles", "alumbrado_soles", "descuento_fose_soles",
              "recargo_fose_soles", "subtotal_soles", "igv_soles", "meses_historia", "facturacion_referencia",
              "umbral_soles"]
EXACT = ["id_cliente", "tipo_cliente", "nivel_tension", "tarifa", "distrito", "zona", "n_segmento", "segmento_valido",
         "es_atipico", "anio", "mes"]
AMOUNTS = ["consumo_kwh", "demanda_kw", "cargo_fijo_soles", "energia_soles", "potencia_soles", "alumbrado_soles",
           "descuento_fose_soles", "recargo_fose_soles", "subtotal_soles", "igv_soles", "facturacion_teorica",
           "valor_evaluado", "q1", "q3", "iqr", "umbral_atipico", "umbral_soles", "meses_historia",
           "facturacion_referencia"]


@pytest.fixture(scope="module")
def built(built_lake):
    """Gold and the BRONZE frames the reference needs, read once; the connection is closed again."""
    with DuckDBEngine(built_lake, read_only=True) as engine:
        return minilake.read(engine, "gold_facturacion_teorica_mes"), oracle.read_bronze(engine)


@pytest.fixture(scope="module")
def gold(built):
    return built[0]


@pytest.fixture(scope="module")
def reference(built):
    frame = oracle.gold_reference(built[1], "0000-01", "9999-12")
    return frame.sort_values(KEYS).reset_index(drop=True)


def test_contract_columns(gold):
    assert set(CONTRACT + COMPONENTS) <= set(gold.columns)
    assert not gold.duplicated(KEYS).any()
    assert gold["anio_mes"].str.fullmatch(r"\d{4}-\d{2}").all()


def test_same_rows_as_reference(gold, reference):
    pd.testing.assert_frame_equal(gold[KEYS], reference[KEYS])


def test_exact_columns_match_reference(gold, reference):
    pd.testing.assert_frame_equal(gold[EXACT], reference[EXACT], check_dtype=False)


@pytest.mark.parametrize("column", AMOUNTS)
def test_amounts_match_reference(gold, reference, column):
    np.testing.assert_allclose(gold[column].astype(float), reference[column].astype(float), rtol=1e-9, equal_nan=True)


def test_every_billed_supply_month_has_a_bill(gold):
    assert gold["facturacion_teorica"].notna().all() and (gold["facturacion_teorica"] > 0).all()


def test_fence_rule(gold):
    assert (gold["segmento_valido"] == (gold["n_segmento"] >= MIN_SEGMENTO)).all()
    expected = gold["segmento_valido"] & (gold["valor_evaluado"] > gold["q3"] + 1.5 * (gold["q3"] - gold["q1"]))
    assert (gold["es_atipico"] == expected).all()
    evaluated = gold[gold["valor_evaluado"].notna()]
    sizes = evaluated.groupby(SEGMENTO)["id_suministro"].transform("size")
    assert (evaluated["n_segmento"] == sizes).all()


def test_fence_parameters_match_the_sql_placeholders():
    cerco = sqlmod.load_sql("gold", "gold_cerco_segmento_mes")
    assert sqlmod.placeholders(cerco) - {"desde", "hasta"} == set(fence_parameters())


def test_the_pandas_fence_is_the_sql_fence(built_lake, gold):
    """lds_utils.rules.fence, which the book recomputes the rule with, gives the stored fences and flags exactly."""
    with DuckDBEngine(built_lake, read_only=True) as engine:
        stored = engine.read_sql("select * from gold_db.gold_cerco_segmento_mes").set_index(SEGMENTO).sort_index()
    cerco = fence.segment_fences(gold).sort_index()
    columns = ["n_segmento", "q1", "q3", "umbral_atipico", "segmento_valido"]
    pd.testing.assert_frame_equal(cerco[columns], stored[columns], check_dtype=False, check_exact=True)
    pd.testing.assert_series_equal(fence.atypical(gold), gold["es_atipico"], check_names=False)


def test_product_code_never_imports_the_oracle():
    import ast
    import pathlib

    import lds_utils

    for path in pathlib.Path(lds_utils.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not {m for m in modules if m and m.split(".")[0] == "tests"}, path.name


def test_quartiles_are_numpy_linear(gold):
    evaluated = gold[gold["segmento_valido"] & gold["valor_evaluado"].notna()]
    for _, values in list(evaluated.groupby(SEGMENTO))[::25]:
        assert values["q1"].iloc[0] == np.quantile(values["valor_evaluado"], 0.25)
        assert values["q3"].iloc[0] == np.quantile(values["valor_evaluado"], 0.75)


def test_valor_evaluado_compares_with_own_median_bill(gold):
    """Recompute one supply's reference by hand: the median of its bills of the previous 12 months."""
    supply = gold[gold["meses_historia"] == 12]["id_suministro"].iloc[0]
    bills = gold[gold["id_suministro"] == supply].set_index("anio_mes")
    month = bills[bills["meses_historia"] == 12].index[-1]
    previous = [m for m in bills.index if m < month][-12:]
    assert bills.loc[month, "facturacion_referencia"] == np.median(bills.loc[previous, "facturacion_teorica"])
    expected = np.log(bills.loc[month, "facturacion_teorica"] / bills.loc[month, "facturacion_referencia"])
    assert bills.loc[month, "valor_evaluado"] == pytest.approx(expected, rel=1e-12)


def test_first_month_has_no_history(gold):
    first = gold[gold["anio_mes"] == gold["anio_mes"].min()]
    assert (first["meses_historia"] == 0).all() and first["valor_evaluado"].isna().all()
    assert not first["es_atipico"].any()


def test_mean_monthly_atypical_rate_is_between_1_and_2_percent(gold):
    monthly = gold.groupby("anio_mes")["es_atipico"].mean() * 100
    assert 1.0 <= monthly.mean() <= 2.0, monthly.describe()


@pytest.mark.parametrize("month", ["2022-02", "2023-01", "2025-12"])
def test_the_incremental_select_of_one_month_equals_full_run(built_lake, gold, month):
    """The bills' incremental SELECT for one month (its history read back from the published bills) returns the full
    run's rows."""
    params = {**month_parameters(month, month), **ALL_SUPPLIES, **billing_parameters()}
    with DuckDBEngine(built_lake, read_only=True) as engine:
        some = engine.read_sql(graph.statement("gold_factura_evaluada_mes", incremental=True), params)
    some = some.sort_values(KEYS).reset_index(drop=True)
    full = gold[gold["anio_mes"] == month].reset_index(drop=True)[some.columns]
    assert some["meses_historia"].gt(0).any()
    pd.testing.assert_frame_equal(some, full, check_dtype=False)


def _supply_whose_tariff_ends() -> dict[str, pd.DataFrame]:
    """One residential BT5B supply read monthly from its installation in 2023-12 to 2024-05; its tariff
    assignment ends on 2024-03-31, so its bills of 2024-04 and 2024-05 cannot be priced."""
    months = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    readings = [
        dict(id_lectura=f"L{n}", id_medidor="M1", fecha_lectura=f"{month}-20",
             tipo_lectura="INSTALACION" if n == 0 else "REAL", lectura_kwh=1000.0 + 100 * n,
             registros_esperados=0 if n == 0 else 2976, registros_error=0)
        for n, month in enumerate(months)
    ]
    return {
        "sector": pd.DataFrame([dict(id_sector="SEC1", distrito="Santiago de Surco", zona="Lima Centro")]),
        "cliente": pd.DataFrame([dict(id_cliente="C1", tipo_cliente="RESIDENCIAL", tipo_documento="DNI")]),
        "suministro": pd.DataFrame([dict(id_suministro="S1", id_cliente="C1", id_sector="SEC1", nivel_tension="BT")]),
        "medidor": pd.DataFrame([dict(id_medidor="M1", id_suministro="S1", numero_digitos=6, factor_medidor=1.0)]),
        "asignacion_tarifa": pd.DataFrame([dict(id_asignacion="A1", id_suministro="S1", opcion_tarifaria="BT5B",
                                                fecha_inicio="2023-01-01", fecha_fin="2024-03-31")]),
        "tarifa": pd.DataFrame([dict(id_tarifa=f"BT5B-{month}", opcion_tarifaria="BT5B", vigencia_desde=f"{month}-04",
                                     cargo_fijo=3.2, cargo_energia=60.0) for month in months]),
        "acumulado": pd.DataFrame(readings),
    }


def test_a_bill_that_cannot_be_priced_has_no_history_in_a_one_month_run(tmp_path):
    """The one-month run reads the supply's earlier bills back from the published ones; a bill it cannot price
    is still not evaluated, as in the run of every month."""
    engine = minilake.open_lake(tmp_path, _supply_whose_tariff_ends())
    try:
        minilake.run_monthly(engine, "2023-12", "2024-05")
        every_month = minilake.read(engine, "gold_factura_evaluada_mes").set_index("anio_mes")
        assert every_month.loc["2024-03", "meses_historia"] == 2
        assert every_month.loc[["2024-04", "2024-05"], "facturacion_teorica"].isna().all()
        assert (every_month.loc[["2024-04", "2024-05"], "meses_historia"] == 0).all()
        minilake.run_monthly(engine, "2024-04", "2024-04", partitions=["2024-04"])
        one_month = minilake.read(engine, "gold_factura_evaluada_mes").set_index("anio_mes")
        pd.testing.assert_frame_equal(one_month, every_month)
    finally:
        engine.close()


def test_stored_fences_are_the_reference_fences(built_lake, reference):
    """gold_cerco_segmento_mes: one row per segment with an evaluated supply, the reference's n, q1, q3, fence and
    atypical bills."""
    with DuckDBEngine(built_lake, read_only=True) as engine:
        cerco = engine.read_sql("select * from gold_db.gold_cerco_segmento_mes")
    columns = ["n_segmento", "segmento_valido", "q1", "q3", "iqr", "umbral_atipico"]
    evaluated = reference[reference["valor_evaluado"].notna()]
    expected = evaluated.groupby(SEGMENTO)[columns].first()
    expected["n_atipicos"] = evaluated.groupby(SEGMENTO)["es_atipico"].sum()
    assert expected["n_atipicos"].sum() == reference["es_atipico"].sum() > 0
    expected = expected.reset_index()
    cerco = cerco.sort_values(SEGMENTO).reset_index(drop=True)[expected.columns]
    pd.testing.assert_frame_equal(cerco, expected.sort_values(SEGMENTO).reset_index(drop=True),
                                  check_dtype=False, rtol=1e-12)


def test_rerunning_a_period_leaves_gold_unchanged(sample_lake, gold, tmp_path):
    """On a private copy: a one-month run, twice, gives the full run's rows (history included)."""
    lake = lakecopy.copy_raw(sample_lake, tmp_path / "lake")
    run_pipeline(lake)
    period = "2024-06"
    for _ in range(2):
        run_pipeline(lake, period=period)
    with DuckDBEngine(lake, read_only=True) as engine:
        again = minilake.read(engine, "gold_facturacion_teorica_mes")
    pd.testing.assert_frame_equal(again, gold)


def test_chosen_candidate_reproduces_gold_flags(sample_lake, gold):
    """The comparison in detect's docs evaluates exactly the rule the SQL applies."""
    values = detect.candidate_values(gold)["log_ratio_mediana_12m"]
    np.testing.assert_allclose(values, gold["valor_evaluado"], rtol=1e-12, equal_nan=True)
    anomalias = evaluate.read_anomalies(sample_lake)
    table = detect.compare_candidates(gold, anomalias, config.DEFAULT_DESDE)
    chosen = table.loc["log_ratio_mediana_12m"]
    reported = gold[gold["anio_mes"] >= config.DEFAULT_DESDE]
    assert chosen["pct_atipicos"] == pytest.approx(100 * reported["es_atipico"].mean())
    assert chosen["recall"] > table.loc["log_importe", "recall"]
    assert chosen["recall_pico"] > 90


def test_methodology_text_names_the_choice():
    text = detect.valor_evaluado_methodology()
    assert text.startswith("Choosing valor_evaluado") and "**Chosen.**" in text


def test_every_reported_month_is_evaluated(gold):
    """The year of history before the first reported month gives its bills their 12-month reference."""
    reported = gold[gold["anio_mes"] >= config.DEFAULT_DESDE]
    by_month = reported.groupby("anio_mes")
    assert by_month["valor_evaluado"].apply(lambda v: v.notna().mean()).min() > 0.95
    assert reported.loc[reported["anio_mes"] == config.DEFAULT_DESDE, "meses_historia"].median() == 12
    assert by_month["es_atipico"].sum().min() > 0, "a reported month without any atypical bill"
    assert gold["anio_mes"].min() == config.shift_period(config.DEFAULT_DESDE, -config.DEFAULT_HISTORIA_PREVIA)
