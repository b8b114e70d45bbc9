"""A write the filesystem refuses (disk full, permission denied, a folder gone) stops in one line and leaves the lake as
it was, with no staging folder behind; the next run, once the cause is gone, works.

The full disk is real where the tests may mount (tests/mounts.small_disk: a tmpfs holding a copy of a small built lake
and a ballast file, so that a full pipeline run cannot fit), and simulated everywhere: ENOSPC raised by the catalog's
commit, and ENOSPC, EACCES and ENOENT raised while a version is being written.
"""

from __future__ import annotations

import errno
import os

import duckdb
import pytest

from lds_utils.detection import alerts
from lds_utils.lake import integrity
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.synthetic.generate import run_generate
from tests import lakecopy, mounts
from tests.lakecopy import cp_a, run_cli
from tests.test_readonly import OWN_SAMPLE


@pytest.fixture(scope="module")
def small_lake(tmp_path_factory):
    """A 300-customer lake, built with its alert relations."""
    lake = tmp_path_factory.mktemp("pequeno") / "lake"
    run_generate(OWN_SAMPLE, lake)
    run_pipeline(lake)
    with DuckDBEngine(lake) as engine:
        alerts.build_all_alerts(engine)
    return lake


@pytest.fixture
def lake(small_lake, tmp_path):
    return cp_a(small_lake, tmp_path / "lago")


def as_it_was(lake):
    """What must not change: every table's rows, every file (but the lock file), no staging."""
    return lakecopy.snapshot(lake), lakecopy.file_digests(lake)


def assert_unchanged(lake, before) -> None:
    assert as_it_was(lake) == before
    assert lakecopy.leftovers(lake) == []


@pytest.mark.parametrize("command", [["pipeline"], ["pipeline", "--period", "2025-03"],
                                     ["alertas", "--period", "2025-03", "--capacidad", "0.01"]])
def test_disk_full_at_the_catalog_commit(lake, capsys, monkeypatch, command):
    before = as_it_was(lake)

    def full(self):
        raise duckdb.IOException(f'IO Error: Could not write file "{lake}/catalog.duckdb.wal": No space left on device')

    with monkeypatch.context() as patched:
        patched.setattr(DuckDBEngine, "_commit", full)
        code, err = run_cli(capsys, *command, "--lake", str(lake))
    assert code == 1
    assert err.startswith(f"failed: could not write the lake {lake}: No space left on device (IO Error: Could not "
                          "write file")
    assert err.endswith("; nothing was published: the lake is as it was")
    assert_unchanged(lake, before)
    assert run_cli(capsys, *command, "--lake", str(lake))[0] == 0
    assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0


@pytest.mark.parametrize("number, words", [(errno.ENOSPC, "No space left on device"),
                                           (errno.EACCES, "Permission denied"),
                                           (errno.ENOENT, "No such file or directory")])
def test_a_refused_write_during_a_run(lake, capsys, monkeypatch, number, words):
    before = as_it_was(lake)
    written = []
    write_content = integrity.write_content

    def refuse_the_fifth(version, content):
        written.append(version)
        if len(written) == 5:
            raise OSError(number, os.strerror(number), str(version / integrity.CONTENT_NAME))
        write_content(version, content)

    with monkeypatch.context() as patched:
        patched.setattr(integrity, "write_content", refuse_the_fifth)
        code, err = run_cli(capsys, "pipeline", "--lake", str(lake))
    assert code == 1
    assert err == (f"failed: could not write the lake {lake}: {words} ({written[4] / integrity.CONTENT_NAME}); "
                   "nothing was published: the lake is as it was")
    assert_unchanged(lake, before)
    assert run_cli(capsys, "pipeline", "--lake", str(lake))[0] == 0


def _bytes(folder) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def test_a_full_disk_during_a_pipeline_run(small_lake, tmp_path, capsys):
    """A real tmpfs: the lake fits, a full run's new versions do not; freeing the space lets the next run through."""
    lake_bytes = _bytes(small_lake)
    with mounts.small_disk(tmp_path / "disco", size=f"{(lake_bytes * 2) // 1024}k") as disk:
        lake = cp_a(small_lake, disk / "lago")
        before = as_it_was(lake)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        ballast = disk / "lastre"
        ballast.write_bytes(b"\0" * max(free - lake_bytes // 4, 0))  # room for a quarter of the lake's files
        code, err = run_cli(capsys, "pipeline", "--lake", str(lake))
        assert code == 1
        assert err.startswith(f"failed: could not write the lake {lake}: No space left on device"), err
        assert_unchanged(lake, before)
        ballast.unlink()
        assert run_cli(capsys, "pipeline", "--lake", str(lake))[0] == 0
        assert lakecopy.snapshot(lake) == before[0]
        assert lakecopy.leftovers(lake) == []
        assert run_cli(capsys, "verificar", "--lake", str(lake))[0] == 0
