"""Parameters, paths and validation shared by every module.

Everything a user can pass (periods, engine names, lake paths, counts) is validated here, so a bad
value stops the run with one clear message before any data or SQL is touched.
"""

from __future__ import annotations

import errno
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
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
#: Ten years of history before the first reported month: more is a typo (and would be generated month by month).
MAX_HISTORIA_PREVIA = 120
#: numpy seeds any non-negative integer; a seed past 64 bits is a typo.
MAX_SEED = 2**64 - 1
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
    "lectura_intervalo",
    "evento_medidor",
)
#: The smart meters' RAW tables (lds_utils.synthetic.ami), delivered from the generator's intervalos_desde.
AMI_TABLES = ("lectura_intervalo", "evento_medidor")

_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
#: Numbers are written with ASCII digits only: int() and float() also take other scripts' digits ('٣' is 3).
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
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


def non_negative_int(value, name: str, maximum: int | None = None) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not _INTEGER_RE.fullmatch(text):
        raise UsageError(f"{name} must be a whole number written with the digits 0-9 (got {value!r})")
    number = int(text)
    if number < 0:
        raise UsageError(f"{name} must not be negative (got {number})")
    if maximum is not None and number > maximum:
        raise UsageError(f"{name} must be at most {maximum:,} (got {number:,})")
    return number


def positive_int(value, name: str, maximum: int | None = None) -> int:
    number = non_negative_int(value, name, maximum)
    if number == 0:
        raise UsageError(f"{name} must be greater than zero (got {number})")
    return number


def finite_number(value, name: str) -> float:
    """A decimal number written with the digits 0-9 (an exponent is fine); inf, nan and overflows are refused."""
    text = str(value).strip()
    if isinstance(value, bool) or not _DECIMAL_RE.fullmatch(text):
        raise UsageError(f"{name} must be a number written with the digits 0-9 (got {value!r})")
    number = float(text)
    if not math.isfinite(number):
        raise UsageError(f"{name} is out of range (got {value!r})")
    return number


def resolve_lake(lake: str | os.PathLike | None = None) -> Path:
    """The lake root: explicit argument, else $LDS_LAKE, else <project>/lake; symbolic links resolved.

    Relative paths resolve from the project root, never from the caller's working directory, so a
    notebook run from notebooks/ and a CLI run from the root see the same lake. A lake is a folder of
    an ordinary filesystem: an existing file, a path under a file and the kernel's folders are refused.
    """
    chosen = lake if lake not in (None, "") else os.environ.get("LDS_LAKE") or "lake"
    bad = _LAKE_PATH_FORBIDDEN.search(str(chosen))
    if bad:
        raise UsageError(f"the lake path must not contain {bad.group()!r} (glob or control character): {str(chosen)!r}")
    path = Path(chosen).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    try:
        path = path.resolve()
    except (OSError, RuntimeError) as error:  # a symbolic link loop
        raise UsageError(f"the lake path {str(chosen)!r} cannot be resolved: {getattr(error, 'strerror', error)}") from None
    _check_lake_location(path, str(chosen))
    return path


#: The kernel's pseudo-filesystems: they hold no lake, and writing there changes the system, not files.
_SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _check_lake_location(path: Path, given: str) -> None:
    shown = given if given == str(path) else f"{given} ({path})"
    for special in _SPECIAL_ROOTS:
        if path.is_relative_to(special):
            raise UsageError(f"the lake path {shown} is inside the system folder {special}: choose an ordinary folder")
    try:
        if path.exists() and not path.is_dir():
            raise UsageError(f"the lake path {shown} is a file, not a folder")
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise UsageError(f"the lake path {shown} is under {parent}, which is a file, not a folder")
                return
    except OSError as error:  # a name too long, a folder that may not be looked into
        raise UsageError(f"the lake path {shown} cannot be used: {error.strerror}") from None


#: What makes a folder a lake: the generator's summary, the pipeline's catalog, or a RAW table folder.
LAKE_MARKERS = ("generacion.json", "catalog.duckdb")
#: The file of the lake lock (lds_utils.lake.pipeline.lake_lock).
LOCK_FILE = ".lock"
WRITE_PROBE = ".write_probe"
#: What a failed or killed `generate` may leave in a lake: its staging folder, the write probe, the summary being
#: written and the raw/ and truth/ being replaced (lds_utils.synthetic.generate removes them before anything else).
GENERATE_LEFTOVERS = (".generate-staging", WRITE_PROBE, "generacion.json.tmp", ".entrega-en-curso.tmp", ".old-raw",
                      ".old-truth")
#: Written by `generate` while it moves a new delivery into raw/ (the folders it moves, the command that finishes):
#: while it exists RAW is incomplete, and the pipeline refuses to read it.
DELIVERY_MARKER = ".entrega-en-curso"


def is_lake(path: Path) -> bool:
    """Whether path holds a lake: generacion.json, catalog.duckdb, or raw/<tabla>/ for one of the RAW tables."""
    path = Path(path)
    return (any((path / marker).is_file() for marker in LAKE_MARKERS)
            or any(LakePaths(path).raw_table(table).is_dir() for table in RAW_TABLES))


def require_lake_or_empty(path: Path) -> Path:
    """A writer's target: a lake, an empty folder or a path to create; any other folder is refused (UsageError).

    A folder holding only the lake lock and what a failed `generate` left is empty.
    """
    path = Path(path)
    transient = (LOCK_FILE, DELIVERY_MARKER, *GENERATE_LEFTOVERS)
    if path.is_dir() and not is_lake(path) and any(entry.name not in transient for entry in path.iterdir()):
        raise UsageError(f"{path} is not empty and is not a lake (it holds no generacion.json, catalog.duckdb or "
                         f"raw/<tabla>/ folder): refusing to write into it; give a new or empty folder")
    return path


_FULL = (errno.ENOSPC, errno.EDQUOT)
_REFUSED = (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP)


def ensure_writable_dir(path: Path) -> Path:
    """Create path if needed and check it accepts files, else raise UsageError (RunFailed on a full disk).

    The probe file is removed even when writing it fails (a full disk leaves it empty).
    """
    with writing(path):
        path.mkdir(parents=True, exist_ok=True)
        probe = path / WRITE_PROBE
        try:
            probe.write_text("ok")
        finally:
            probe.unlink(missing_ok=True)
    return path


def is_disk_full(error: BaseException) -> bool:
    """Whether error reports a full disk or quota, also when wrapped without its errno (shutil.copytree's Error)."""
    return getattr(error, "errno", None) in _FULL or any(os.strerror(code) in str(error) for code in _FULL)


@contextmanager
def writing(target: Path, command: str | None = None) -> Iterator[None]:
    """Turn the OSError of a full disk, a read-only filesystem or a refused write under target into one line.

    A full disk is a run that failed (RunFailed: free space, then run ``command`` again); a target that cannot
    be written is a usage error (UsageError). Any other OSError is a bug and propagates.
    """
    try:
        yield
    except OSError as error:
        where = error.filename or target
        if is_disk_full(error):
            again = f", then run `{command}` again" if command else ""
            raise RunFailed(f"no space left on the device of {where}: free some space{again}") from None
        if error.errno in _REFUSED:
            raise UsageError(f"cannot write to {where}: {error.strerror}") from None
        raise


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
