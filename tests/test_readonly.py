"""Reading never writes: the notebooks, the book and the ``book`` command leave a lake they did not build as it was.

The lake here is someone's own: another size and seed than the demo sample, built by its owner (pipeline and
alert relations). Each test first puts it in the state it needs: like a lake of real extracts (no
``generacion.json``) or as generated, with an analyst's own file under ``raw/`` in both. Every file's bytes and
modification time, and every folder's, are compared before and after (the DuckDB catalog included: a read-only
connection must not touch it). A whole book is also built over a real read-only bind mount of the lake
(tests/mounts.py), read as the demo lake, as managers and auditors read a lake published on a read-only share.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import papermill
import pytest

from lds_utils import cli
from lds_utils.config import UsageError
from lds_utils.detection import alerts
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.reporting import book
from lds_utils.synthetic.generate import GENERACION, GeneratorConfig, run_generate
from tests.mounts import read_only_view

OWN_SAMPLE = GeneratorConfig(n_clientes=300, seed=11, desde="2024-01", hasta="2025-06")
ANALYST_FILE = Path("raw") / "notas_del_analista.txt"
#: The notebooks that describe the generated sample and so need generacion.json.
NEEDS_GENERATION = {"01_datos_sinteticos"}


@pytest.fixture(scope="module")
def own_lake(tmp_path_factory):
    """The owner's lake, built once; yields its root and keeps its generacion.json aside."""
    lake = tmp_path_factory.mktemp("propio") / "lake"
    run_generate(OWN_SAMPLE, lake)
    run_pipeline(lake)
    with DuckDBEngine(lake) as engine:
        alerts.build_all_alerts(engine)
    (lake / ANALYST_FILE).write_text("consumos a revisar con el área comercial\n", encoding="utf-8")
    aside = lake.parent / GENERACION
    shutil.copy2(lake / GENERACION, aside)
    return {"lake": lake, "generacion": aside}


def _as_extracts(own_lake) -> Path:
    """The lake without generacion.json, like one holding real extracts."""
    (own_lake["lake"] / GENERACION).unlink(missing_ok=True)
    return own_lake["lake"]


def _as_generated(own_lake) -> Path:
    shutil.copy2(own_lake["generacion"], own_lake["lake"] / GENERACION)
    return own_lake["lake"]


def tree_digest(root: Path) -> dict[str, tuple]:
    """Every file (sha256 of its bytes, modification time) and every folder (modification time) under root."""
    digest = {".": ("dir", root.stat().st_mtime_ns)}
    for path in sorted(root.rglob("*")):
        stat = path.stat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        digest[str(path.relative_to(root))] = (content, stat.st_mtime_ns)
    return digest


def test_every_notebook_reads_the_lake_without_writing(own_lake, tmp_path):
    lake = _as_extracts(own_lake)
    before = tree_digest(lake)
    failed = {}
    for notebook in book.notebooks():
        try:
            papermill.execute_notebook(str(notebook), str(tmp_path / notebook.name), parameters={"lake": str(lake)},
                                       kernel_name=book.KERNEL, progress_bar=False, cwd=str(notebook.parent))
        except papermill.PapermillExecutionError as error:
            failed[notebook.stem] = (error.ename, error.evalue)
    assert tree_digest(lake) == before
    assert failed.keys() == NEEDS_GENERATION
    for ename, evalue in failed.values():
        assert ename == "UsageError" and "\n" not in evalue and f"{GENERACION} not found" in evalue


def test_book_stops_in_one_line_on_a_lake_without_generation_and_writes_nothing(own_lake, tmp_path):
    lake = _as_extracts(own_lake)
    before = tree_digest(lake)
    with pytest.raises(UsageError, match=f"{GENERACION} not found"):
        book.build_book(lake=lake, build_root=tmp_path / "_build", progress=False)
    assert tree_digest(lake) == before
    assert not (tmp_path / "_build").exists()


def test_book_of_a_lake_of_another_size_reads_it_as_it_is(own_lake, tmp_path):
    lake = _as_generated(own_lake)
    before = tree_digest(lake)
    indice = book.build_book("2025-06", lake=lake, build_root=tmp_path / "_build", progress=False)
    assert tree_digest(lake) == before
    manifiesto = json.loads((indice.parent / book.MANIFEST).read_text(encoding="utf-8"))
    assert manifiesto["parametros"] == {"period": "2025-06", "engine": "duckdb", "lake": str(lake)}
    assert (manifiesto["generacion"]["n_clientes"], manifiesto["generacion"]["seed"]) == (300, 11)
    assert not {"generacion", "pipeline", "alertas"} & manifiesto["duraciones_s"].keys(), "nothing was prepared"


def test_book_command_on_a_path_that_does_not_exist_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "no" / "lake"
    assert cli.main(["book", "--lake", str(missing)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: no built lake at {missing}: run `python -m lds_utils generate --lake ")
    assert error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_whole_book_over_a_read_only_mount_of_a_built_demo_lake(own_lake, tmp_path, monkeypatch):
    """The demo lake needs no writer step: prepare_demo_lake takes no lock and writes nothing, the notebooks only read."""
    lake = _as_generated(own_lake)
    before = tree_digest(lake)
    with read_only_view(lake, tmp_path / "publicado") as view:
        monkeypatch.setattr(book, "DEMO_LAKE", view)
        indice = book.build_book("2025-06", lake=view, build_root=tmp_path / "_build", progress=False)
        manifiesto = json.loads((indice.parent / book.MANIFEST).read_text(encoding="utf-8"))
    assert tree_digest(lake) == before
    assert manifiesto["parametros"]["lake"] == str(view)
    assert not {"generacion", "pipeline", "alertas"} & manifiesto["duraciones_s"].keys(), "nothing was prepared"
