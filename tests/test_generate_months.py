"""RAW arrives by month: generate writes monthly deliveries and extends a lake by the months after its last one.

Extending a lake month by month gives the bytes of one generation to the same month (RAW, truth and summary), never
touches an earlier file, and a lake generated to a month holds nothing learned after it. A run killed while it moves
a delivery into raw/ leaves a marker the pipeline refuses, and the same command finishes it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from lds_utils import config
from lds_utils.config import AMI_TABLES, PROJECT_ROOT, RAW_TABLES, LakePaths, RunFailed
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.synthetic import deliveries, generate
from lds_utils.synthetic.generate import GeneratorConfig, run_generate

# Two chunks, a short history, smart-meter data from mid-year and a horizon a few months past the end: cheap to
# generate several times.
CFG = GeneratorConfig(n_clientes=240, clientes_por_bloque=120, desde="2024-01", hasta="2024-09",
                      historia_previa_meses=2, horizonte="2024-12", intervalos_desde="2024-06")
DATES = {"tarifa": ["vigencia_desde"], "cliente": ["fecha_alta"], "suministro": ["fecha_conexion", "fecha_baja"],
         "medidor": ["fecha_instalacion", "fecha_retiro"], "asignacion_tarifa": ["fecha_inicio", "fecha_fin"],
         "acumulado": ["fecha_lectura"], "inspeccion": ["fecha_inspeccion"]}


def lake_files(lake) -> dict[str, bytes]:
    return {path.relative_to(lake).as_posix(): path.read_bytes() for path in sorted(lake.rglob("*"))
            if path.is_file() and path.name != config.LOCK_FILE}


def stats(lake) -> dict[str, tuple[int, int]]:
    return {path.relative_to(lake).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
            for path in sorted(LakePaths(lake).raw.rglob("*.csv"))}


def read_table(lake, table: str) -> pd.DataFrame:
    parts = sorted(LakePaths(lake).raw_table(table).glob("entrega=*/*.csv"))
    return pd.concat([pd.read_csv(path, dtype=str, keep_default_na=False).assign(entrega=path.parent.name[8:])
                      for path in parts], ignore_index=True)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    lake = tmp_path_factory.mktemp("whole") / "lake"
    run_generate(CFG, lake)
    return lake


def test_extending_month_by_month_gives_the_bytes_of_one_generation(whole, tmp_path):
    lake = tmp_path / "lake"
    run_generate(replace(CFG, hasta="2024-06"), lake)
    for month in ("2024-07", "2024-08", "2024-09"):
        before = stats(lake)
        run_generate(replace(CFG, hasta=month), lake)
        after = stats(lake)
        assert {path: after[path] for path in before} == before, "an earlier RAW file was rewritten"
        assert {path.split("/")[2] for path in set(after) - set(before)} == {f"entrega={month}"}
    assert lake_files(lake) == lake_files(whole)


def test_the_command_extends_a_lake_with_its_recorded_options(whole, tmp_path):
    lake = tmp_path / "lake"
    run_generate(replace(CFG, hasta="2024-08"), lake)
    done = subprocess.run([sys.executable, "-m", "lds_utils", "generate", "--lake", str(lake), "--hasta", "2024-09",
                           "--quiet"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert lake_files(lake) == lake_files(whole)


def test_every_row_arrives_in_the_month_it_became_known(whole):
    for table, columns in DATES.items():
        rows = read_table(whole, table)
        clean = rows[pd.to_datetime(rows[columns[0]], format="%Y-%m-%d", errors="coerce").notna()]  # dirt aside
        known = clean[columns[-1]].where(clean[columns[-1]] != "", clean[columns[0]]).str[:7]
        first = config.shift_period(CFG.desde_datos, -1)
        assert (clean["entrega"] == known.where(known > first, first)).all(), table


def test_a_closed_row_arrives_open_first_and_closed_in_the_month_it_closed(whole):
    medidor = read_table(whole, "medidor")
    medidor = medidor[~medidor["id_medidor"].str.endswith("-X")].drop_duplicates()
    twice = medidor[medidor.duplicated("id_medidor", keep=False)].sort_values(["id_medidor", "entrega"])
    assert len(twice) > 0
    first, last = twice.groupby("id_medidor").first(), twice.groupby("id_medidor").last()
    assert (first["fecha_retiro"] == "").all() and (last["fecha_retiro"] != "").all()
    assert (last["entrega"] == last["fecha_retiro"].str[:7]).all()


def test_a_lake_holds_nothing_learned_after_its_last_month(tmp_path):
    lake = tmp_path / "lake"
    run_generate(replace(CFG, hasta="2024-06"), lake)
    for table, columns in DATES.items():
        rows = read_table(lake, table)
        for column in columns:
            dates = rows[column][rows[column].str.fullmatch(r"\d{4}-\d{2}-\d{2}")]
            assert (dates.str[:7] <= "2024-06").all(), (table, column)
    anomalias = pd.read_csv(lake / "truth" / "anomalias.csv", dtype=str)
    assert (anomalias["anio_mes_inicio"] <= "2024-06").all() and (anomalias["anio_mes_fin"] <= "2024-06").all()
    suciedad = pd.read_csv(lake / "truth" / "suciedad.csv", dtype=str)
    assert (suciedad["entrega"] <= "2024-06").all()


def test_extending_beyond_the_horizon_is_refused_in_one_line_and_writes_nothing(whole, tmp_path):
    lake = tmp_path / "lake"
    run_generate(CFG, lake)
    before = lake_files(lake)
    done = subprocess.run([sys.executable, "-m", "lds_utils", "generate", "--lake", str(lake), "--hasta", "2025-01"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "horizonte 2024-12" in done.stderr
    assert lake_files(lake) == before


def test_a_delivery_folder_generate_did_not_record_is_refused(tmp_path):
    lake = tmp_path / "lake"
    run_generate(replace(CFG, hasta="2024-08"), lake)
    stray = LakePaths(lake).raw_table("cliente") / "entrega=2024-09"
    stray.mkdir()
    (stray / "extracto.csv").write_text("id_cliente\n")
    with pytest.raises(config.UsageError, match="extracto.csv"):
        run_generate(CFG, lake)
    assert (stray / "extracto.csv").exists()


def test_a_run_killed_while_it_moves_a_delivery_is_refused_by_the_pipeline_and_finished_by_generate(
        whole, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    run_generate(replace(CFG, hasta="2024-08"), lake)
    real_replace, moved = os.replace, []

    def dies_after_three_folders(source, target):
        if Path(target).parent.parent == LakePaths(lake).raw:  # a delivery folder moved into raw/<tabla>/
            if len(moved) == 3:
                raise KeyboardInterrupt
            moved.append(target)
        real_replace(source, target)

    monkeypatch.setattr(generate.os, "replace", dies_after_three_folders)
    with pytest.raises(KeyboardInterrupt):
        run_generate(CFG, lake)
    monkeypatch.undo()
    assert (lake / config.DELIVERY_MARKER).exists() and len(moved) == 3
    with pytest.raises(RunFailed, match=r"did not finish moving in .* --hasta 2024-09` again"):
        run_pipeline(lake)
    run_generate(CFG, lake)
    assert lake_files(lake) == lake_files(whole)


def test_the_summary_counts_every_delivered_row(whole):
    summary = generate.json.loads((whole / generate.GENERACION).read_text())
    assert summary["horizonte"] == "2024-12" and summary["hasta"] == "2024-09"
    for table in RAW_TABLES:
        assert summary["filas"][table] == len(read_table(whole, table)), table


def test_rows_are_split_by_delivery_in_month_order_and_the_first_chunk_writes_every_month():
    table = pa.table({"fila": list(range(6))})
    delivery = np.array([5, 3, 5, 7, 3, 9])
    split = [(month, rows["fila"].to_pylist()) for month, rows in deliveries.by_delivery(table, delivery, 3, 8)]
    assert split == [(3, [1, 4]), (5, [0, 2]), (7, [3])]
    every = [(month, rows["fila"].to_pylist())
             for month, rows in deliveries.by_delivery(table, delivery, 4, 8, every_month=True)]
    assert every == [(4, []), (5, [0, 2]), (6, []), (7, [3]), (8, [])]


def test_a_table_without_rows_still_has_a_file_in_every_delivery(whole):
    for table in set(RAW_TABLES) - set(AMI_TABLES):
        folders = sorted(path.name for path in LakePaths(whole).raw_table(table).iterdir())
        first = config.shift_period(CFG.desde_datos, -1)
        assert folders == [f"entrega={month}" for month in config.period_range(first, CFG.hasta)], table
    for table in AMI_TABLES:
        folders = sorted(path.name for path in LakePaths(whole).raw_table(table).iterdir())
        assert folders == [f"entrega={month}" for month in config.period_range(CFG.intervalos_desde, CFG.hasta)]
