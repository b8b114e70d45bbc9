"""A lake can be copied, moved or mounted read-only elsewhere, and every command works on it as it was.

Nothing in a built lake holds its own path: the catalog's views read their files under the variable ``lds_lago`` that
every connection sets to the lake's root. The copies are made as a user makes them (``cp -a``, ``mv``, a read-only
bind mount from tests/mounts.py); to prove a copy reads its own files the original's tables are deleted after
copying, and the copy still gives the same rows. A catalog written before (views over absolute paths) is refused by
readers in one line and migrated by the next writer.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from lds_utils import cli
from lds_utils.config import LakePaths, RunFailed
from lds_utils.lake import integrity
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.reporting import report
from tests import lakecopy, mounts
from tests.lakecopy import cp_a, run_cli
from tests.test_readonly import tree_digest


def alert_list(lake, period: str, folder) -> pd.DataFrame:
    return pd.read_csv(folder / f"alertas_{period}.csv", dtype=str)


def works_as_the_original(lake, capsys, expected: dict, expected_alerts: pd.DataFrame, tmp_path) -> None:
    """A period run, alertas and the report's reads on the lake give what the original holds."""
    assert run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))[0] == 0
    salida = tmp_path / f"alertas-{lake.name}"
    assert run_cli(capsys, "alertas", "--period", "2025-12", "--lake", str(lake), "--salida", str(salida))[0] == 0
    pd.testing.assert_frame_equal(alert_list(lake, "2025-12", salida), expected_alerts)
    ctx = report.open_report("2025-12", lake=lake)
    try:
        assert len(ctx.gold_month()) > 0 and len(ctx.kpi_by_month()) == 48
    finally:
        ctx.close()
    assert lakecopy.snapshot(lake) == expected
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0


@pytest.fixture
def original(built_lake, tmp_path, capsys):
    """A copy of the built sample (cp -a), its tables' rows and its 2025-12 alert list."""
    lake = cp_a(built_lake, tmp_path / "original")
    salida = tmp_path / "alertas-original"
    assert run_cli(capsys, "alertas", "--period", "2025-12", "--lake", str(lake), "--salida", str(salida))[0] == 0
    return lake, lakecopy.snapshot(lake), alert_list(lake, "2025-12", salida)


def test_no_absolute_path_is_stored_in_the_lake(built_lake):
    root = str(built_lake).encode()
    holding = [str(path.relative_to(built_lake)) for path in sorted(built_lake.rglob("*"))
               if path.is_file() and root in path.read_bytes()]
    assert holding == []


def test_a_copied_lake_reads_its_own_files(original, tmp_path, capsys):
    lake, expected, expected_alerts = original
    before = tree_digest(lake)
    copy = cp_a(lake, tmp_path / "copia")
    works_as_the_original(copy, capsys, expected, expected_alerts, tmp_path)
    assert tree_digest(lake) == before, "the original is untouched"
    for layer in lakecopy.BUILT_LAYERS:  # the copy must not need them
        shutil.rmtree(LakePaths(lake).layer(layer))
    assert lakecopy.snapshot(copy) == expected
    works_as_the_original(copy, capsys, expected, expected_alerts, tmp_path)


def test_a_moved_lake_works_from_its_new_place(original, tmp_path, capsys):
    lake, expected, expected_alerts = original
    moved = tmp_path / "otro" / "sitio"
    moved.parent.mkdir()
    subprocess.run(["mv", str(lake), str(moved)], check=True)
    works_as_the_original(moved, capsys, expected, expected_alerts, tmp_path)


