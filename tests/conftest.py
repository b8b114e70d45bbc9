"""Shared fixtures: one generated lake per test session, and the book's editions built from it once."""

from __future__ import annotations

import pytest

from lds_utils import config
from lds_utils.reporting import book
from lds_utils.synthetic.generate import GeneratorConfig, run_generate


@pytest.fixture(scope="session")
def sample_lake(tmp_path_factory):
    """The default sample (1500 customers, seed 42, 2022-01..2025-12) generated once; returns the lake root.

    Tests may run the pipeline on it (it writes bronze/silver/gold next to raw/), never change raw/ or truth/.
    """
    lake = tmp_path_factory.mktemp("sample_lake")
    cfg = GeneratorConfig(n_clientes=config.DEFAULT_CLIENTES, seed=config.DEFAULT_SEED,
                          desde=config.DEFAULT_DESDE, hasta=config.DEFAULT_HASTA)
    run_generate(cfg, lake)
    return lake


@pytest.fixture(scope="session")
def built_lake(sample_lake):
    """The sample lake after one full pipeline run (shared with the modules that call minilake.ensure_pipeline)
    and the alert relations of every month: what the notebooks and the book read."""
    from lds_utils.detection import alerts
    from lds_utils.lake.engines import DuckDBEngine
    from tests import minilake

    minilake.ensure_pipeline(sample_lake)
    with DuckDBEngine(sample_lake) as engine:
        alerts.build_all_alerts(engine)
    return sample_lake


@pytest.fixture(scope="session")
def libros(built_lake, tmp_path_factory):
    """Two editions of the book (a mid-year month and the sample's last) built once into a temporary _build.

    The build only reads the lake; test_book checks the files, test_browser reads the pages in Chromium.
    """
    periodos = ("2025-06", "2025-12")
    build = tmp_path_factory.mktemp("libro") / "_build"
    indices = {periodo: book.build_book(periodo, lake=built_lake, build_root=build, progress=False)
               for periodo in periodos}
    return {"lago": built_lake, "build": build, "periodos": periodos, "indices": indices}
