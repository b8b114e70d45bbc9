"""Two processes on one lake: the second stops at once with a clear message, and never writes.

Real ``python -m lds_utils`` processes: a pipeline run against a second pipeline run, ``generate``
against a running pipeline and the other way round, and a pipeline against a process that holds the
catalog open for reading (a notebook kernel).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from lds_utils.config import LOCK_FILE, PROJECT_ROOT, UsageError
from lds_utils.lake.pipeline import run_pipeline
from tests import lakecopy

BUILT = ("bronze_db", "silver_db", "gold_db")


def _start(*args):
    return subprocess.Popen([sys.executable, "-m", "lds_utils", *args], cwd=PROJECT_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _run(*args):
    return subprocess.run([sys.executable, "-m", "lds_utils", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)


def _lock_holder(lake) -> str:
    path = lake / LOCK_FILE
    return path.read_text().strip() if path.exists() else ""


def _wait_for_lock(lake, holder: subprocess.Popen) -> None:
    """Until the holder has written its process id into the lock file (it holds the lock from then on)."""
    deadline = time.monotonic() + 60
    while _lock_holder(lake) != str(holder.pid):
        assert holder.poll() is None and time.monotonic() < deadline, "the first process never took the lock"
        time.sleep(0.02)


def _assert_refused(result: subprocess.CompletedProcess, lake, holder: subprocess.Popen) -> None:
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: another run is using the lake {lake} by process {holder.pid} (lock {lake / LOCK_FILE}); "
        "try again when it ends"
    )


@pytest.fixture
def lake(built_lake, tmp_path):
    return lakecopy.copy_raw(built_lake, tmp_path / "lake")


def _hold_lock(lake) -> subprocess.Popen:
    """Another process holding the lake lock exactly as a run does, until its stdin is closed: a run on the
    sample lake ends in seconds, so a real one could finish before the second process even starts."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from lds_utils.lake.pipeline import lake_lock\n"
                               "with lake_lock(Path(sys.argv[1])):\n    sys.stdin.read()", str(lake)],
        cwd=PROJECT_ROOT, stdin=subprocess.PIPE, text=True)
    _wait_for_lock(lake, holder)
    return holder


def test_second_pipeline_run_stops_and_the_first_completes_alone(lake, built_lake):
    holder = _hold_lock(lake)
    try:
        _assert_refused(_run("pipeline", "--lake", str(lake)), lake, holder)
        assert not (lake / "catalog.duckdb").exists(), "the refused run wrote nothing"
    finally:
        holder.communicate("", timeout=60)
    first = _run("pipeline", "--lake", str(lake))
    assert first.returncode == 0, first.stderr
    published, reference = lakecopy.snapshot(lake, BUILT), lakecopy.snapshot(built_lake, BUILT)
    assert published == {name: reference.get(name) for name in published}
    assert not {"gold_db.gold_senales_mes", "gold_db.gold_alertas_mes"} & set(published), "built on request only"
    assert lakecopy.leftovers(lake) == []


def test_generate_does_not_rewrite_raw_under_a_running_pipeline(lake):
    raw_before = {name: stamp for name, stamp in lakecopy.file_digests(lake).items() if name.startswith("raw/")}
    holder = _hold_lock(lake)
    try:
        _assert_refused(_run("generate", "--lake", str(lake), "--seed", "7", "--quiet"), lake, holder)
    finally:
        holder.communicate("", timeout=60)
    raw_after = {name: stamp for name, stamp in lakecopy.file_digests(lake).items() if name.startswith("raw/")}
    assert raw_after == raw_before


def test_pipeline_stops_while_generate_runs(tmp_path):
    lake = tmp_path / "lake"
    generate = _start("generate", "--lake", str(lake), "--clientes", "300000", "--quiet")  # long enough
    try:
        _wait_for_lock(lake, generate)
        _assert_refused(_run("pipeline", "--lake", str(lake)), lake, generate)
    finally:
        generate.kill()
        generate.communicate(timeout=60)


def test_pipeline_explains_a_catalog_held_open_by_a_reader(lake):
    run_pipeline(lake)
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
                               "print('open', flush=True); sys.stdin.read()", str(lake / "catalog.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(UsageError, match=rf"catalog .* is open in another process \(PID {reader.pid}\)"):
            run_pipeline(lake)
    finally:
        reader.communicate("", timeout=60)
    run_pipeline(lake)  # the lock was released: the next run goes through
