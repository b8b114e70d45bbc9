"""The pipeline end to end on the default sample: contract, reconciliation, per-period idempotence, CLI, lock."""

import fnmatch
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from lds_utils.config import PROJECT_ROOT, RAW_TABLES, SQL_ROOT, UsageError
from lds_utils.lake import integrity, pipeline
from lds_utils.lake.pipeline import (DATE_LIMITED_REASONS, GraphRunner, Months, date_limit_allows, lake_lock,
                                     pipeline_parameters, relations, run_pipeline, supply_slices, view_names)
from lds_utils.lake.registry import open_engine
from tests import lakecopy

GOLD_CONTRACT = [
    "id_suministro", "id_cliente", "anio_mes", "anio", "mes", "tipo_cliente", "nivel_tension", "tarifa",
    "distrito", "zona", "consumo_kwh", "demanda_kw", "facturacion_teorica", "valor_evaluado", "n_segmento",
    "segmento_valido", "q1", "q3", "iqr", "umbral_atipico", "es_atipico",
]
VIEWS = [
    "vw_facturacion_atipica_detalle", "vw_kpi_atipicos_distrito_anual", "vw_kpi_atipicos_distrito_mes",
    "vw_kpi_atipicos_mes", "vw_kpi_atipicos_zona_anual", "vw_kpi_atipicos_zona_mes",
]


def _query(lake, sql, params=None):
    with open_engine("duckdb", lake, read_only=True) as engine:
        return engine.read_sql(sql, params)


def test_catalog_holds_every_contract_relation(built_lake):
    tables = _query(built_lake, "select table_schema, table_name from information_schema.tables")
    present = set(zip(tables.table_schema, tables.table_name))
    assert {("raw_db", t) for t in RAW_TABLES} <= present
    assert {("bronze_db", f"bronze_{t}") for t in RAW_TABLES} <= present
    assert {("bronze_db", "bronze_rechazos"), ("bronze_db", "bronze_conciliacion")} <= present
    assert ("silver_db", "silver_consumo_mensual") in present
    assert {("gold_db", "gold_factura_evaluada_mes"), ("gold_db", "gold_cerco_segmento_mes")} <= present
    assert view_names() == ["gold_facturacion_teorica_mes", *VIEWS]
    assert {("gold_db", v) for v in view_names()} <= present


def test_gold_has_the_contract_columns(built_lake):
    gold = _query(built_lake, "select * from gold_db.gold_facturacion_teorica_mes limit 1")
    assert set(GOLD_CONTRACT) <= set(gold.columns)


def test_reconciliation_holds_for_every_raw_table(built_lake):
    conciliacion = _query(built_lake, "select * from bronze_db.bronze_conciliacion order by tabla")
    assert sorted(conciliacion.tabla) == sorted(RAW_TABLES)
    assert conciliacion.cuadra.all()
    assert (conciliacion.filas_raw == conciliacion.filas_bronze + conciliacion.filas_rechazadas
            + conciliacion.filas_reemplazadas).all()
    assert conciliacion.set_index("tabla").filas_reemplazadas["suministro"] > 0, "disconnections arrive again"
    raw_counts = {t: _query(built_lake, f"select count(*) as n from raw_db.{t}").n.iloc[0] for t in RAW_TABLES}
    assert dict(zip(conciliacion.tabla, conciliacion.filas_raw)) == raw_counts


def test_every_reject_has_a_reason_and_the_raw_record(built_lake):
    rechazos = _query(built_lake, "select tabla, motivo, registro from bronze_db.bronze_rechazos")
    assert len(rechazos) > 0, "the sample carries raw dirt, so something must be rejected"
    assert rechazos.motivo.str.match(r"^[A-Z_]+(:[a-z_]+)?$").all()
    assert rechazos.registro.str.len().gt(0).all()


def test_bronze_keys_are_unique(built_lake):
    keys = {"cliente": "id_cliente", "suministro": "id_suministro", "medidor": "id_medidor",
            "acumulado": "id_lectura", "tarifa": "id_tarifa", "sector": "id_sector"}
    for table, key in keys.items():
        dupes = _query(built_lake, f"select count(*) - count(distinct {key}) as d from bronze_db.bronze_{table}")
        assert dupes.d.iloc[0] == 0, table


