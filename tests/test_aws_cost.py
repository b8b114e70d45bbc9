"""The Athena cost estimate: sizes measured from a real lake, statements taken from the dry-run plan."""

from __future__ import annotations

import copy
import math

import pytest

from lds_utils.aws import cost as aws_cost
from lds_utils.aws.settings import AwsSettings
from lds_utils.config import UsageError
from lds_utils.lake import schema
from lds_utils.lake.engines import DuckDBEngine

PERIOD = "2025-12"


@pytest.fixture(scope="module")
def measurement() -> dict:
    return aws_cost.latest_measurement()


def test_lake_sizes_are_the_current_files_of_each_table(tmp_path):
    raw = tmp_path / "raw" / "cliente"
    raw.mkdir(parents=True)
    (raw / "a.csv").write_text(",".join(schema.column_names("cliente")) + "\nC1,DNI,1,Ana,RESIDENCIAL,2024-01-02\n")
    with DuckDBEngine(tmp_path) as engine:
        engine.register_raw("cliente", schema.column_names("cliente"))
        engine.write_table("bronze_db", "bronze_cliente", "select id_cliente from raw_db.cliente")
        engine.write_table("bronze_db", "por_entrega", "select id_cliente, entrega from raw_db.cliente",
                           partition_col="entrega")
        select = "select id_cliente, substr(fecha_alta, 1, 7) as anio_mes from raw_db.cliente"
        for _ in range(2):  # the second write replaces the first version, which must not be counted
            engine.write_table("silver_db", "mensual", select, partition_col="anio_mes")
    sizes = aws_cost.lake_sizes(tmp_path)
    assert sizes["raw"] == {"cliente": (raw / "a.csv").stat().st_size}
    version = next((tmp_path / "silver" / "mensual").glob("v*"))
    assert sizes["silver"]["mensual"] == {"2024-01": sum(f.stat().st_size for f in version.rglob("*.parquet"))}
    assert sizes["bronze"]["bronze_cliente"] > 0 and sizes["gold"] == {}
    por_entrega = next((tmp_path / "bronze" / "por_entrega").glob("v*"))
    assert sizes["bronze"]["por_entrega"] == sum(f.stat().st_size for f in por_entrega.rglob("*.parquet")) > 0


def test_lake_sizes_count_every_delivery_of_a_raw_table(tmp_path):
    table = tmp_path / "raw" / "acumulado"
    header = ",".join(schema.column_names("acumulado"))
    files = [table / "lecturas.csv", table / "entrega=2024-01" / "lecturas.csv", table / "entrega=2024-02" / "x.csv"]
    for number, path in enumerate(files):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + f"\nL{number},M1,2024-01-31,NORMAL,1,1,1,96,0\n")
    (tmp_path / "bronze").mkdir()
    assert aws_cost.lake_sizes(tmp_path)["raw"] == {"acumulado": sum(path.stat().st_size for path in files)}


def test_every_statement_of_the_monthly_plan_is_priced(measurement):
    statements = aws_cost.monthly_run_cost(measurement, PERIOD)
    planned = aws_cost.monthly_run_statements(PERIOD)
    assert len(statements) == len(planned)
    views = statements["sentencia"].str.startswith("vista ")
    # the tariff-option reference, bronze_acumulado, bronze_lectura_intervalo, the gold relation and the six KPI views
    assert views.sum() == 10 and (statements.loc[views, "usd"] == 0).all(), "DDL is free"
    billed = statements.loc[~views, "bytes_facturados"]
    assert (billed >= aws_cost.MIN_BILLED_BYTES).all() and (billed % aws_cost.MB == 0).all()
    assert statements["usd"].sum() == pytest.approx(billed.sum() / aws_cost.TB * aws_cost.ATHENA_USD_PER_TB)
    conciliation = statements.set_index("sentencia").loc["bronze_db.bronze_conciliacion"]
    assert "bronze_db.stg_acumulado" in conciliation["lee"] and "raw_db.acumulado" not in conciliation["lee"]
    # one incremental statement of the bills: the month is computed once
    for statement in ("gold_db.gold_factura_evaluada_mes", "conteo de filas gold_db.gold_factura_evaluada_mes"):
        assert (statements["sentencia"] == statement).sum() == 1
    bills = statements.set_index("sentencia").loc["gold_db.gold_factura_evaluada_mes"]
    assert "gold_db.gold_factura_evaluada_mes" in bills["lee"], "the history is read from the published bills"
    # the valid readings are a view: SILVER is charged for the staging tables under it
    silver = statements.set_index("sentencia").loc["silver_db.silver_consumo_mensual"]
    assert "bronze_db.stg_acumulado" in silver["lee"] and "bronze_db.bronze_acumulado" not in silver["lee"]


