"""RAW deliveries: a lake extended by a month and run for it gives what one generation built whole gives.

A lake generated to 2025-11 and built is extended by generate with the delivery of 2025-12 and runs that month
(``pipeline --period``, then its alerts); its RAW bytes and tables are compared with the session's sample, generated
to 2025-12 in one go and built by one full run. Other cases hold the sample's last delivery out of a copy (every
raw/<tabla>/entrega=2025-12/ folder) and bring it back.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from lds_utils import config
from lds_utils.config import LakePaths
from lds_utils.detection.alerts import run_alertas
from lds_utils.lake import graph
from lds_utils.lake.pipeline import LOAD, REBUILD, REUSE, plan_bronze, run_pipeline
from lds_utils.lake.registry import open_engine
from lds_utils.synthetic.generate import GeneratorConfig, run_generate
from tests import lakecopy

MONTH = "2025-12"
HELD_OUT = f"entrega={MONTH}"
SAMPLE = GeneratorConfig(n_clientes=config.DEFAULT_CLIENTES, seed=config.DEFAULT_SEED)


def _hold_out(lake: Path, month: str) -> Path:
    """Move the delivery of month of every RAW table out of raw/; return the folder holding them by table."""
    held = lake / "entrante"
    for folder in sorted(LakePaths(lake).raw.glob(f"*/entrega={month}")):
        (held / folder.parent.name).mkdir(parents=True)
        shutil.move(folder, held / folder.parent.name / folder.name)
    return held


def _arrive(lake: Path, held: Path) -> None:
    for folder in sorted(held.glob("*/entrega=*")):
        shutil.move(folder, LakePaths(lake).raw_table(folder.parent.name) / folder.name)


def _raw_bytes(lake: Path) -> dict[str, bytes]:
    return {path.relative_to(lake).as_posix(): path.read_bytes()
            for path in sorted(LakePaths(lake).raw.rglob("*")) if path.is_file()}


def _frame(lake: Path, sql: str) -> pd.DataFrame:
    with open_engine("duckdb", lake, read_only=True) as engine:
        frame = engine.read_sql(sql)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


#: The tables a delivery adds partitions to (stg_acumulado and every stg_<tabla>_tipado).
BY_DELIVERY = [relation.name for relation in graph.build_order() if relation.by_delivery]
#: Of those, the one whose rows are the readings of a key repeated within a delivery: a delivery may have none.
MAY_BE_EMPTY = {"stg_acumulado_duplicado"}
COMPARED = {
    **{table: f"select * from bronze_db.{table}" for table in
       ("bronze_cliente", "bronze_suministro", "bronze_medidor", "bronze_asignacion_tarifa", "bronze_inspeccion")},
    "bronze_acumulado": "select * from bronze_db.bronze_acumulado",
    "bronze_rechazos": "select tabla, motivo, registro, mes_registro from bronze_db.bronze_rechazos",
    "bronze_conciliacion": "select * from bronze_db.bronze_conciliacion",
    "silver": f"select * from silver_db.silver_consumo_mensual where anio_mes = '{MONTH}'",
    "gold": f"select * from gold_db.gold_facturacion_teorica_mes where anio_mes = '{MONTH}'",
}


@pytest.fixture(scope="module")
def loaded_and_rebuilt(built_lake, tmp_path_factory):
    """(lake generated to 2025-11, built, extended by 2025-12 and run for it with its alerts; the manifest of that
    run; the sample built whole; the files of the tables partitioned by delivery before the load)."""
    monthly = tmp_path_factory.mktemp("deliveries") / "monthly"
    run_generate(replace(SAMPLE, hasta="2025-11"), monthly)
    run_pipeline(monthly)
    run_alertas(monthly, desde=SAMPLE.desde, hasta="2025-11")
    before = {table: _delivery_files(monthly, table) for table in BY_DELIVERY}
    run_generate(SAMPLE, monthly)
    manifest = run_pipeline(monthly, period=MONTH)
    run_alertas(monthly, MONTH)
    return monthly, manifest, built_lake, before


def _delivery_files(lake: Path, table: str) -> dict[str, tuple[int, int]]:
    """inode and mtime of every data file of a BRONZE table's published version, by partition/file name."""
    (version,) = sorted((LakePaths(lake).bronze / table).glob("v*"))
    return {f"{path.parent.name}/{path.name}": (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in version.rglob("*.parquet")}


@pytest.mark.parametrize("table", BY_DELIVERY)
def test_a_period_run_types_only_the_new_delivery(loaded_and_rebuilt, table):
    monthly, manifest, _, _ = loaded_and_rebuilt
    assert manifest["bronze"] == LOAD
    (step,) = [step for step in manifest["steps"] if step["relation"] == table]
    held = _frame(monthly, f"select count(*) as n from bronze_db.{table} where entrega = '{MONTH}'").n[0]
    every = _frame(monthly, f"select count(*) as n from bronze_db.{table}").n[0]
    assert step["rows"] == held and every > held
    assert held > 0 or table in MAY_BE_EMPTY


@pytest.mark.parametrize("table", BY_DELIVERY)
def test_loading_a_delivery_leaves_the_earlier_partitions_files_untouched(loaded_and_rebuilt, table):
    monthly, _, _, before = loaded_and_rebuilt
    after = _delivery_files(monthly, table)
    assert {name: after[name] for name in before[table]} == before[table]
    added = {name.split("/")[0] for name in set(after) - set(before[table])}
    assert added == {HELD_OUT} or (table in MAY_BE_EMPTY and not added)


def test_extending_by_a_month_gives_the_raw_bytes_of_one_generation(loaded_and_rebuilt):
    monthly, _, whole, _ = loaded_and_rebuilt
    assert _raw_bytes(monthly) == _raw_bytes(whole)


@pytest.mark.parametrize("relation", [*COMPARED, "alerts"])
def test_a_loaded_delivery_gives_what_a_rebuild_from_every_delivery_gives(loaded_and_rebuilt, relation):
    monthly, _, whole, _ = loaded_and_rebuilt
    sql = COMPARED.get(relation, f"select * from gold_db.gold_alertas_mes where anio_mes = '{MONTH}'")
    pd.testing.assert_frame_equal(_frame(monthly, sql), _frame(whole, sql))


def test_a_reading_delivered_again_is_rejected_and_the_first_stands(built_lake, tmp_path):
    monthly = lakecopy.copy_raw(built_lake, tmp_path / "monthly")
    held = _hold_out(monthly, MONTH)
    run_pipeline(monthly)
    first = _frame(monthly, "select * from bronze_db.bronze_acumulado where anio_mes = '2025-06' limit 1")
    key = first.id_lectura[0]
    with open(held / "acumulado" / HELD_OUT / "part-00000.csv", "a", encoding="utf-8") as handle:
        handle.write(f"{key},{first.id_medidor[0]},2025-12-20,REAL,1,,,0,0\n")
    _arrive(monthly, held)
    assert run_pipeline(monthly, period=MONTH)["bronze"] == LOAD
    whole = lakecopy.copy_raw(monthly, tmp_path / "whole")
    run_pipeline(whole)
    for lake in (monthly, whole):
        kept = _frame(lake, f"select * from bronze_db.bronze_acumulado where id_lectura = '{key}'")
        pd.testing.assert_frame_equal(kept, first)
        reasons = _frame(lake, f"select motivo from bronze_db.bronze_rechazos where registro like '{key},%'")
        assert reasons.motivo.tolist() == ["CLAVE_YA_ENTREGADA"]


def test_a_later_delivery_of_a_dimension_row_replaces_it_and_counts_as_replaced(built_lake, tmp_path):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    held = _hold_out(lake, MONTH)
    run_pipeline(lake)
    supply = _frame(lake, "select * from bronze_db.bronze_suministro where fecha_baja is null "
                          "and fecha_conexion < date '2025-11-01' limit 1")
    row = supply.iloc[0]
    header = "id_suministro,id_cliente,id_sector,nivel_tension,potencia_contratada_kw,fecha_conexion,fecha_baja"
    values = [row.id_suministro, row.id_cliente, row.id_sector, row.nivel_tension, str(float(row.potencia_contratada_kw)),
              str(row.fecha_conexion)[:10], "2025-12-15"]
    (held / "suministro" / HELD_OUT / "part-99999.csv").write_text(f"{header}\n{','.join(values)}\n", encoding="utf-8")
    _arrive(lake, held)
    assert run_pipeline(lake, period=MONTH)["bronze"] == LOAD
    now = _frame(lake, f"select fecha_baja from bronze_db.bronze_suministro where id_suministro = '{row.id_suministro}'")
    assert [str(value)[:10] for value in now.fecha_baja] == ["2025-12-15"]
    query = "select * from bronze_db.bronze_conciliacion where tabla = 'suministro'"
    after, sample = _frame(lake, query), _frame(built_lake, query)
    assert after.filas_raw[0] == sample.filas_raw[0] + 1
    assert after.filas_reemplazadas[0] == sample.filas_reemplazadas[0] + 1
    assert after.filas_rechazadas[0] == sample.filas_rechazadas[0] and bool(after.cuadra[0])


def test_a_supply_whose_customer_arrives_in_a_later_delivery_becomes_valid_as_in_a_rebuild(built_lake, tmp_path):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    held = _hold_out(lake, MONTH)
    sector = _frame(built_lake, "select min(id_sector) as id from bronze_db.bronze_sector").id[0]
    header = "id_suministro,id_cliente,id_sector,nivel_tension,potencia_contratada_kw,fecha_conexion,fecha_baja"
    early = LakePaths(lake).raw_table("suministro") / "entrega=2025-11" / "part-99999.csv"
    early.write_text(f"{header}\nS99999999,C99999999,{sector},BT,5.0,2025-11-03,\n", encoding="utf-8")
    run_pipeline(lake)
    orphan = _frame(lake, "select motivo from bronze_db.stg_suministro where id_suministro = 'S99999999'")
    assert orphan.motivo.tolist() == ["HUERFANO:id_cliente"]
    (held / "cliente" / HELD_OUT / "part-99999.csv").write_text(
        "id_cliente,tipo_documento,numero_documento,nombre,tipo_cliente,fecha_alta\n"
        "C99999999,DNI,12345678,PRUEBA TARDIA,RESIDENCIAL,2025-11-02\n", encoding="utf-8")
    _arrive(lake, held)
    assert run_pipeline(lake, period=MONTH)["bronze"] == LOAD
    whole = lakecopy.copy_raw(lake, tmp_path / "whole")
    run_pipeline(whole)
    query = "select * from bronze_db.bronze_suministro where id_suministro = 'S99999999'"
    loaded = _frame(lake, query)
    assert len(loaded) == 1
    pd.testing.assert_frame_equal(loaded, _frame(whole, query))


def test_a_loaded_file_that_changed_rebuilds_bronze_and_the_log_names_it(built_lake, tmp_path, capsys):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    path = lakecopy.raw_file(lake, "inspeccion")
    lakecopy.rewrite_lines(path, lambda lines: lines[:-1])
    capsys.readouterr()
    assert run_pipeline(lake, period=MONTH)["bronze"] == REBUILD
    assert f"raw/{path.relative_to(LakePaths(lake).raw).as_posix()} changed or disappeared" in capsys.readouterr().err


STATE = {"sql": "s", "fecha_maxima": "2026-01-10", "rechazos_por_fecha": 0, "construido": "ayer",
         "archivos": {"acumulado/entrega=2025-10/part-00000.csv": [10, 1, 5],
                      "acumulado/entrega=2025-11/part-00000.csv": [10, 1, 5],
                      "cliente/part-00000.csv": [10, 1, 5],
                      "medidor/entrega=2025-11/part-00000.csv": [10, 1, 5]}}
FILES = {path: entry[:2] for path, entry in STATE["archivos"].items()}


@pytest.mark.parametrize("inventory, action, reason", [
    (FILES, REUSE, "unchanged"),
    ({**FILES, "acumulado/entrega=2025-12/part-00000.csv": [3, 1]}, LOAD, "1 new raw files"),
    ({**FILES, "cliente/entrega=2025-12/part-00000.csv": [3, 1]}, LOAD, "1 new raw files"),
    ({**FILES, "cliente/part-00000.csv": [11, 1]}, REBUILD, "raw/cliente/part-00000.csv changed or disappeared"),
    ({path: entry for path, entry in FILES.items() if "cliente" not in path}, REBUILD, "changed or disappeared"),
    ({**FILES, "acumulado/entrega=2025-11/part-00001.csv": [3, 1]}, REBUILD, "added to a delivery already loaded"),
    ({**FILES, "cliente/part-00001.csv": [3, 1]}, REBUILD, "added to a delivery already loaded"),
    ({**FILES, "acumulado/entrega=2025-09/part-00000.csv": [3, 1]}, REBUILD, "2025-09 arrived after 2025-11"),
    ({**FILES, "medidor/entrega=2025-10/part-00000.csv": [3, 1]}, REBUILD, "medidor delivery 2025-10 arrived after"),
])
def test_the_bronze_plan_of_a_period_run(inventory, action, reason):
    plan = plan_bronze(STATE, inventory, "s", "2026-01-10")
    assert plan.action == action and reason in plan.reason


def test_the_bronze_plan_names_each_tables_new_deliveries():
    arrived = {"acumulado/entrega=2025-12/part-00000.csv": [3, 1], "acumulado/entrega=2026-01/part-00000.csv": [3, 1],
               "medidor/entrega=2025-12/part-00000.csv": [3, 1], "cliente/entrega=2025-12/part-00000.csv": [3, 1]}
    plan = plan_bronze(STATE, {**FILES, **arrived}, "s", "2026-01-10")
    assert plan.action == LOAD and plan.new_files == tuple(sorted(arrived))
    assert plan.new_deliveries == {"acumulado": ("2025-12", "2026-01"), "cliente": ("2025-12",),
                                   "medidor": ("2025-12",)}


def test_the_bronze_plan_rebuilds_under_other_sql_or_a_date_limit_that_could_change_a_verdict():
    assert plan_bronze(STATE, FILES, "other", "2026-01-10").action == REBUILD
    assert plan_bronze(None, FILES, "s", "2026-01-10").action == REBUILD
    assert plan_bronze({**STATE, "rechazos_por_fecha": 2}, FILES, "s", "2026-02-01").action == REBUILD
    assert plan_bronze(STATE, FILES, "s", "2026-02-01").action == REUSE


@pytest.mark.parametrize("point, relation", [("_copy", "stg_acumulado"), ("_point_view", "gold_factura_evaluada_mes")])
def test_a_killed_monthly_run_leaves_the_lake_as_it_was_and_the_next_one_loads_the_delivery(
        built_lake, tmp_path, point, relation):
    from tests.test_crash_safety import BUILT, _kill_at

    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    held = _hold_out(lake, MONTH)
    run_pipeline(lake)
    before, state = lakecopy.snapshot(lake, BUILT), (lake / "huella_bronze.json").read_bytes()
    _arrive(lake, held)
    _kill_at(lake, point, relation, "--period", MONTH)
    assert lakecopy.snapshot(lake, BUILT) == before
    assert (lake / "huella_bronze.json").read_bytes() == state
    assert run_pipeline(lake, period=MONTH)["bronze"] == LOAD
    assert lakecopy.leftovers(lake) == []
    whole = lakecopy.copy_raw(lake, tmp_path / "whole")
    run_pipeline(whole)
    for sql in COMPARED.values():
        pd.testing.assert_frame_equal(_frame(lake, sql), _frame(whole, sql))
