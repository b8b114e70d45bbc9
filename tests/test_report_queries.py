"""Every report query (sql/report/*.sql) on the sample lake equals the same computation done with pandas on
the whole relations it reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lds_utils.config import SQL_ROOT
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.engines import DuckDBEngine

PERIOD = "2025-06"
#: The first reported month bound as :inicio: later than the lake's first month, so the lower bound is exercised.
INICIO = "2023-01"
TARIFF = "BT5B"
REPORT_QUERIES = sorted(path.stem for path in (SQL_ROOT / "report").glob("*.sql"))


@pytest.fixture(scope="module")
def engine(built_lake):
    with DuckDBEngine(built_lake, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def tables(engine):
    names = ["gold_db.gold_facturacion_teorica_mes", "gold_db.vw_kpi_atipicos_mes", "silver_db.silver_consumo_mensual",
             "bronze_db.bronze_sector", "bronze_db.bronze_suministro", "bronze_db.bronze_cliente",
             "bronze_db.bronze_tarifa", "bronze_db.bronze_rechazos", "bronze_db.bronze_conciliacion",
             "bronze_db.bronze_medidor", "bronze_db.bronze_asignacion_tarifa", "bronze_db.bronze_acumulado",
             "bronze_db.bronze_inspeccion", "bronze_db.bronze_lectura_intervalo", "bronze_db.bronze_evento_medidor",
             "raw_db.acumulado"]
    return {name.split(".")[1]: engine.read_sql(f"select * from {name}") for name in names}


def _run(engine, name: str, **params) -> pd.DataFrame:
    return engine.read_sql(sqlmod.load_sql("report", name), {"period": PERIOD, "inicio": INICIO, **params})


def _same(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    actual = actual.sort_values(keys, ignore_index=True)
    expected = expected[list(actual.columns)].sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_exact=False, rtol=1e-9)


def _kpi(gold: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = gold.groupby(keys).agg(total_suministros=("id_suministro", "size"),
                                     total_atipicos=("es_atipico", "sum")).reset_index()
    return grouped.assign(pct_atipicos=100.0 * grouped["total_atipicos"] / grouped["total_suministros"])


def _month(gold: pd.DataFrame) -> pd.DataFrame:
    return gold[gold["anio_mes"] == PERIOD]


def _reported(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["anio_mes"].between(INICIO, PERIOD)]


def _in_sample(ids: pd.Series, cada: int) -> pd.Series:
    """The evaluation sample's rule: the number after the code's first letter is a multiple of cada."""
    return pd.to_numeric(ids.str[1:], errors="coerce").fillna(0).astype("int64") % cada == 0


def _known_by_period(months: pd.Series) -> pd.Series:
    """The point-in-time rule of the quality queries: undated records count in every edition."""
    return months.isna() | (months <= PERIOD)


def test_every_report_query_has_a_parity_test():
    covered = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(REPORT_QUERIES) <= covered


def test_kpi_by_month(engine, tables):
    gold = tables["gold_facturacion_teorica_mes"]
    expected = _kpi(_reported(gold), ["anio_mes"])
    actual = _run(engine, "kpi_by_month")
    assert actual["anio_mes"].is_monotonic_increasing
    _same(actual, expected, ["anio_mes"])


def test_kpi_year_on_year(engine, tables):
    reported = _reported(tables["gold_facturacion_teorica_mes"])
    for anterior, filas in (("2024-06", 2), ("2022-06", 1)):  # a month before :inicio is not reported
        expected = _kpi(reported[reported["anio_mes"].isin([PERIOD, anterior])], ["anio_mes"])
        actual = _run(engine, "kpi_year_on_year", anio_anterior=anterior)
        assert len(actual) == filas and actual["anio_mes"].is_monotonic_increasing
        _same(actual, expected, ["anio_mes"])


def test_kpi_by_district(engine, tables):
    coordinates = tables["bronze_sector"].groupby("distrito")[["lat", "lon"]].mean().reset_index()
    expected = _kpi(_month(tables["gold_facturacion_teorica_mes"]), ["distrito", "zona"]).merge(coordinates,
                                                                                                on="distrito")
    actual = _run(engine, "kpi_by_district")
    assert actual["total_atipicos"].is_monotonic_decreasing
    _same(actual, expected, ["distrito"])


def test_kpi_by_district_type(engine, tables):
    expected = _kpi(_month(tables["gold_facturacion_teorica_mes"]), ["zona", "distrito", "tipo_cliente"])
    _same(_run(engine, "kpi_by_district_type"), expected, ["zona", "distrito", "tipo_cliente"])


def test_kpi_by_zone(engine, tables):
    expected = _kpi(_month(tables["gold_facturacion_teorica_mes"]), ["zona"])
    _same(_run(engine, "kpi_by_zone"), expected, ["zona"])


def test_kpi_by_zone_year(engine, tables):
    reported = _reported(tables["gold_facturacion_teorica_mes"])
    expected = _kpi(reported, ["zona", "anio"]).merge(
        reported.groupby(["zona", "anio"])["anio_mes"].nunique().rename("meses").reset_index())
    actual = _run(engine, "kpi_by_zone_year")
    assert actual["anio"].min() == int(INICIO[:4]) and actual.loc[actual["anio"] == 2025, "meses"].max() == 6
    _same(actual, expected, ["anio", "zona"])


def test_critical_cases(engine, tables):
    gold = _month(tables["gold_facturacion_teorica_mes"])
    atypical = gold[gold["es_atipico"].astype(bool)]
    expected = atypical.assign(exceso_soles=atypical["facturacion_teorica"] - atypical["umbral_soles"],
                               veces_umbral=atypical["facturacion_teorica"] / atypical["umbral_soles"])
    actual = _run(engine, "critical_cases")
    assert len(actual) > 0
    _same(actual, expected, ["id_suministro"])
    by_supply = expected.set_index("id_suministro")
    excess = by_supply["valor_evaluado"] - by_supply["umbral_atipico"]
    assert excess.reindex(actual["id_suministro"]).is_monotonic_decreasing


#: The date each BRONZE table is placed in time by (the month of the record); sectors are undated.
_RECORD_DATE = {"tarifa": "anio_mes", "cliente": "fecha_alta", "suministro": "fecha_conexion",
                "medidor": "fecha_instalacion", "asignacion_tarifa": "fecha_inicio", "acumulado": "anio_mes",
                "inspeccion": "fecha_inspeccion", "lectura_intervalo": "anio_mes", "evento_medidor": "fecha_hora"}
#: Tables whose keys are never replaced by a later delivery (stg has no reemplazada).
_NEVER_REPLACED = ("acumulado", "lectura_intervalo")


def _valid_rows_by_period(tables) -> pd.Series:
    counts = {"sector": len(tables["bronze_sector"])}
    for table, column in _RECORD_DATE.items():
        months = pd.to_datetime(tables[f"bronze_{table}"][column].astype(str)).dt.strftime("%Y-%m")
        counts[table] = int(_known_by_period(months).sum())
    return pd.Series(counts)


def _replaced_rows_by_period(engine) -> pd.Series:
    counts = {"sector": len(engine.read_sql("select 1 from bronze_db.stg_sector where reemplazada")),
              **dict.fromkeys(_NEVER_REPLACED, 0)}
    for table, column in _RECORD_DATE.items():
        if table not in _NEVER_REPLACED:
            dates = engine.read_sql(f"select {column} from bronze_db.stg_{table} where reemplazada")[column]
            counts[table] = int(_known_by_period(pd.to_datetime(dates.astype(str)).dt.strftime("%Y-%m")).sum())
    return pd.Series(counts)


def test_reconciliation(engine, tables):
    rejects = tables["bronze_rechazos"]
    rejected = rejects[_known_by_period(rejects["mes_registro"])].groupby("tabla").size()
    valid = _valid_rows_by_period(tables)
    expected = pd.DataFrame({"filas_bronze": valid, "filas_rechazadas": rejected.reindex(valid.index, fill_value=0),
                             "filas_reemplazadas": _replaced_rows_by_period(engine).reindex(valid.index)})
    actual = _run(engine, "reconciliation")
    assert actual["cuadra"].all()
    whole_lake = tables["bronze_conciliacion"].set_index("tabla")
    later = whole_lake["filas_raw"] - actual.set_index("tabla")["filas_raw"].reindex(whole_lake.index)
    assert (later > 0).sum() >= 4 and (later >= 0).all(), later
    _same(actual.drop(columns=["filas_raw", "cuadra"]), expected.rename_axis("tabla").reset_index(), ["tabla"])


def test_rejects_by_reason(engine, tables):
    rejects = tables["bronze_rechazos"]
    known = rejects[_known_by_period(rejects["mes_registro"])]
    assert len(known) < len(rejects)
    expected = known.groupby(["tabla", "motivo"]).size().rename("filas").reset_index()
    _same(_run(engine, "rejects_by_reason"), expected, ["tabla", "motivo"])


def test_reject_examples(engine, tables):
    rejects = tables["bronze_rechazos"]
    rejects = rejects[_known_by_period(rejects["mes_registro"])]
    shown = rejects[~rejects["tabla"].isin(["cliente", "medidor"])]
    expected = shown.groupby(["tabla", "motivo"])["registro"].min().reset_index()
    actual = _run(engine, "reject_examples", personal_tables="cliente,medidor")
    assert not actual["tabla"].isin(["cliente", "medidor"]).any()
    _same(actual, expected, ["tabla", "motivo"])


def test_silver_month(engine, tables):
    silver = tables["silver_consumo_mensual"]
    _same(_run(engine, "silver_month"), silver[silver["anio_mes"] == PERIOD], ["id_suministro"])


@pytest.mark.parametrize("cada", [1, 3])
def test_all_bills(engine, tables, cada):
    gold = tables["gold_facturacion_teorica_mes"]
    expected = gold[(gold["anio_mes"] <= PERIOD) & _in_sample(gold["id_suministro"], cada)]
    actual = _run(engine, "all_bills", cada=cada)
    assert len(actual) < len(gold) / 2 if cada == 3 else len(actual) > 0
    _same(actual, expected, ["id_suministro", "anio_mes"])


def test_gold_month(engine, tables):
    actual = _run(engine, "gold_month")
    assert "id_cliente" not in actual.columns
    _same(actual, _month(tables["gold_facturacion_teorica_mes"]), ["id_suministro"])


def test_consumption_by_month(engine, tables):
    silver = tables["silver_consumo_mensual"]
    measured = _reported(silver)[lambda s: s["n_diferencias"] > 0]
    grouped = measured.groupby("anio_mes")
    expected = pd.DataFrame({
        "suministros": grouped.size(),
        "consumo_kwh": grouped["consumo_kwh"].sum(),
        "con_lectura_estimada": grouped["es_estimada"].sum(),
        "retrocesos": grouped["n_retrocesos"].sum(),
        "vueltas": grouped["n_vueltas"].sum(),
        "pct_error": 100 * grouped["registros_error"].sum() / grouped["registros_esperados"].sum(),
    }).reset_index()
    _same(_run(engine, "consumption_by_month"), expected, ["anio_mes"])


def test_tariff_schedule(engine, tables):
    tarifa = tables["bronze_tarifa"]
    expected = tarifa[(tarifa["opcion_tarifaria"] == TARIFF) & (tarifa["anio_mes"] == PERIOD)]
    actual = _run(engine, "tariff_schedule", tariff=TARIFF)
    assert len(actual) == 1
    _same(actual, expected, ["opcion_tarifaria"])


def test_segments(engine, tables):
    gold = _month(tables["gold_facturacion_teorica_mes"])
    grouped = gold.groupby(["tipo_cliente", "nivel_tension"])
    expected = pd.DataFrame({
        "n_segmento": grouped["n_segmento"].max(), "segmento_valido": grouped["segmento_valido"].all(),
        "q1": grouped["q1"].max(), "q3": grouped["q3"].max(), "iqr": grouped["iqr"].max(),
        "umbral_atipico": grouped["umbral_atipico"].max(), "atipicos": grouped["es_atipico"].sum(),
    }).reset_index()
    _same(_run(engine, "segments"), expected, ["tipo_cliente", "nivel_tension"])


def test_supplies_by_zone_and_type(engine, tables):
    supplies = tables["bronze_suministro"]
    connected = pd.to_datetime(supplies["fecha_conexion"]).dt.strftime("%Y-%m")
    disconnected = pd.to_datetime(supplies["fecha_baja"]).dt.strftime("%Y-%m")
    active = (connected <= PERIOD) & (disconnected.isna() | (disconnected > PERIOD))
    assert 0 < active.sum() < len(supplies)
    joined = (supplies[active][["id_cliente", "id_sector"]]
              .merge(tables["bronze_cliente"][["id_cliente", "tipo_cliente"]], on="id_cliente")
              .merge(tables["bronze_sector"][["id_sector", "zona"]], on="id_sector"))
    expected = joined.groupby(["zona", "tipo_cliente"]).size().rename("suministros").reset_index()
    _same(_run(engine, "supplies_by_zone_and_type"), expected, ["zona", "tipo_cliente"])


def test_raw_columns(engine):
    from lds_utils.lake.schema import RAW_SCHEMAS

    actual = _run(engine, "raw_columns")
    expected = {table: [column.name for column in columns] for table, columns in RAW_SCHEMAS.items()}
    assert actual.groupby("tabla", sort=False)["columna"].agg(list).to_dict() == expected


def test_catalog_columns(engine, tables):
    actual = _run(engine, "catalog_columns")
    gold = actual[(actual["base_datos"] == "gold_db") & (actual["tabla"] == "gold_facturacion_teorica_mes")]
    assert gold.sort_values("posicion")["columna"].tolist() == list(tables["gold_facturacion_teorica_mes"].columns)
    coded = actual[(actual["tabla"] == "bronze_sector") & (actual["columna"] == "zona")]
    assert coded["tipo"].tolist() == ["VARCHAR"]  # the ENUM of a coded column reads as text


def test_raw_sample(engine, tables):
    raw = tables["acumulado"]
    delivered = raw["entrega"].isin([PERIOD, "0000-00"]) & (raw["fecha_lectura"].str.strip().str[:7] <= PERIOD)
    expected = raw[delivered].sort_values("id_lectura").head(5)
    actual = _run(engine, "raw_sample")
    assert len(actual) == 5
    assert actual.fillna("").to_dict("records") == expected.fillna("").to_dict("records")


def test_latest_month(engine, tables):
    assert _run(engine, "latest_month")["anio_mes"].iloc[0] == tables["gold_facturacion_teorica_mes"]["anio_mes"].max()


@pytest.fixture(scope="module")
def alert_tables(engine):
    return {name: engine.read_sql(f"select * from gold_db.{name}") for name in ("gold_senales_mes", "gold_alertas_mes")}


def test_gold_months(engine, tables):
    expected = sorted(tables["gold_facturacion_teorica_mes"]["anio_mes"].unique())
    assert _run(engine, "gold_months")["anio_mes"].tolist() == expected


@pytest.mark.parametrize("cada", [1, 3])
def test_detections(engine, tables, alert_tables, cada):
    signals, alerts = alert_tables["gold_senales_mes"], alert_tables["gold_alertas_mes"]
    gold = tables["gold_facturacion_teorica_mes"][["id_suministro", "anio_mes", "es_atipico", "valor_evaluado", "q3",
                                                   "iqr", "facturacion_teorica", "facturacion_referencia"]]
    listed = ["prioridad", "capacidad", "dentro_capacidad", "motivo_principal", "banda_consumo", "valor_esperado"]
    joined = (_reported(signals).drop(columns=["motivo_principal", "facturacion_teorica"])
              .merge(gold, on=["id_suministro", "anio_mes"])
              .merge(alerts[["id_suministro", "anio_mes", *listed]], on=["id_suministro", "anio_mes"], how="left",
                     indicator=True))
    joined = joined[_in_sample(joined["id_suministro"], cada)]
    expected = joined.assign(
        es_alerta_iqr=joined["es_atipico"], es_alerta_complementaria=joined["es_alerta"],
        es_alerta_combinada=joined["_merge"] == "both",
        dentro_capacidad=joined["dentro_capacidad"].fillna(False).astype(bool),
        exceso_iqr=((joined["valor_evaluado"] - joined["q3"]) / joined["iqr"]).where(joined["es_atipico"]),
        importe_en_juego=(joined["facturacion_teorica"] - joined["facturacion_referencia"]).abs().fillna(0.0))
    actual = engine.read_sql(sqlmod.load_sql("report", "detections"), {"desde": INICIO, "hasta": PERIOD, "cada": cada})
    expected = expected.astype({column: actual[column].dtype for column in ("prioridad", "capacidad")})
    assert actual["es_alerta_combinada"].any()
    _same(actual, expected, ["id_suministro", "anio_mes"])


@pytest.mark.parametrize("cada", [1, 3])
def test_inspections(engine, cada):
    inspections = engine.read_sql("select * from bronze_db.bronze_inspeccion")
    month = inspections["fecha_inspeccion"].astype(str).str[:7]
    inside = month.between(INICIO, PERIOD) & _in_sample(inspections["id_suministro"], cada)
    expected = inspections[inside].assign(mes_inspeccion=month[inside])
    actual = engine.read_sql(sqlmod.load_sql("report", "inspections"), {"desde": INICIO, "hasta": PERIOD, "cada": cada})
    assert len(actual) and actual["mes_inspeccion"].between(INICIO, PERIOD).all()
    _same(actual, expected, ["id_suministro", "mes_inspeccion", "motivo_inspeccion", "resultado"])


def test_alerts_of_month(engine, alert_tables):
    alerts = alert_tables["gold_alertas_mes"]
    actual = _run(engine, "alerts_of_month")
    assert actual["prioridad"].is_monotonic_increasing and len(actual)
    _same(actual, alerts[alerts["anio_mes"] == PERIOD], ["id_suministro"])


@pytest.mark.parametrize("desde", ["0000-00", PERIOD])
def test_alert_tables_check(engine, tables, alert_tables, desde):
    def months(frame):
        return frame[frame["anio_mes"].between(desde, PERIOD)]

    gold = months(tables["gold_facturacion_teorica_mes"])
    signals, alerts = months(alert_tables["gold_senales_mes"]), months(alert_tables["gold_alertas_mes"])
    actual = _run(engine, "alert_tables_check", desde=desde).iloc[0]
    assert actual["gold_filas"] == len(gold) and actual["senales_filas"] == len(signals) and len(gold)
    assert actual["gold_kwh"] == pytest.approx(gold["consumo_kwh"].sum(), rel=1e-12)
    assert actual["senales_kwh"] == pytest.approx(signals["consumo_kwh"].sum(), rel=1e-12)
    assert actual["gold_atipicos"] == gold["es_atipico"].sum() and actual["alertas_iqr"] == alerts["es_alerta_iqr"].sum()


def test_month_summary(engine, tables, alert_tables):
    gold, alerts = tables["gold_facturacion_teorica_mes"], alert_tables["gold_alertas_mes"]
    before = "2025-05"
    month, previous = gold[gold["anio_mes"] == PERIOD], gold[gold["anio_mes"] == before]
    listed, listed_before = alerts[alerts["anio_mes"] == PERIOD], alerts[alerts["anio_mes"] == before]
    expected = {
        "facturas": len(month), "facturas_anterior": len(previous),
        "atipicos": month["es_atipico"].sum(), "atipicos_anterior": previous["es_atipico"].sum(),
        "facturacion_soles": month["facturacion_teorica"].sum(),
        "facturacion_soles_anterior": previous["facturacion_teorica"].sum(),
        "suministros_nuevos": len(set(month["id_suministro"]) - set(previous["id_suministro"])),
        "suministros_sin_factura": len(set(previous["id_suministro"]) - set(month["id_suministro"])),
        "alertas": len(listed), "alertas_anterior": len(listed_before),
        "alertas_nuevas": listed["es_nueva"].sum(), "a_inspeccionar": listed["dentro_capacidad"].sum(),
    }
    actual = _run(engine, "month_summary", mes_anterior=before).iloc[0]
    assert actual.to_dict() == pytest.approx(expected, rel=1e-12)
    assert expected["suministros_nuevos"] and expected["alertas_nuevas"] and expected["atipicos"]


#: A month with smart-meter data in the sample (its interval data start in 2025-07, after PERIOD).
PERIODO_INTERVALOS = "2025-10"


@pytest.fixture(scope="module")
def intervalos_mensual(engine):
    return engine.read_sql("select * from silver_db.silver_intervalo_mensual")


def test_interval_quality(engine, intervalos_mensual):
    rows = intervalos_mensual[intervalos_mensual["anio_mes"].between(INICIO, PERIODO_INTERVALOS)]
    complete = rows[rows["periodo_completo"].astype(bool)]
    known = complete[complete["coincide_registro"].notna()]
    expected = pd.DataFrame({
        "medidores": rows.groupby("anio_mes").size(),
        "periodos_completos": complete.groupby("anio_mes").size(),
        "pct_error_medio": complete.groupby("anio_mes")["pct_error"].mean(),
        "pct_coincide": 100 * known.groupby("anio_mes")["coincide_registro"].mean().astype(float),
        "medidores_dia_en_cero": rows[rows["racha_ceros_max"] >= 96].groupby("anio_mes").size(),
        "kwh_intervalos": rows.groupby("anio_mes")["kwh_intervalos"].sum(),
    }).rename_axis("anio_mes").reset_index()
    expected["medidores_dia_en_cero"] = expected["medidores_dia_en_cero"].fillna(0)
    expected["periodos_completos"] = expected["periodos_completos"].fillna(0)
    actual = _run(engine, "interval_quality", period=PERIODO_INTERVALOS)
    assert list(actual["anio_mes"]) == ["2025-07", "2025-08", "2025-09", "2025-10"]
    _same(actual, expected, ["anio_mes"])
    assert _run(engine, "interval_quality").empty, "an edition before the first interval month shows none"


def test_meter_events(engine, tables):
    events = tables["bronze_evento_medidor"]
    inside = events[events["anio_mes"].between(INICIO, PERIODO_INTERVALOS)]
    expected = inside.groupby(["anio_mes", "codigo_evento"]).agg(
        eventos=("id_evento", "size"), medidores=("id_medidor", "nunique")).reset_index()
    actual = _run(engine, "meter_events", period=PERIODO_INTERVALOS)
    assert len(actual) > 4 and actual["anio_mes"].max() <= PERIODO_INTERVALOS
    _same(actual, expected, ["anio_mes", "codigo_evento"])


def test_interval_disagreements(engine, intervalos_mensual):
    month = intervalos_mensual[(intervalos_mensual["anio_mes"] == PERIODO_INTERVALOS)
                               & intervalos_mensual["periodo_completo"].astype(bool)]
    month = month[month["coincide_registro"].eq(False)]
    relative = month["diferencia_kwh"].abs() / np.maximum(np.maximum(month["kwh_registro"], month["kwh_intervalos"]), 1)
    expected = month.assign(pct_diferencia=100 * relative).sort_values(
        ["pct_diferencia", "id_medidor"], ascending=[False, True]).head(5)
    actual = _run(engine, "interval_disagreements", period=PERIODO_INTERVALOS, n=5)
    assert len(actual) == 5
    assert list(actual["id_medidor"]) == list(expected["id_medidor"])
    _same(actual, expected, ["id_medidor"])


def test_interval_profile(engine, tables):
    intervals = tables["bronze_lectura_intervalo"]
    meter = intervals["id_medidor"].iloc[0]
    one = intervals[(intervals["id_medidor"] == meter)].assign(dia=lambda f: pd.to_datetime(f["fecha_hora"]).dt.date)
    one = one[(one["dia"] >= pd.Timestamp("2025-09-20").date()) & (one["dia"] < pd.Timestamp("2025-11-05").date())]
    one = one[one["anio_mes"] <= PERIODO_INTERVALOS]  # nothing after the analysis month
    expected = one.groupby("dia").agg(kwh=("energia_kwh", "sum"), intervalos=("energia_kwh", "size"),
                                      demanda_max_kw=("energia_kwh", "max")).reset_index()
    expected["demanda_max_kw"] *= 4
    actual = _run(engine, "interval_profile", period=PERIODO_INTERVALOS, id_medidor=meter,
                  fecha_desde="2025-09-20", fecha_hasta="2025-11-05")
    actual["dia"] = pd.to_datetime(actual["dia"]).dt.date
    assert str(actual["dia"].max()) <= "2025-10-31" and len(actual) > 30
    _same(actual, expected, ["dia"])


@pytest.mark.parametrize("cada", [1, 3])
def test_smart_meter_months(engine, intervalos_mensual, cada):
    rows = intervalos_mensual[intervalos_mensual["anio_mes"].between(INICIO, PERIODO_INTERVALOS)
                              & _in_sample(intervalos_mensual["id_suministro"], cada)]
    expected = rows[["id_suministro", "anio_mes"]].drop_duplicates()
    actual = engine.read_sql(sqlmod.load_sql("report", "smart_meter_months"),
                             {"desde": INICIO, "hasta": PERIODO_INTERVALOS, "cada": cada})
    assert len(actual) > 100 // cada
    _same(actual, expected, ["anio_mes", "id_suministro"])


def test_profile_changes(engine, alert_tables, intervalos_mensual):
    signals = alert_tables["gold_senales_mes"]
    month = signals[(signals["anio_mes"] == PERIODO_INTERVALOS) & signals["razon_perfil_historia"].notna()]
    joined = month.merge(intervalos_mensual, on=["id_suministro", "anio_mes"])
    joined["ratio_noche_dia_previo"] = joined["ratio_noche_dia"] / joined["razon_perfil_historia"]
    expected = joined.sort_values(["razon_perfil_historia", "id_suministro"], ascending=[False, True]).head(5)
    actual = _run(engine, "profile_changes", period=PERIODO_INTERVALOS, n=5)
    assert len(actual) == 5 and actual["razon_perfil_historia"].is_monotonic_decreasing
    assert list(actual["id_suministro"]) == list(expected["id_suministro"])
    _same(actual, expected, ["id_suministro"])
    assert _run(engine, "profile_changes", n=5).empty, "an edition before the first interval month shows none"


def test_day_shape(engine, tables):
    intervals = tables["bronze_lectura_intervalo"]
    meter = intervals["id_medidor"].iloc[0]
    one = intervals[(intervals["id_medidor"] == meter) & intervals["anio_mes"].between("2025-08", PERIODO_INTERVALOS)]
    expected = one.assign(hora=pd.to_datetime(one["fecha_hora"]).dt.hour).groupby(["anio_mes", "hora"]).agg(
        kw_medio=("energia_kwh", "mean"), intervalos=("energia_kwh", "size")).reset_index()
    expected["kw_medio"] *= 4
    actual = _run(engine, "day_shape", period=PERIODO_INTERVALOS, id_medidor=meter, desde="2025-08")
    assert sorted(actual["anio_mes"].unique()) == ["2025-08", "2025-09", "2025-10"] and len(actual) == 72
    _same(actual, expected, ["anio_mes", "hora"])