def test_gold_has_one_row_per_supply_and_month(built_lake):
    dupes = _query(built_lake, """
        select count(*) as n from (
            select id_suministro, anio_mes from gold_db.gold_facturacion_teorica_mes
            group by id_suministro, anio_mes having count(*) > 1) as d""")
    assert dupes.n.iloc[0] == 0


def _gold_partition(lake, period):
    frame = _query(lake, "select * from gold_db.gold_facturacion_teorica_mes where anio_mes = :p", {"p": period})
    return frame.sort_values("id_suministro").reset_index(drop=True)


def test_period_run_is_idempotent_and_equals_the_full_run(built_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(built_lake, lake)
    period = "2024-02"
    full = _gold_partition(lake, period)
    others_before = _query(lake, "select count(*) as n from gold_db.gold_facturacion_teorica_mes where anio_mes <> :p",
                           {"p": period}).n.iloc[0]
    run_pipeline(lake, period=period)
    once = _gold_partition(lake, period)
    run_pipeline(lake, period=period)
    twice = _gold_partition(lake, period)
    pd.testing.assert_frame_equal(once, twice)
    pd.testing.assert_frame_equal(full, once)
    others_after = _query(lake, "select count(*) as n from gold_db.gold_facturacion_teorica_mes where anio_mes <> :p",
                          {"p": period}).n.iloc[0]
    assert others_after == others_before


def test_a_lake_built_month_by_month_equals_one_run_of_every_month(tmp_path):
    """A new lake's first period run creates the bills it reads history from; each later month reads the bills
    the earlier runs published. The result is the run of every month's, history and fences included."""
    from lds_utils.synthetic.generate import GeneratorConfig, run_generate

    months = ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02"]
    whole, by_month = tmp_path / "whole", tmp_path / "by_month"
    run_generate(GeneratorConfig(n_clientes=150, seed=5, desde=months[0], hasta=months[-1], historia_previa_meses=0), whole)
    shutil.copytree(whole, by_month)
    run_pipeline(whole)
    for month in months:
        run_pipeline(by_month, period=month)
    ordered = "select * from gold_db.gold_facturacion_teorica_mes order by id_suministro, anio_mes"
    expected, built = _query(whole, ordered), _query(by_month, ordered)
    assert expected["meses_historia"].gt(1).any() and expected["es_atipico"].any()
    pd.testing.assert_frame_equal(built, expected)


def test_a_period_run_refuses_a_lake_that_lacks_some_monthly_tables(built_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(built_lake, lake)
    with open_engine("duckdb", lake) as engine:
        engine.con.execute("drop view gold_db.gold_cerco_segmento_mes")  # a lake from before the fences table
    record = integrity.read_record(lake)  # whose record of what is published does not name it either
    del record["gold_db.gold_cerco_segmento_mes"]
    integrity.write_record(lake, record)
    before = _query(lake, "select count(*) as n from gold_db.gold_factura_evaluada_mes").n.iloc[0]
    with pytest.raises(UsageError, match="no gold_db.gold_cerco_segmento_mes .*without --period"):
        run_pipeline(lake, period="2024-02")
    assert _query(lake, "select count(*) as n from gold_db.gold_factura_evaluada_mes").n.iloc[0] == before


def test_silver_and_gold_computed_in_supply_slices_equal_one_run(built_lake, tmp_path, monkeypatch):
    ordered = "select * from {} order by id_suministro, anio_mes"
    whole = {t: _query(built_lake, ordered.format(t)) for t in ("silver_db.silver_consumo_mensual",
                                                                  "gold_db.gold_facturacion_teorica_mes")}
    lake = tmp_path / "lake"
    shutil.copytree(built_lake, lake)
    monkeypatch.setattr(pipeline, "READINGS_PER_SLICE", 20_000)
    with open_engine("duckdb", lake, read_only=True) as engine:
        readings = _query(lake, "select count(*) as n from bronze_db.bronze_acumulado").n.iloc[0]
        slices = supply_slices(engine, pipeline_parameters(None))
    assert len(slices) == -(-readings // 20_000) > 1
    assert slices[0]["suministro_desde"] == "" and slices[-1]["suministro_hasta"] == ""
    assert all(a["suministro_desde"] < a["suministro_hasta"] == b["suministro_desde"]
               for a, b in zip(slices[:-1], slices[1:]))
    run_pipeline(lake)
    for table, rows in whole.items():
        pd.testing.assert_frame_equal(_query(lake, ordered.format(table)), rows)
    for layer, table in (("silver", "silver_consumo_mensual"), ("gold", "gold_factura_evaluada_mes")):
        files = list((lake / layer / table).glob("v*/anio_mes=*/*.parquet"))
        assert {path.name.split("_")[1] for path in files} == {str(part) for part in range(len(slices))}, table


def test_one_slice_when_the_readings_fit(built_lake):
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        assert supply_slices(engine, pipeline_parameters(None)) is None


def _bronze_versions(lake):
    return sorted(path.relative_to(lake) for path in (lake / "bronze").glob("*/v*"))


def _bronze_steps(manifest):
    return [step for step in manifest["steps"] if step["layer"] == "bronze"]


#: Every BRONZE relation a rebuild writes: the tariff-option reference, each raw table's staging and table, the
#: typed deliveries of the five dimension tables, the inspections and the meter events, the decision on repeated
#: readings, the rejects and the reconciliation.
BRONZE_STEPS = 1 + 2 * len(RAW_TABLES) + 6 + 3


def test_a_period_run_on_unchanged_raw_reuses_bronze(built_lake, tmp_path):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    full = run_pipeline(lake)
    versions = _bronze_versions(lake)
    gold = _gold_partition(lake, "2025-06")
    period = run_pipeline(lake, period="2025-06")
    assert (full["bronze"], period["bronze"]) == ("rebuilt", "reused")
    assert _bronze_steps(period) == [] and len(_bronze_steps(full)) == BRONZE_STEPS
    assert _bronze_versions(lake) == versions
    assert period["raw_rows"] == full["raw_rows"]
    pd.testing.assert_frame_equal(_gold_partition(lake, "2025-06"), gold)


def test_a_period_run_rebuilds_bronze_when_a_raw_file_changed(built_lake, tmp_path):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    readings = _query(lake, "select count(*) as n from bronze_db.stg_acumulado").n.iloc[0]
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "acumulado"), lambda lines: lines[:-1])
    period = run_pipeline(lake, period="2025-06")
    assert period["bronze"] == "rebuilt" and len(_bronze_steps(period)) == BRONZE_STEPS
    assert _query(lake, "select count(*) as n from bronze_db.stg_acumulado").n.iloc[0] == readings - 1


@pytest.mark.parametrize("state, fecha_maxima, allowed", [
    ({"fecha_maxima": "2026-01-10", "rechazos_por_fecha": 3}, "2026-01-10", True),
    ({"fecha_maxima": "2026-01-10", "rechazos_por_fecha": 0}, "2026-02-01", True),
    ({"fecha_maxima": "2026-01-10", "rechazos_por_fecha": 3}, "2026-02-01", False),
    ({"fecha_maxima": "2026-01-10", "rechazos_por_fecha": 0}, "2026-01-01", False),
])
def test_bronze_stands_under_a_new_date_limit_only_when_no_verdict_could_change(state, fecha_maxima, allowed):
    assert date_limit_allows(state, fecha_maxima) is allowed


def test_every_check_against_the_date_limit_has_a_reason_the_bronze_state_counts():
    """A reason missing from DATE_LIMITED_REASONS would let a period run reuse BRONZE built under another limit."""
    checks = re.findall(r"when ([^\n]*?:fecha_maxima[^\n]*?)\s+then '([^']+)'",
                        "\n".join(path.read_text() for path in sorted((SQL_ROOT / "bronze").glob("*.sql"))))
    assert len(checks) >= 8
    patterns = [pattern.replace("%", "*") for pattern in DATE_LIMITED_REASONS]
    assert [reason for _, reason in checks if not any(fnmatch.fnmatchcase(reason, p) for p in patterns)] == []


def test_a_second_run_on_a_locked_lake_stops_with_a_clear_message(tmp_path):
    with lake_lock(tmp_path):
        with pytest.raises(UsageError, match="another run is using the lake"):
            with lake_lock(tmp_path):
                pass


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lds_utils", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["pipeline", "--period", "2025-13"], "period must be a month"),
    (["pipeline", "--period", "2025-01'; DROP TABLE x; --"], "period must be a month"),
    (["pipeline", "--engine", "spark"], "engine must be one of"),
])
def test_cli_rejects_bad_arguments_in_one_line(args, message, tmp_path):
    result = _cli(*args, "--lake", str(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["pipeline"], ["pipeline", "--period", "2025-06"],
                                     ["alertas", "--period", "2025-06"],
                                     ["alertas", "--desde", "2025-05", "--hasta", "2025-06"]])
