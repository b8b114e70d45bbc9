"""Shared fixtures: one generated lake per test session."""

from __future__ import annotations

import pytest

from lds_utils import config
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