def test_a_read_only_lake_is_read_and_writers_stop_in_one_line(original, tmp_path, capsys):
    lake, expected, expected_alerts = original
    before = tree_digest(lake)
    with mounts.read_only_view(lake, tmp_path / "compartido") as shared:
        ctx = report.open_report("2025-12", lake=shared)
        try:
            assert len(ctx.all_bills(ctx.evaluation_sample())) > 0 and len(ctx.data_dictionary()) > 0
        finally:
            ctx.close()
        assert lakecopy.snapshot(shared) == expected
        salida = tmp_path / "alertas-compartido"
        assert run_cli(capsys, "alertas", "--period", "2025-12", "--lake", str(shared), "--salida", str(salida))[0] == 0
        pd.testing.assert_frame_equal(alert_list(shared, "2025-12", salida), expected_alerts)
        assert run_cli(capsys, "alertas", "--period", "2025-12", "--lake", str(shared)) == (
            2, f"error: the lake {shared} is read-only: pass --salida DIR to write the alert lists elsewhere")
        read_only = f"error: the lake {shared} is read-only (cannot open its lock file {shared / '.lock'}: "
        for writer in (["pipeline", "--period", "2025-06"], ["pipeline"],
                       ["alertas", "--period", "2025-12", "--capacidad", "0.01", "--salida", str(salida)]):
            code, err = run_cli(capsys, *writer, "--lake", str(shared))
            assert code == 2 and err.startswith(read_only), (writer, err)
        assert run_cli(capsys, "verificar", "--lake", str(shared))[0] == 0
    assert tree_digest(lake) == before


def _as_written_before(lake) -> None:
    """The catalog as the previous code wrote it: views over absolute paths, no manifests, no record."""
    with DuckDBEngine(lake) as engine:
        for database, view, sql in engine._views():
            if "getvariable" in sql:
                literal = sql.replace("getvariable('lds_lago') || '", f"'{lake}")
                engine.con.execute(re.sub(r"^CREATE VIEW", "CREATE OR REPLACE VIEW", literal))
        assert len(engine._legacy_views()) > 20
    for version in lake.glob("*/*/v*"):
        (version / integrity.CONTENT_NAME).unlink()
    (lake / integrity.RECORD_NAME).unlink()


def test_a_catalog_written_before_is_refused_by_readers_and_migrated_by_the_next_writer(original, tmp_path, capsys):
    lake, expected, expected_alerts = original
    _as_written_before(lake)
    with pytest.raises(RunFailed, match=r"was written by an earlier version and reads files by absolute path: run "
                                        r"`python -m lds_utils pipeline --lake \S+` once"):
        report.open_report("2025-12", lake=lake)
    moved = tmp_path / "movido"
    subprocess.run(["mv", str(lake), str(moved)], check=True)
    works_as_the_original(moved, capsys, expected, expected_alerts, tmp_path)
    with DuckDBEngine(moved, read_only=True) as engine:
        assert engine._legacy_views() == []


def test_alertas_of_built_months_only_reads_the_lake(original, tmp_path, capsys):
    """Months whose alert relations are built from the lake's GOLD with the same capacity are read without the lake
    lock (so also while another run holds it, and on a read-only share); another capacity must build, and waits for
    the lock like any writer."""
    from lds_utils.lake.pipeline import lake_lock

    lake, _, expected_alerts = original
    salida = tmp_path / "durante"
    with lake_lock(lake):
        before = tree_digest(lake)
        assert run_cli(capsys, "alertas", "--period", "2025-12", "--lake", str(lake), "--salida", str(salida))[0] == 0
        assert tree_digest(lake) == before
        code, err = run_cli(capsys, "alertas", "--period", "2025-12", "--capacidad", "0.01", "--lake", str(lake))
        assert code == 2 and err.startswith(f"error: another run is using the lake {lake}")
    pd.testing.assert_frame_equal(alert_list(lake, "2025-12", salida), expected_alerts)


def test_verificar_on_a_catalog_written_before_names_the_run_that_migrates_it(original, capsys):
    lake, _, _ = original
    _as_written_before(lake)
    capsys.readouterr()
    assert cli.main(["verificar", "--lake", str(lake), "--reparar"]) == 1
    first, summary = capsys.readouterr().out.strip().splitlines()
    assert first.startswith(f"the catalog {lake / 'catalog.duckdb'} was written by an earlier version")
    assert first.endswith(f"run `python -m lds_utils pipeline --lake {lake}` once (its first step rewrites the catalog)")
    assert summary.startswith(f"verificar: {lake}: 1 problem")
    assert run_cli(capsys, "pipeline", "--period", "2025-06", "--lake", str(lake))[0] == 0
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0
