"""RAW deliveries: a period run loads only what arrived, and gives what a rebuild from every delivery gives.

The sample's readings of its last month are held out as a new delivery (raw/acumulado/entrega=2025-12/); a lake
built before it arrived then runs that month, and its tables are compared with a whole run over the same RAW.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lds_utils.config import LakePaths
from lds_utils.lake import rawcheck
from lds_utils.lake.pipeline import LOAD, REBUILD, REUSE, plan_bronze, run_pipeline
from lds_utils.lake.registry import open_engine
from tests import lakecopy

MONTH = "2025-12"
HELD_OUT = f"entrega={MONTH}"


def _hold_out_readings(lake: Path, month: str) -> Path:
    """Move every reading dated in month into a delivery folder of its own, outside raw/; return that folder."""
    folder = LakePaths(lake).raw_table("acumulado")
    kept_rows, held = {}, []
    for path in rawcheck.table_files(folder, "acumulado"):
        with open(path, newline="", encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        date = header.index("fecha_lectura")
        held += [row for row in rows if row[date].strip().startswith(month)]
        kept_rows[path] = [row for row in rows if not row[date].strip().startswith(month)]
    for path, rows in kept_rows.items():
        if rows:
            _write(path, header, rows)
        else:
            path.unlink()
            if not any(path.parent.iterdir()) and path.parent != folder:
                path.parent.rmdir()
    delivery = lake / "entrante" / f"entrega={month}"
    _write(delivery / "part-00000.csv", header, held)
    return delivery


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _arrive(lake: Path, delivery: Path, table: str = "acumulado") -> None:
    shutil.move(delivery, LakePaths(lake).raw_table(table) / delivery.name)


def _frame(lake: Path, sql: str) -> pd.DataFrame:
    with open_engine("duckdb", lake, read_only=True) as engine:
        frame = engine.read_sql(sql)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


COMPARED = {
    "bronze_acumulado": "select * from bronze_db.bronze_acumulado",
    "bronze_rechazos": "select tabla, motivo, registro, mes_registro from bronze_db.bronze_rechazos",
    "bronze_conciliacion": "select * from bronze_db.bronze_conciliacion",
    "silver": f"select * from silver_db.silver_consumo_mensual where anio_mes = '{MONTH}'",
    "gold": f"select * from gold_db.gold_facturacion_teorica_mes where anio_mes = '{MONTH}'",
}


@pytest.fixture(scope="module")
def loaded_and_rebuilt(built_lake, tmp_path_factory):
    """(lake that loaded the month's delivery in a period run, its manifest, lake rebuilt whole, stg_acumulado's
    files before the load)."""
    root = tmp_path_factory.mktemp("deliveries")
    monthly = lakecopy.copy_raw(built_lake, root / "monthly")
    delivery = _hold_out_readings(monthly, MONTH)
    run_pipeline(monthly)
    before = _stg_files(monthly)
    _arrive(monthly, delivery)
    manifest = run_pipeline(monthly, period=MONTH)
    whole = root / "whole"
    shutil.copytree(LakePaths(monthly).raw, LakePaths(whole).raw)
    run_pipeline(whole)
    return monthly, manifest, whole, before


def _stg_files(lake: Path) -> dict[str, tuple[int, int]]:
    """inode and mtime of every data file of stg_acumulado's published version, by partition/file name."""
    (version,) = sorted((LakePaths(lake).bronze / "stg_acumulado").glob("v*"))
    return {f"{path.parent.name}/{path.name}": (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in version.rglob("*.parquet")}


def test_a_period_run_loads_only_the_new_delivery(loaded_and_rebuilt):
    monthly, manifest, _, _ = loaded_and_rebuilt
    assert manifest["bronze"] == LOAD
    (step,) = [step for step in manifest["steps"] if step["relation"] == "stg_acumulado"]
    held = _frame(monthly, f"select count(*) as n from bronze_db.stg_acumulado where entrega = '{MONTH}'").n[0]
    assert step["rows"] == held > 1000


def test_loading_a_delivery_leaves_the_earlier_partitions_files_untouched(loaded_and_rebuilt):
    monthly, _, _, before = loaded_and_rebuilt
    after = _stg_files(monthly)
    assert {name: after[name] for name in before} == before
    assert {name.split("/")[0] for name in set(after) - set(before)} == {HELD_OUT}


@pytest.mark.parametrize("relation", COMPARED)
def test_a_loaded_delivery_gives_what_a_rebuild_from_every_delivery_gives(loaded_and_rebuilt, relation):
    monthly, _, whole, _ = loaded_and_rebuilt
    pd.testing.assert_frame_equal(_frame(monthly, COMPARED[relation]), _frame(whole, COMPARED[relation]))


def test_a_reading_delivered_again_is_rejected_and_the_first_stands(built_lake, tmp_path):
    monthly = lakecopy.copy_raw(built_lake, tmp_path / "monthly")
    delivery = _hold_out_readings(monthly, MONTH)
    run_pipeline(monthly)
    first = _frame(monthly, "select * from bronze_db.bronze_acumulado where anio_mes = '2025-06' limit 1")
    key = first.id_lectura[0]
    with open(delivery / "part-00000.csv", "a", encoding="utf-8") as handle:
        handle.write(f"{key},{first.id_medidor[0]},2025-12-20,REAL,1,,,0,0\n")
    _arrive(monthly, delivery)
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
    run_pipeline(lake)
    supply = _frame(lake, "select * from bronze_db.bronze_suministro where fecha_baja is null limit 1")
    before = _frame(lake, "select * from bronze_db.bronze_conciliacion where tabla = 'suministro'")
    row = supply.iloc[0]
    header = "id_suministro,id_cliente,id_sector,nivel_tension,potencia_contratada_kw,fecha_conexion,fecha_baja"
    values = [row.id_suministro, row.id_cliente, row.id_sector, row.nivel_tension, str(float(row.potencia_contratada_kw)),
              str(row.fecha_conexion)[:10], "2025-12-15"]
    changed = LakePaths(lake).raw_table("suministro") / HELD_OUT / "part-00000.csv"
    changed.parent.mkdir()
    changed.write_text(f"{header}\n{','.join(values)}\n", encoding="utf-8")
    assert run_pipeline(lake, period=MONTH)["bronze"] == LOAD
    now = _frame(lake, f"select fecha_baja from bronze_db.bronze_suministro where id_suministro = '{row.id_suministro}'")
    assert [str(value)[:10] for value in now.fecha_baja] == ["2025-12-15"]
    after = _frame(lake, "select * from bronze_db.bronze_conciliacion where tabla = 'suministro'")
    assert after.filas_raw[0] == before.filas_raw[0] + 1
    assert after.filas_reemplazadas[0] == before.filas_reemplazadas[0] + 1
    assert after.filas_rechazadas[0] == before.filas_rechazadas[0] and bool(after.cuadra[0])


def test_a_loaded_file_that_changed_rebuilds_bronze_and_the_log_names_it(built_lake, tmp_path, capsys):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    (path, *_) = rawcheck.table_files(LakePaths(lake).raw_table("inspeccion"), "inspeccion")
    lakecopy.rewrite_lines(path, lambda lines: lines[:-1])
    capsys.readouterr()
    assert run_pipeline(lake, period=MONTH)["bronze"] == REBUILD
    assert f"raw/{path.relative_to(LakePaths(lake).raw).as_posix()} changed or disappeared" in capsys.readouterr().err


STATE = {"sql": "s", "fecha_maxima": "2026-01-10", "rechazos_por_fecha": 0, "construido": "ayer",
         "archivos": {"acumulado/entrega=2025-10/part-00000.csv": [10, 1, 5],
                      "acumulado/entrega=2025-11/part-00000.csv": [10, 1, 5],
                      "cliente/part-00000.csv": [10, 1, 5]}}
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
])
def test_the_bronze_plan_of_a_period_run(inventory, action, reason):
    plan = plan_bronze(STATE, inventory, "s", "2026-01-10")
    assert plan.action == action and reason in plan.reason


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
    delivery = _hold_out_readings(lake, MONTH)
    run_pipeline(lake)
    before, state = lakecopy.snapshot(lake, BUILT), (lake / "huella_bronze.json").read_bytes()
    _arrive(lake, delivery)
    _kill_at(lake, point, relation, "--period", MONTH)
    assert lakecopy.snapshot(lake, BUILT) == before
    assert (lake / "huella_bronze.json").read_bytes() == state
    assert run_pipeline(lake, period=MONTH)["bronze"] == LOAD
    assert lakecopy.leftovers(lake) == []
    whole = lakecopy.copy_raw(lake, tmp_path / "whole")
    run_pipeline(whole)
    for sql in COMPARED.values():
        pd.testing.assert_frame_equal(_frame(lake, sql), _frame(whole, sql))