def test_raw_csv_is_charged_in_full_and_scales_with_customers(measurement):
    one = aws_cost.monthly_run_cost(measurement, PERIOD, clients=measurement["n_clientes"])
    stg = one.set_index("sentencia").loc["bronze_db.stg_acumulado"]
    assert stg["bytes_escaneados"] >= measurement["tamanos"]["raw"]["acumulado"]
    double = aws_cost.monthly_run_cost(measurement, PERIOD, clients=2 * measurement["n_clientes"])
    assert double["bytes_escaneados"].sum() == pytest.approx(2 * one["bytes_escaneados"].sum())


def _inflate_silver(measurement, months):
    inflated = copy.deepcopy(measurement)
    silver = inflated["tamanos"]["silver"]["silver_consumo_mensual"]
    for month in months:
        silver[month] *= 1000
    return aws_cost.monthly_run_cost(inflated, PERIOD).set_index("sentencia")


def test_a_monthly_run_reads_its_month_and_the_12_before_of_partitioned_tables(measurement):
    base = aws_cost.monthly_run_cost(measurement, PERIOD).set_index("sentencia")
    months = sorted(measurement["tamanos"]["silver"]["silver_consumo_mensual"])
    bills = "gold_db.gold_factura_evaluada_mes"
    older = _inflate_silver(measurement, [m for m in months if m < "2024-12"])
    assert older.loc[bills, "bytes_escaneados"] == pytest.approx(base.loc[bills, "bytes_escaneados"])
    a_year_back = _inflate_silver(measurement, ["2024-12"])
    assert a_year_back.loc[bills, "bytes_escaneados"] > 2 * base.loc[bills, "bytes_escaneados"]


def test_the_default_scan_limit_never_stops_a_normal_monthly_run(measurement):
    report = aws_cost.cost_report(measurement)
    assert AwsSettings().scan_limit_bytes >= 2 * report["mayor_bytes"]
    assert math.isclose(report["total_usd"], report["sentencias"]["usd"].sum())
    assert report["clientes"] == aws_cost.UNIVERSE_CLIENTS


def test_a_measurement_missing_a_table_is_refused(measurement):
    broken = copy.deepcopy(measurement)
    del broken["tamanos"]["bronze"]["bronze_medidor"]
    with pytest.raises(UsageError, match="no size for bronze_db.bronze_medidor"):
        aws_cost.monthly_run_cost(broken, PERIOD)


def test_a_measurement_without_smart_meter_data_prices_their_tables_at_nothing(measurement):
    assert "lectura_intervalo" not in measurement["tamanos"]["raw"]  # the scale benchmark generates none
    statements = aws_cost.monthly_run_cost(measurement, PERIOD).set_index("sentencia")
    intervals = "bronze_db.stg_lectura_intervalo"
    assert statements.loc[intervals, "lee"] == "bronze_db.bronze_medidor, raw_db.lectura_intervalo"
    meters = measurement["tamanos"]["bronze"]["bronze_medidor"] * aws_cost.UNIVERSE_CLIENTS / measurement["n_clientes"]
    assert statements.loc[intervals, "bytes_escaneados"] == pytest.approx(meters)  # the intervals: nothing
    with_data = copy.deepcopy(measurement)
    with_data["tamanos"]["raw"]["lectura_intervalo"] = 10**9
    priced = aws_cost.monthly_run_cost(with_data, PERIOD).set_index("sentencia")
    scale = aws_cost.UNIVERSE_CLIENTS / measurement["n_clientes"]
    assert priced.loc[intervals, "bytes_escaneados"] == pytest.approx(meters + 10**9 * scale)
