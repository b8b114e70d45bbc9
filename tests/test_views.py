"""KPI views on the sample lake: each equals the same aggregation of gold done with pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.pipeline import view_names
from tests import minilake, oracle

KPI_VIEWS = {
    "vw_kpi_atipicos_mes": ["anio_mes"],
    "vw_kpi_atipicos_zona_mes": ["zona", "anio_mes"],
    "vw_kpi_atipicos_distrito_mes": ["distrito", "zona", "anio_mes"],
    "vw_kpi_atipicos_zona_anual": ["zona", "anio"],
    "vw_kpi_atipicos_distrito_anual": ["distrito", "zona", "anio"],
}
DETAIL = "vw_facturacion_atipica_detalle"


@pytest.fixture(scope="module")
def relations(built_lake):
    with DuckDBEngine(built_lake, read_only=True) as engine:
        return {name: minilake.read(engine, name) for name in [*KPI_VIEWS, DETAIL, "gold_facturacion_teorica_mes"]}


def test_the_six_contract_views_exist():
    assert set(view_names()) == {"gold_facturacion_teorica_mes", *KPI_VIEWS, DETAIL}


@pytest.mark.parametrize("view", list(KPI_VIEWS))
def test_kpi_view_equals_pandas_aggregation(relations, view):
    keys = KPI_VIEWS[view]
    expected = oracle.kpi_reference(relations["gold_facturacion_teorica_mes"], keys)
    got = relations[view].sort_values(keys).reset_index(drop=True)[expected.columns]
    expected = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


def test_annual_views_count_supply_months(relations):
    anual = relations["vw_kpi_atipicos_zona_anual"]
    mensual = relations["vw_kpi_atipicos_zona_mes"].assign(anio=lambda f: f["anio_mes"].str.slice(0, 4).astype(int))
    summed = mensual.groupby(["zona", "anio"])[["total_suministros", "total_atipicos"]].sum().reset_index()
    merged = anual.merge(summed, on=["zona", "anio"], suffixes=("", "_mensual"))
    assert len(merged) == len(anual)
    assert (merged["total_suministros"] == merged["total_suministros_mensual"]).all()
    assert (merged["total_atipicos"] == merged["total_atipicos_mensual"]).all()


def test_detail_has_one_row_per_atypical_bill(relations):
    gold, detail = relations["gold_facturacion_teorica_mes"], relations[DETAIL]
    atypical = gold[gold["es_atipico"]].reset_index(drop=True)
    assert len(detail) == len(atypical) > 0
    pd.testing.assert_frame_equal(detail[["id_suministro", "anio_mes"]], atypical[["id_suministro", "anio_mes"]])


def test_detail_measures_the_excess(relations):
    detail = relations[DETAIL]
    assert (detail["exceso_valor"] > 0).all() and (detail["exceso_soles"] > 0).all()
    assert (detail["exceso_iqr"].dropna() > 1.5).all()
    at_threshold = detail["umbral_soles"] * detail["veces_umbral"]
    np.testing.assert_allclose(at_threshold, detail["facturacion_teorica"], rtol=1e-12)


def test_detail_has_no_personal_data(relations):
    assert not {"nombre", "numero_documento"} & set(relations[DETAIL].columns)
