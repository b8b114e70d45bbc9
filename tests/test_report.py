"""The notebook-facing API: pure computations, and ``open_report`` reading a small generated lake without writing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lds_utils.config import UsageError
from lds_utils.lake import pipeline
from lds_utils.reporting import report
from lds_utils.rules import fence
from tests import oracle


# -- pure computations --------------------------------------------------------------------------------------
def _kpi(meses: list[str], atipicos: list[int], total: int = 200) -> pd.DataFrame:
    return pd.DataFrame({
        "anio_mes": meses,
        "total_suministros": total,
        "total_atipicos": atipicos,
        "pct_atipicos": [100.0 * a / total for a in atipicos],
    })


def test_interannual_comparison_uses_the_same_month_one_year_earlier():
    kpi = _kpi(["2024-03", "2025-02", "2025-03"], [4, 9, 6])
    resumen = report.year_on_year(kpi, "2025-03")
    assert resumen["total_atipicos"] == 6 and resumen["periodo_anterior"] == "2024-03"
    assert resumen["variacion_atipicos"] == 2
    assert resumen["variacion_pct_pp"] == pytest.approx(1.0)
    assert all(isinstance(resumen[k], (int, float)) for k in ("total_suministros", "pct_atipicos"))


def test_interannual_comparison_without_previous_year_has_no_change():
    resumen = report.year_on_year(_kpi(["2022-01"], [3]), "2022-01")
    assert resumen["variacion_pct_pp"] is None and resumen["total_atipicos_anterior"] is None
    with pytest.raises(UsageError, match="2023-01"):
        report.year_on_year(_kpi(["2022-01"], [3]), "2023-01")


def test_personal_data_columns_are_refused():
    assert report.without_personal_data(pd.DataFrame(columns=["id_suministro"])).columns.tolist() == ["id_suministro"]
    with pytest.raises(ValueError, match="nombre"):
        report.without_personal_data(pd.DataFrame(columns=["id_suministro", "nombre"]))


def test_descriptions_come_from_the_raw_contract_then_derived_columns():
    tablas = pd.Series(["cliente", "bronze_cliente", "stg_acumulado", "silver_consumo_mensual", "vw_x"])
    columnas = pd.Series(["tipo_cliente", "tipo_cliente", "lectura_kwh_txt", "pct_error", "sin_describir"])
    descripcion = report.describe_columns(tablas, columnas)
    assert descripcion[0] == descripcion[1] and descripcion[0].startswith("RESIDENCIAL")
    assert descripcion[2].startswith("Texto RAW antes de tipar: Registro acumulado")
    assert descripcion[3] == report.DESCRIPCIONES["pct_error"]
    assert descripcion[4] == ""


@pytest.fixture(scope="module")
def gold_sintetico() -> pd.DataFrame:
    """Two segments of lognormal bills with a few planted spikes."""
    rng = np.random.default_rng(7)
    filas = []
    for tipo, n in (("RESIDENCIAL", 400), ("COMERCIAL", 25)):
        importe = rng.lognormal(4.0, 0.5, n)
        importe[: max(1, n // 70)] *= 8
        filas.append(pd.DataFrame({
            "id_suministro": [f"{tipo[:3]}{i:04d}" for i in range(n)], "tipo_cliente": tipo, "nivel_tension": "BT",
            "anio_mes": "2025-03", "facturacion_teorica": importe,
        }))
    gold = pd.concat(filas, ignore_index=True)
    gold["valor_evaluado"] = np.log(gold["facturacion_teorica"])
    return gold


def test_flag_rate_at_the_contract_parameters_matches_the_reference_fence(gold_sintetico):
    referencia = oracle.fence_reference(gold_sintetico)
    esperado = 100.0 * referencia["es_atipico"].sum() / len(referencia)
    assert report.atypical_rate(gold_sintetico, 1.5, 30) == pytest.approx(esperado)
    assert esperado > 0


def test_sensitivity_moves_in_the_expected_direction(gold_sintetico):
    por_factor = report.sensitivity(gold_sintetico, "factor", [1.0, 1.5, 3.0])
    assert por_factor["pct_atipicos"].is_monotonic_decreasing
    por_minimo = report.sensitivity(gold_sintetico, "minimo", [10, 30, 500])
    # the 25-bill segment only counts when the minimum lets it in; nothing counts above 400
    assert por_minimo["pct_atipicos"].iloc[0] > por_minimo["pct_atipicos"].iloc[1] > por_minimo["pct_atipicos"].iloc[2] == 0
    with pytest.raises(ValueError):
        report.sensitivity(gold_sintetico, "k", [1])


def test_sensitivity_applies_the_rule_to_each_text_segment(gold_sintetico):
    """sensitivity codes the segments as numbers once; each rate is still the rule over the text segments, and a
    bill whose segment key is missing is never atypical."""
    gold = gold_sintetico.copy()
    gold.loc[gold.index[:3], "tipo_cliente"] = None  # three of the planted spikes lose their segment
    factores = [1.0, 1.5, 3.0]
    tabla = report.sensitivity(gold, "factor", factores)
    assert tabla["pct_atipicos"].tolist() == [report.atypical_rate(gold, factor, 30) for factor in factores]
    codigos = fence.segment_codes(gold, ["tipo_cliente", "nivel_tension"])["segmento"]
    assert codigos.iloc[:3].isna().all() and codigos.iloc[3:].nunique() == 2


def _factura(**cambios) -> pd.Series:
    base = {
        "id_suministro": "S1", "tipo_cliente": "RESIDENCIAL", "tarifa": "BT5B", "consumo_kwh": 120.0,
        "demanda_kw": 0.8, "cargo_fijo_soles": 3.0, "energia_soles": 120 * 0.6, "potencia_soles": 0.0,
        "alumbrado_soles": 4.5, "descuento_fose_soles": 7.5 * 0.6, "recargo_fose_soles": 0.0, "es_atipico": False,
    }
    fila = pd.Series(base | cambios)
    fila["subtotal_soles"] = (fila["cargo_fijo_soles"] + fila["energia_soles"] + fila["potencia_soles"]
                              + fila["alumbrado_soles"] - fila["descuento_fose_soles"] + fila["recargo_fose_soles"])
    fila["igv_soles"] = fila["subtotal_soles"] * 0.18
    fila["facturacion_teorica"] = fila["subtotal_soles"] * 1.18
    return fila


def test_bill_breakdown_lines_add_up_to_the_total():
    pliego = pd.Series({"anio_mes": "2025-03", "cargo_energia": 60.0, "cargo_potencia_generacion": 0.0,
                        "cargo_potencia_distribucion": 0.0})
    desglose = report.bill_breakdown(_factura(), pliego).set_index("concepto")["importe_soles"]
    lineas = desglose.drop(["Subtotal", "IGV", "Total factura teórica"])
    assert lineas.sum() == pytest.approx(desglose["Subtotal"])
    assert desglose["Subtotal"] + desglose["IGV"] == pytest.approx(desglose["Total factura teórica"])
    assert desglose["Descuento FOSE"] < 0


def test_typical_bill_is_the_median_consumption_of_its_kind():
    gold = pd.DataFrame([
        _factura(id_suministro=i, consumo_kwh=kwh, es_atipico=atipico, tarifa=tarifa)
        for i, kwh, atipico, tarifa in [("A", 90, False, "BT5B"), ("B", 130, False, "BT5B"), ("C", 200, False, "BT5B"),
                                        ("D", 131, True, "BT5B"), ("E", 130, False, "BT5A")]
    ])
    assert report.typical_bill(gold)["id_suministro"] == "B"
    with pytest.raises(ValueError):
        report.typical_bill(gold, tarifa="MT2")


def test_generation_parameters_are_read_and_required(tmp_path):
    assert report.read_generation(tmp_path) is None
    with pytest.raises(UsageError, match="generacion.json not found.*lds_utils generate --lake"):
        report.require_generation(tmp_path)
    assert not report.generation_matches(None, 1500, 42)
    (tmp_path / report.GENERACION).write_text(json.dumps({"n_clientes": 1500, "seed": 42}))
    generacion = report.require_generation(tmp_path)
    assert report.generation_matches(generacion, 1500, 42)
    assert not report.generation_matches(generacion, 1500, 7)
    assert report.gold_months(tmp_path) == []


# -- open_report over a small generated lake -------------------------------------------------------------------
@pytest.fixture(scope="module")
def lago_dos_meses(tmp_path_factory):
    """A 200-customer lake whose pipeline ran for two months only."""
    from lds_utils.lake.pipeline import run_pipeline
    from lds_utils.synthetic.generate import GeneratorConfig, run_generate

    lago = tmp_path_factory.mktemp("lago") / "lake"
    run_generate(GeneratorConfig(n_clientes=200, seed=5), lago)
    for periodo in ("2025-03", "2025-04"):
        run_pipeline(lago, period=periodo)
    (lago / pipeline.FINGERPRINT_NAME).write_text(pipeline.pipeline_fingerprint())  # built by the current SQL
    return lago


def _archivos(lago) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(lago)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(lago.rglob("*"))}


def test_contexto_reads_the_views_for_its_period(lago_dos_meses):
    ctx = report.open_report("2025-04", lake=lago_dos_meses)
    try:
        assert ctx.period == "2025-04"
        mensual = ctx.kpi_by_month()
        assert mensual["anio_mes"].tolist() == ["2025-03", "2025-04"]
        resumen = ctx.period_summary()
        assert resumen == report.year_on_year(mensual, "2025-04")
        assert resumen["total_suministros"] == len(ctx.gold_month()) > 0
        assert ctx.kpi_by_district()["total_suministros"].sum() == resumen["total_suministros"]
        assert ctx.kpi_by_district()[["lat", "lon"]].notna().all().all()
        casos = ctx.critical_cases(3)
        assert len(casos) <= 3 and not set(casos.columns) & {"nombre", "numero_documento", "id_cliente"}
        assert ctx.raw_inventory()["coincide_contrato"].all()
        assert ctx.reconciliation()["cuadra"].all()
        diccionario = ctx.data_dictionary()
        assert {"raw_db", "bronze_db", "silver_db", "gold_db"} == set(diccionario["base_datos"])
        gold = diccionario[diccionario["tabla"] == "gold_facturacion_teorica_mes"]
        assert (gold["descripcion"] != "").all(), gold.loc[gold["descripcion"] == "", "columna"].tolist()
        filas = diccionario.drop_duplicates(["base_datos", "tabla"]).set_index(["base_datos", "tabla"])["filas"]
        assert filas["raw_db", "acumulado"] == ctx.sql("select count(*) as n from raw_db.acumulado")["n"].iloc[0]
        assert filas["silver_db", "silver_consumo_mensual"] == ctx.sql(
            "select count(*) as n from silver_db.silver_consumo_mensual")["n"].iloc[0] > 0
        assert pd.isna(filas["gold_db", "vw_kpi_atipicos_mes"]), "a view holds no rows of its own"
        tipos = diccionario.set_index(["tabla", "columna"])["tipo"]
        assert tipos["bronze_cliente", "tipo_cliente"] == "VARCHAR", "the table's type, not the view's ENUM"
    finally:
        ctx.close()
    latest = report.open_report(lake=lago_dos_meses)
    assert latest.period == "2025-04"
    latest.close()


def test_contexto_stops_at_a_month_not_built_and_writes_nothing(lago_dos_meses):
    antes = _archivos(lago_dos_meses)
    with pytest.raises(UsageError, match=r"period 2025-05 is not built .*GOLD holds 2025-03 to 2025-04.*"
                                         r"`python -m lds_utils pipeline --period 2025-05 --lake "):
        report.open_report("2025-05", lake=lago_dos_meses)
    assert _archivos(lago_dos_meses) == antes


def test_contexto_stops_at_a_lake_built_by_other_sql_and_writes_nothing(lago_dos_meses):
    huella = lago_dos_meses / pipeline.FINGERPRINT_NAME
    actual = huella.read_text()
    huella.write_text("sql of an older checkout")
    try:
        antes = _archivos(lago_dos_meses)
        with pytest.raises(UsageError, match="built by other SQL.*`python -m lds_utils pipeline --lake "):
            report.open_report("2025-04", lake=lago_dos_meses)
        assert _archivos(lago_dos_meses) == antes
    finally:
        huella.write_text(actual)


def test_book_of_a_lake_without_alert_relations_stops_in_one_line_and_writes_nothing(lago_dos_meses, tmp_path):
    from lds_utils.reporting.book import build_book

    antes = _archivos(lago_dos_meses)
    with pytest.raises(UsageError, match="gold_db.gold_alertas_mes are missing or do not match GOLD up to 2025-04"):
        build_book(lake=lago_dos_meses, build_root=tmp_path / "_build", progress=False)
    assert _archivos(lago_dos_meses) == antes
    assert not (tmp_path / "_build").exists()


def test_contexto_never_creates_a_lake(tmp_path):
    with pytest.raises(UsageError, match=r"no built lake at .*lds_utils generate --lake .*, then "
                                         r"`python -m lds_utils pipeline --lake "):
        report.open_report(lake=tmp_path / "no" / "lake")
    assert not (tmp_path / "no").exists()
    (tmp_path / "solo_raw" / "raw").mkdir(parents=True)
    with pytest.raises(UsageError, match=r"no built lake at .*: run `python -m lds_utils pipeline --lake "):
        report.open_report(lake=tmp_path / "solo_raw")
    assert [p.name for p in (tmp_path / "solo_raw").iterdir()] == ["raw"]


def test_segment_quartiles_read_as_percent_above_the_own_median():
    segmentos = pd.DataFrame({"tipo_cliente": ["RESIDENCIAL"], "nivel_tension": ["BT"], "n_segmento": [100],
                              "segmento_valido": [True], "q1": [np.log(0.9)], "q3": [np.log(1.1)],
                              "umbral_atipico": [np.log(1.5)], "atipicos": [2]})
    legible = report.readable_segments(segmentos).iloc[0]
    assert legible["segmento"] == "Residencial, BT"
    assert legible[["q1_pct", "q3_pct", "umbral_pct"]].tolist() == pytest.approx([-10.0, 10.0, 50.0])
    gold = pd.DataFrame({"tipo_cliente": ["COMERCIAL", "COMERCIAL"], "nivel_tension": ["BT", "BT"],
                         "valor_evaluado": [np.log(2.0), np.nan]})
    razones = report.segment_ratios(gold)
    assert razones["razon"].tolist() == pytest.approx([2.0]) and razones["segmento"].tolist() == ["Comercial, BT"]


def test_rejects_group_by_rule_before_the_colon():
    rechazos = pd.DataFrame({"tabla": ["acumulado", "acumulado", "medidor"],
                             "motivo": ["FORMATO_INVALIDO:fecha_lectura", "FILA_DUPLICADA", "FORMATO_INVALIDO:fecha_alta"],
                             "filas": [4, 7, 2]})
    por_regla = report.rejects_by_rule(rechazos)
    assert por_regla.to_dict("list") == {"regla": ["FILA_DUPLICADA", "FORMATO_INVALIDO"], "filas": [7, 6]}


def test_record_error_signals_count_supplies():
    silver = pd.DataFrame({"es_estimada": [True, False, False, False], "n_retrocesos": [0, 1, 0, 0],
                           "n_vueltas": [0, 0, 2, 0], "n_sin_lectura_previa": [0, 0, 0, 0],
                           "registros_error": [0, 3, np.nan, 1]})
    errores = report.register_errors(silver).set_index("senal")
    assert errores["suministros"].tolist() == [1, 1, 1, 0, 2]
    assert errores.loc["Lectura estimada", "pct_suministros"] == pytest.approx(25.0)


def test_year_on_year_sentence_and_table_follow_the_data():
    con_anterior = report.year_on_year(_kpi(["2024-03", "2025-03"], [4, 6]), "2025-03")
    assert report.year_on_year_sentence(con_anterior) == "en 2024-03 fue el 2.00 %, una variación de +1.00 puntos porcentuales"
    tabla = report.year_on_year_table(con_anterior).set_index("indicador")["valor"]
    assert tabla["% de suministros atípicos"] == "3.00 %" and tabla["Variación interanual"] == "+1.00 p.p."
    sin_anterior = report.year_on_year(_kpi(["2025-03"], [6]), "2025-03")
    assert "no hay datos de 2024-03" in report.year_on_year_sentence(sin_anterior)
    assert report.year_on_year_table(sin_anterior).set_index("indicador")["valor"]["Variación interanual"] == "sin datos de 2024-03"


def test_every_billing_rule_is_stated_in_spanish_with_its_source():
    from lds_utils.rules import billing

    fuentes = report.billing_sources()
    assert len(fuentes) == len(billing.SOURCES)
    assert not fuentes["fuente"].str.contains("approx|common knowledge|Source").any()
    assert fuentes["regla"].str.contains(f"{billing.FOSE_UMBRAL_KWH:.0f} kWh").any()


def test_a_month_of_the_history_year_is_not_reported(built_lake):
    with pytest.raises(UsageError, match="2021-06 is history before the first reported month 2022-01"):
        report.open_report("2021-06", lake=built_lake)
    ctx = report.open_report("2022-01", lake=built_lake)
    try:
        assert (ctx.period, ctx.inicio) == ("2022-01", "2022-01")
        assert ctx.kpi_by_month()["anio_mes"].tolist() == ["2022-01"]
    finally:
        ctx.close()


def test_the_criterion_sentence_says_whether_the_pick_is_the_value_in_use():
    def tabla(f1_por_dia: float) -> pd.DataFrame:
        filas = {"log_ratio_mediana_12m": (100.0, 11.7), "log_ratio_mediana_12m_por_dia": (100.0, f1_por_dia),
                 "importe": (0.0, 4.3)}
        return pd.DataFrame([{"clave": clave, "valor": report.CANDIDATOS[clave], "pct_meses_en_banda": banda, "f1": f1}
                             for clave, (banda, f1) in filas.items()])

    en_uso = report.criterion_sentence(tabla(10.0))
    assert en_uso.startswith("Con los datos de esta edición el criterio elige") and "pendiente" not in en_uso
    otro = report.criterion_sentence(tabla(12.3))
    assert "elegiría " + report.CANDIDATOS["log_ratio_mediana_12m_por_dia"] in otro and "pendiente" in otro


def test_every_meter_event_code_has_a_spanish_name():
    from lds_utils.synthetic.settings import CODIGOS_EVENTO

    assert set(report.NOMBRES_EVENTO) == set(CODIGOS_EVENTO)


def _inspection_list(enviadas: int, fuera: int, recientes: int) -> pd.DataFrame:
    se_inspecciona = ["Sí"] * enviadas + ["No, fuera de la capacidad"] * fuera + \
        ["No, ya enviada a inspección hace poco"] * recientes
    return pd.DataFrame({"prioridad": range(1, len(se_inspecciona) + 1), "se_inspecciona": se_inspecciona})


def test_the_dashboard_list_shows_every_alert_sent_and_the_next_ones():
    lista = _inspection_list(enviadas=7, fuera=12, recientes=4)
    mostrada = report.shown_inspection_list(lista, siguientes=5)
    assert mostrada["prioridad"].tolist() == list(range(1, 13))
    frase = report.shown_list_sentence(lista, mostrada, "2025-12")
    assert "las 7 que se inspeccionan y las 5 siguientes" in frase and "las 11 restantes" in frase
    assert "alertas_2025-12.csv" in frase
    pequena = _inspection_list(enviadas=3, fuera=2, recientes=1)
    todas = report.shown_inspection_list(pequena, siguientes=5)
    assert todas.equals(pequena)
    assert report.shown_list_sentence(pequena, todas, "2025-12") == "La tabla muestra las 6 alertas del mes."
