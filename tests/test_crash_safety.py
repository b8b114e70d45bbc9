"""Runs killed with SIGKILL, and a run that fails, leave the published tables as they were.

A copy of the sample is built once; then its RAW readings change so that a new run would rewrite every
layer, and real pipeline processes are killed at several points: at exact points inside RAW, BRONZE,
SILVER, GOLD and the views (tests/paused_run.py stops the process there, so no timer decides where the
kill lands), and at fixed times of a plain ``python -m lds_utils pipeline``. After each kill the catalog must reopen and every BRONZE,
SILVER and GOLD relation must hold exactly the rows it held before; the run after the kills must
finish, publish the new tables and leave no staging folder or unpublished version behind. DuckDB's
own catalog write (its write-ahead log) is killed separately, many times.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time

import duckdb
import pytest

from lds_utils.config import PROJECT_ROOT
from lds_utils.lake.pipeline import run_pipeline
from tests import lakecopy

BUILT = ("bronze_db", "silver_db", "gold_db")
PAUSED_RUN = PROJECT_ROOT / "tests" / "paused_run.py"
#: Where runs are killed: (engine method that has just finished, relation it worked on).
KILL_POINTS = [
    ("register_raw", "acumulado"),  # RAW views replaced, uncommitted
    ("_copy", "bronze_cliente"),  # BRONZE files complete in staging
    ("_copy", "stg_acumulado"),
    ("_point_view", "stg_acumulado_duplicado"),  # a new version in place, the catalog not yet committed
    ("create_view", "bronze_acumulado"),  # the valid readings' view replaced, uncommitted
    ("_copy", "silver_consumo_mensual"),
    ("_point_view", "silver_consumo_mensual"),
    ("_copy", "gold_factura_evaluada_mes"),
    ("_point_view", "gold_factura_evaluada_mes"),
    ("_point_view", "gold_cerco_segmento_mes"),
    ("create_view", "gold_facturacion_teorica_mes"),
    ("create_view", "vw_kpi_atipicos_zona_mes"),  # the last view: everything but the commit is done
]
KILL_AFTER_SECONDS = (1.0, 2.5, 4.0)


def _pipeline(lake, *args):
    return subprocess.Popen([sys.executable, "-m", "lds_utils", "pipeline", "--lake", str(lake), *args],
                            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _kill_at(lake, point: str, relation: str, *args) -> None:
    """Run the pipeline until it pauses right after `point` of `relation`, then SIGKILL it."""
    run = subprocess.Popen([sys.executable, str(PAUSED_RUN), point, relation, "--", "pipeline", "--lake", str(lake),
                            *args], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in run.stderr:
        seen.append(line)
        if line.startswith("PAUSED"):
            run.kill()
            break
    run.wait(timeout=60)
    assert seen and seen[-1].startswith("PAUSED"), f"the run never reached {point} of {relation}: {''.join(seen)}"


def _kill_after_seconds(lake, seconds: float) -> None:
    run = _pipeline(lake)
    time.sleep(seconds)
    run.kill()
    run.communicate(timeout=60)


def _shorten_readings(lake) -> None:
    """Drop the last tenth of the readings: a run on the result changes every layer."""
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "acumulado"), lambda lines: lines[: len(lines) * 9 // 10])


@pytest.fixture(scope="module")
def states(built_lake, tmp_path_factory):
    """The lake built from the sample, and the tables a complete run on the shortened readings publishes."""
    root = tmp_path_factory.mktemp("crash")
    lake = lakecopy.copy_raw(built_lake, root / "lake")
    run_pipeline(lake)
    before = lakecopy.snapshot(lake, BUILT)
    reference = lakecopy.copy_raw(built_lake, root / "reference")
    _shorten_readings(reference)
    run_pipeline(reference)
    _shorten_readings(lake)
    return {"lake": lake, "before": before, "after": lakecopy.snapshot(reference, BUILT)}


def test_the_changed_input_changes_every_layer(states):
    changed = {name for name in states["before"] if states["before"][name] != states["after"].get(name)}
    assert {"bronze_db.bronze_acumulado", "silver_db.silver_consumo_mensual",
            "gold_db.gold_factura_evaluada_mes", "gold_db.gold_cerco_segmento_mes",
            "gold_db.gold_facturacion_teorica_mes", "gold_db.vw_kpi_atipicos_mes"} <= changed


@pytest.mark.parametrize("point, relation", KILL_POINTS)
def test_a_run_killed_in_any_layer_leaves_every_table_as_it_was(states, point, relation):
    _kill_at(states["lake"], point, relation)
    assert lakecopy.snapshot(states["lake"], BUILT) == states["before"]


@pytest.mark.parametrize("point", ["_copy", "_point_view"])
def test_a_killed_period_run_leaves_every_table_as_it_was(states, point):
    """A period run hard-links the other months into its new version: killing it must not touch the old one."""
    _kill_at(states["lake"], point, "gold_factura_evaluada_mes", "--period", "2024-02")
    assert lakecopy.snapshot(states["lake"], BUILT) == states["before"]


@pytest.mark.parametrize("seconds", KILL_AFTER_SECONDS)
def test_a_run_killed_at_any_moment_leaves_the_old_or_the_new_tables(states, seconds):
    _kill_after_seconds(states["lake"], seconds)
    assert lakecopy.snapshot(states["lake"], BUILT) in (states["before"], states["after"])


def test_the_next_run_completes_and_removes_what_the_killed_runs_left(states):
    done = subprocess.run([sys.executable, "-m", "lds_utils", "pipeline", "--lake", str(states["lake"])],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert lakecopy.snapshot(states["lake"], BUILT) == states["after"]
    assert lakecopy.leftovers(states["lake"]) == []


def test_a_failing_run_publishes_nothing_and_cleans_up(built_lake, tmp_path, monkeypatch):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    before = lakecopy.snapshot(lake, BUILT)
    _shorten_readings(lake)

    def broken_reconciliation(*_):
        raise RuntimeError("reconciliation failed")

    monkeypatch.setattr("lds_utils.lake.pipeline._check_reconciliation", broken_reconciliation)
    with pytest.raises(RuntimeError, match="reconciliation failed"):
        run_pipeline(lake)
    assert lakecopy.snapshot(lake, BUILT) == before
    assert lakecopy.leftovers(lake) == []


_CATALOG_WRITER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create schema if not exists s")
con.execute("create view if not exists s.a as select 0 as i")
i = con.execute("select i from s.a").fetchone()[0]
while True:
    i += 1
    con.execute("begin transaction")
    con.execute(f"create or replace view s.a as select {i} as i")
    con.execute(f"create or replace view s.b as select {i} as i")
    con.execute("commit")
    if i % 7 == 0:
        con.execute("checkpoint")
    print(i, flush=True)
"""


def test_catalog_killed_while_writing_reopens_with_a_committed_state(tmp_path):
    catalog = tmp_path / "catalog.duckdb"
    rng = random.Random(7)
    for _ in range(8):
        writer = subprocess.Popen([sys.executable, "-c", _CATALOG_WRITER, str(catalog)], stdout=subprocess.PIPE,
                                  text=True)
        first = int(writer.stdout.readline())  # the writer is committing
        time.sleep(rng.uniform(0.0, 0.3))
        writer.kill()
        printed = [first, *(int(line) for line in writer.communicate(timeout=60)[0].split())]
        with duckdb.connect(str(catalog), read_only=True) as con:
            a, b = con.execute("select (select i from s.a), (select i from s.b)").fetchone()
        assert a == b, "both views of one transaction, or neither"
        assert a >= max(printed), "every commit that returned survives the kill"