def test_a_lake_that_does_not_exist_is_not_created(tmp_path, command):
    lake = tmp_path / "no" / "existe"
    result = _cli(*command, "--lake", str(lake))
    assert result.returncode == 2 and f"run `python -m lds_utils generate --lake {lake}` first" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [], "nothing was created"


def test_cli_pipeline_without_raw_data_explains_what_to_do(tmp_path):
    result = _cli("pipeline", "--lake", str(tmp_path))
    assert result.returncode == 2 and "no raw data" in result.stderr
    assert "run `python -m lds_utils generate" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_range_of_months_is_computed_month_by_month_and_equals_the_full_run(built_lake, tmp_path):
    """A run of some months of a built lake takes the bills' incremental SELECT, one month at a time, oldest first:
    each month reads the bills the month before it published in the same run."""
    lake = tmp_path / "lake"
    shutil.copytree(built_lake, lake)
    ordered = "select * from gold_db.gold_facturacion_teorica_mes order by id_suministro, anio_mes"
    expected = _query(lake, ordered)
    with open_engine("duckdb", lake) as engine, engine.publish_together():
        runner = GraphRunner(engine, pipeline_parameters())
        runner.build(relations(["silver", "gold"]), Months.between("2024-11", "2025-02"))
    bills = [step.relation for step in runner.results if step.relation == "gold_factura_evaluada_mes"]
    assert len(bills) == 4
    pd.testing.assert_frame_equal(_query(lake, ordered), expected)
    built = [step.relation for step in runner.results]
    assert built.count("silver_consumo_mensual") == 1, "the other tables at once"
    assert "gold_senales_mes" not in built, "the alert relations are built on request only"


