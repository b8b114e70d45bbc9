"""Parameters, paths and validation shared by every module.

Everything a user can pass (periods, engine names, lake paths, counts) is validated here, so a bad
value stops the run with one clear message before any data or SQL is touched.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_ROOT = PROJECT_ROOT / "sql"

DEFAULT_CLIENTES = 1500
#: About 40 times Luz del Sur's customer base: a larger --clientes is a typo, not a sample.
MAX_CLIENTES = 50_000_000
DEFAULT_SEED = 42
DEFAULT_DESDE = "2022-01"
DEFAULT_HASTA = "2025-12"
#: Months of readings generated before the first reported month (DEFAULT_DESDE): its 12-month history.
DEFAULT_HISTORIA_PREVIA = 12
DEFAULT_ENGINE = "duckdb"
ENGINES = ("duckdb", "athena")

LAYERS = ("raw", "bronze", "silver", "gold")
DATABASES = {layer: f"{layer}_db" for layer in LAYERS}

RAW_TABLES = (
    "sector",
    "tarifa",
    "cliente",
    "suministro",
    "medidor",
    "asignacion_tarifa",
    "acumulado",
    "inspeccion",
)

_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
#: Characters a lake path may not hold: glob patterns (the engines read folders by pattern) and control codes.
_LAKE_PATH_FORBIDDEN = re.compile(r"[*?\[\]{}\x00-\x1f\x7f]")


class UsageError(ValueError):
    """A user-facing error: printed as one line by the CLI, never as a traceback."""


class RunFailed(RuntimeError):
    """A run stopped for a reason its message fully explains (printed as one line, exit code 1)."""


def parse_period(value: str, name: str = "period") -> str:
    """Return a validated 'YYYY-MM' period or raise UsageError."""
    match = _PERIOD_RE.fullmatch(str(value).strip()) if value is not None else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise UsageError(f"{name} must be a month written YYYY-MM (got {value!r})")
    return f"{match.group(1)}-{match.group(2)}"


def month_index(period: str) -> int:
    """Months since year 0: makes period arithmetic simple integer arithmetic."""
    year, month = (int(part) for part in parse_period(period).split("-"))
    return year * 12 + month - 1


def period_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_range(desde: str, hasta: str) -> list[str]:
    """Every month from desde to hasta, both included."""
    start, end = month_index(desde), month_index(hasta)
    if end < start:
        raise UsageError(f"--hasta {hasta} is before --desde {desde}")
    return [period_from_index(i) for i in range(start, end + 1)]


def shift_period(period: str, months: int) -> str:
    return period_from_index(month_index(period) + months)


def parse_engine(value: str) -> str:
    engine = str(value).strip().lower()
    if engine not in ENGINES:
        raise UsageError(f"engine must be one of {', '.join(ENGINES)} (got {value!r})")
    return engine


def non_negative_int(value, name: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a whole number (got {value!r})") from None
    if number < 0:
        raise UsageError(f"{name} must not be negative (got {number})")
    return number


def positive_int(value, name: str, maximum: int | None = None) -> int:
    number = non_negative_int(value, name)
    if number == 0:
        raise UsageError(f"{name} must be greater than zero (got {number})")
    if maximum is not None and number > maximum:
        raise UsageError(f"{name} must be at most {maximum:,} (got {number:,})")
    return number


def resolve_lake(lake: str | os.PathLike | None = None) -> Path:
    """The lake root: explicit argument, else $LDS_LAKE, else <project>/lake.

    Relative paths resolve from the project root, never from the caller's working directory, so a
    notebook run from notebooks/ and a CLI run from the root see the same lake.
    """
    chosen = lake if lake not in (None, "") else os.environ.get("LDS_LAKE") or "lake"
    bad = _LAKE_PATH_FORBIDDEN.search(str(chosen))
    if bad:
        raise UsageError(f"the lake path must not contain {bad.group()!r} (glob or control character): {str(chosen)!r}")
    path = Path(chosen).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    return path.resolve()


def ensure_writable_dir(path: Path) -> Path:
    """Create path if needed and check it accepts files, else raise UsageError."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write_probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise UsageError(f"cannot write to {path}: {error.strerror or error}") from None
    return path


@dataclass(frozen=True)
class LakePaths:
    """Folder layout of the lake; mirrors the S3 bucket (raw/ bronze/ silver/ gold/ ...)."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def silver(self) -> Path:
        return self.root / "silver"

    @property
    def gold(self) -> Path:
        return self.root / "gold"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    @property
    def catalog(self) -> Path:
        return self.root / "catalog.duckdb"

    def layer(self, layer: str) -> Path:
        if layer not in LAYERS:
            raise UsageError(f"unknown layer {layer!r}")
        return self.root / layer

    def raw_table(self, table: str) -> Path:
        if table not in RAW_TABLES:
            raise UsageError(f"unknown raw table {table!r}")
        return self.raw / table
