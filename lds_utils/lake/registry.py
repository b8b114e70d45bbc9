"""The engines by name: the one place that knows every engine class (so neither engine module imports the other)."""

from __future__ import annotations

from pathlib import Path

from lds_utils.aws.athena import AthenaEngine
from lds_utils.config import parse_engine
from lds_utils.lake.engines import DuckDBEngine, Engine

ENGINES: dict[str, type[Engine]] = {engine.name: engine for engine in (DuckDBEngine, AthenaEngine)}


def engine_class(name: str) -> type[Engine]:
    """The class of the engine called ``name`` (its capabilities are class attributes)."""
    return ENGINES[parse_engine(name)]


def open_engine(name: str, lake: Path, read_only: bool = False, **options) -> Engine:
    """The engine called ``name`` over the lake (a local folder; for Athena, options name the bucket)."""
    return engine_class(name).open(Path(lake), read_only=read_only, **options)