def test_alertas_for_a_range_of_months_writes_each_month_as_the_full_build(built_lake, tmp_path):
    from lds_utils.detection.alerts import build_all_alerts, run_alertas

    lake = tmp_path / "lake"
    shutil.copytree(built_lake, lake)
    with open_engine("duckdb", lake) as engine:
        build_all_alerts(engine)  # the full build with the default thresholds (other tests use others on built_lake)
    alerts_of = "select * from gold_db.gold_alertas_mes where anio_mes between '2025-04' and '2025-06'"
    keys = ["anio_mes", "prioridad"]
    expected = _query(lake, alerts_of).sort_values(keys).reset_index(drop=True)
    paths = run_alertas(lake, desde="2025-04", hasta="2025-06")
    assert [path.name for path in paths] == ["alertas_2025-04.csv", "alertas_2025-05.csv", "alertas_2025-06.csv"]
    got = _query(lake, alerts_of).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    written = pd.concat(pd.read_csv(path, dtype={"anio_mes": str, "id_suministro": str, "id_cliente": str})
                        for path in paths)
    assert written["anio_mes"].tolist() == got["anio_mes"].tolist()
    with pytest.raises(UsageError, match="--period YYYY-MM, or a range"):
        run_alertas(lake, period="2025-06", desde="2025-04", hasta="2025-06")


def test_period_without_data_is_a_clear_error(built_lake, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(built_lake, lake)
    with pytest.raises(UsageError, match="no data for period 2031-01"):
        run_pipeline(lake, period="2031-01")


def test_a_full_run_records_the_fingerprint_of_the_code_that_built_the_lake(built_lake):
    from lds_utils.lake.pipeline import pipeline_fingerprint, read_fingerprint

    assert read_fingerprint(built_lake) == pipeline_fingerprint()
