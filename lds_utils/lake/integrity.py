"""What a local lake publishes, and checks that its files still hold it.

Each version folder of a table (``<lake>/<layer>/<table>/v<NNNNNN>/``) carries ``_contenido.json``, written in
staging before the folder is renamed into place: every data file's path relative to the version, its size in bytes
and its rows (from the Parquet footer), the partition column and the table's total rows. The lake carries
``publicado.json``: every published table -> the version folder its catalog view reads, rewritten atomically after
each catalog commit (the catalog stays the authority while it can be opened; a writer rewrites the record from it
before removing unpublished folders, so a crash between the commit and the record loses nothing).

Two checks, both comparing the files with the version's manifest:

- ``quick_problems``: every listed file is present with its recorded size (one ``stat`` a file, nothing read). Run
  by the readers (the report, ``alertas``) on what they read and by a period run on what it reuses or links into a
  new version.
- ``deep_problems``: also every Parquet footer is readable and holds the recorded rows, and no data file is there
  that the manifest does not list (``python -m lds_utils verificar``).

A problem becomes one line naming the table, the partition, the file and the command that re-creates it
(``failure_line``): a month of a partitioned SILVER/GOLD table -> the period run of that month; a month of an alert
relation -> ``alertas --period``; BRONZE or a table without partitions -> the whole pipeline (which rebuilds BRONZE).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lds_utils.config import RunFailed, UsageError

CONTENT_NAME = "_contenido.json"
RECORD_NAME = "publicado.json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a published table: its partition ('anio_mes=2025-11', None for the whole table)."""

    table: str  # database.table
    partition: str | None
    detail: str

    @property
    def month(self) -> str | None:
        return self.partition.split("=", 1)[1] if self.partition else None

    def line(self, lake: Path) -> str:
        where = f"{self.table}, partition {self.partition}" if self.partition else self.table
        return f"{where}: {self.detail}: repair with `{repair_command(lake, self.table, self.month)}`"


def repair_command(lake: Path, table: str, month: str | None) -> str:
    """The command that re-creates a damaged table (or one month of it)."""
    from lds_utils.lake import graph

    database, _, name = table.partition(".")
    relation = graph.load_graph().get(name)
    quoted = shlex.quote(str(lake))
    if month and relation is not None and relation.on_request:
        return f"python -m lds_utils alertas --lake {quoted} --period {month}"
    if month and database != "bronze_db":
        return f"python -m lds_utils pipeline --lake {quoted} --period {month}"
    return f"python -m lds_utils pipeline --lake {quoted}"


def failure_line(problems: list[Problem], lake: Path) -> str:
    """One line for a list of problems: the oldest month's first (repairing it first lets the later repairs run)."""
    first = min(problems, key=lambda problem: (problem.month or "", problem.table))
    more = len(problems) - 1
    if not more:
        return first.line(lake)
    return (f"{first.line(lake)} ({more} more problem{'s' * (more > 1)}: run `python -m lds_utils verificar --lake "
            f"{shlex.quote(str(lake))}` for the full list)")


# -- the version manifest ------------------------------------------------------------------------------------
def parquet_rows(path: Path) -> int:
    """Rows of a Parquet file, from its footer (raises on a file that is not a readable Parquet file)."""
    import pyarrow.parquet as pq

    return pq.read_metadata(path).num_rows


def file_entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "filas": parquet_rows(path)}


def data_files(version: Path) -> list[Path]:
    """The Parquet files of a version folder (at its top or one partition folder down)."""
    return sorted([*version.glob("*.parquet"), *version.glob("*/*.parquet")])


def describe(table: str, partition_col: str | None, files: Mapping[str, dict]) -> dict:
    return {"tabla": table, "particion": partition_col, "filas": sum(entry["filas"] for entry in files.values()),
            "archivos": dict(sorted(files.items()))}


def write_content(version: Path, content: dict) -> None:
    _write_json_atomically(version / CONTENT_NAME, content)


def read_content(version: Path) -> dict | None:
    """The version's manifest; None when it has none or it cannot be read as one."""
    try:
        content = json.loads((version / CONTENT_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) and isinstance(content.get("archivos"), dict) else None


def partition_of(relative: str) -> str | None:
    folder, _, _ = relative.rpartition("/")
    return folder or None


# -- checks ------------------------------------------------------------------------------------------------
def quick_problems(table: str, version: Path, months: Callable[[str], bool] | None = None) -> list[Problem]:
    """Files of the version that are missing or whose size differs from its manifest (only the partitions whose
    month ``months`` accepts, when given; a table without partitions is always checked)."""
    if not version.is_dir():
        return [Problem(table, None, f"its version folder {version.name} is missing")]
    content = read_content(version)
    if content is None:
        return [Problem(table, None, f"{CONTENT_NAME} is missing or unreadable (version {version.name})")]
    problems = []
    for relative, entry in content["archivos"].items():
        partition = partition_of(relative)
        if partition and months is not None and not months(partition.split("=", 1)[1]):
            continue
        problem = _stat_problem(version, relative, entry)
        if problem:
            problems.append(Problem(table, partition, problem))
    return problems


def deep_problems(table: str, version: Path) -> list[Problem]:
    """quick_problems, and footers unreadable or holding other rows than recorded, and data files not recorded."""
    problems = quick_problems(table, version)
    content = read_content(version)
    if content is None:
        return problems
    damaged = {(p.partition, p.detail.split(" ", 1)[0]) for p in problems}
    for relative, entry in content["archivos"].items():
        partition, name = partition_of(relative), relative.rpartition("/")[2]
        if (partition, name) in damaged:
            continue
        try:
            rows = parquet_rows(version / relative)
        except Exception as error:  # pyarrow raises several kinds on a damaged footer
            problems.append(Problem(table, partition, f"{name} is not a readable Parquet file ({_first_line(error)}) "
                                                      f"(version {version.name})"))
            continue
        if rows != entry["filas"]:
            problems.append(Problem(table, partition, f"{name} holds {rows:,} rows, its manifest {entry['filas']:,} "
                                                      f"(version {version.name})"))
    recorded = set(content["archivos"])
    for path in data_files(version):
        relative = path.relative_to(version).as_posix()
        if relative not in recorded:
            problems.append(Problem(table, partition_of(relative), f"{path.name} is not in the version's manifest "
                                                                   f"(version {version.name})"))
    if sum(entry["filas"] for entry in content["archivos"].values()) != content.get("filas"):
        problems.append(Problem(table, None, f"the manifest's files do not add up to its {content.get('filas')} rows "
                                             f"(version {version.name})"))
    return problems


def _stat_problem(version: Path, relative: str, entry: dict) -> str | None:
    name = relative.rpartition("/")[2]
    try:
        size = (version / relative).stat().st_size
    except FileNotFoundError:
        return f"{name} is missing (version {version.name})"
    if size != entry["bytes"]:
        return f"{name} has {size:,} bytes, its manifest {entry['bytes']:,} (version {version.name})"
    return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


# -- the lake's record of what is published -----------------------------------------------------------------
def write_record(lake: Path, published: Mapping[str, str]) -> None:
    """publicado.json: database.table -> version folder name, for every published table."""
    record = {"tablas": dict(sorted(published.items()))}
    path = Path(lake) / RECORD_NAME
    if read_record(lake) != record["tablas"]:
        _write_json_atomically(path, record)


def read_record(lake: Path) -> dict[str, str] | None:
    try:
        record = json.loads((Path(lake) / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    tables = record.get("tablas") if isinstance(record, dict) else None
    return tables if isinstance(tables, dict) else None


def _write_json_atomically(target: Path, data: dict) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def published_folders(lake: Path, published: Mapping[str, str]) -> Iterable[tuple[str, Path]]:
    """(database.table, version folder) of every entry of a record."""
    for table, version in sorted(published.items()):
        database, _, name = table.partition(".")
        yield table, Path(lake) / database.removesuffix("_db") / name / version


# -- verificar: the deep check of a whole lake, and the catalog's repair -------------------------------------------
@dataclass
class Verification:
    """What ``verify_lake`` found: one line a problem (and what --reparar did), then the summary."""

    lines: list[str]
    intact: bool


def verify_lake(lake: Path, repair: bool = False) -> Verification:
    """Deep check of every published table of a local lake and of its catalog; with repair, a catalog that cannot be
    opened or lost entries is moved aside (``catalog.duckdb.danado-<time>``, never deleted) and rebuilt from
    publicado.json and the versions' manifests. Damaged data files are never repaired here: each line names the
    command that re-creates them."""
    from lds_utils.lake.engines import DamagedCatalog, DuckDBEngine

    lake = Path(lake)
    lines: list[str] = []
    record = read_record(lake)
    catalog_problem, published, missing_views = None, None, []
    try:
        with DuckDBEngine(lake, read_only=True) as engine:
            published = engine.published()
            missing_views = [f"{database}.{name}" for database, name, _ in _catalog_views(lake)
                             if not engine.table_exists(database, name)]
    except DamagedCatalog as error:
        catalog_problem = error.damage
    except UsageError as error:  # no catalog
        catalog_problem = str(error)
    except RunFailed as error:  # a catalog over absolute paths, without manifests: the next pipeline run migrates it
        return Verification([str(error), _summary(lake, len(record or {}), 1)], False)
    lost = sorted(set(record or {}) - set(published or {})) if published is not None else []
    if published is not None and (lost or missing_views):
        catalog_problem = (f"the catalog {lake / 'catalog.duckdb'} lost entries: "
                           f"{', '.join([*lost, *missing_views])}")
    target = {**(record or {}), **(published or {})}
    if catalog_problem and repair:
        lines += _repair_catalog(lake, target, catalog_problem)
        return _verify_after_repair(lake, lines)
    stale_record = catalog_problem is None and record != published
    if catalog_problem:
        lines.append(f"{catalog_problem}: repair with `python -m lds_utils verificar --lake {shlex.quote(str(lake))} "
                     "--reparar`")
    elif stale_record:
        if repair:
            write_record(lake, published)
            lines.append(f"{RECORD_NAME} differed from the catalog: rewritten from it")
        else:
            lines.append(f"{lake / RECORD_NAME} differs from the catalog: repair with `python -m lds_utils verificar "
                         f"--lake {shlex.quote(str(lake))} --reparar`")
    problems = [problem for name, folder in published_folders(lake, target) for problem in deep_problems(name, folder)]
    lines += [problem.line(lake) for problem in problems]
    remaining = len(problems) + bool(catalog_problem) + (stale_record and not repair)
    lines.append(_summary(lake, len(target), remaining))
    return Verification(lines, remaining == 0)


def _summary(lake: Path, tables: int, problems: int) -> str:
    if problems == 0:
        return f"verificar: {lake} intact ({tables} tables and the catalog checked)"
    return f"verificar: {lake}: {problems} problem{'s' * (problems > 1)} ({tables} tables and the catalog checked)"


def _repair_catalog(lake: Path, published: Mapping[str, str], reason: str) -> list[str]:
    """Move the catalog aside and build a new one from the published versions; the lines saying what was done."""
    import datetime as dt

    from lds_utils.lake.engines import DuckDBEngine
    from lds_utils.lake.pipeline import lake_lock

    if not published:
        return [f"{reason}: no {RECORD_NAME} to rebuild it from: run `python -m lds_utils pipeline --lake "
                f"{shlex.quote(str(lake))}`"]
    catalog = lake / "catalog.duckdb"
    with lake_lock(lake):
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = catalog.with_name(f"{catalog.name}.danado-{stamp}")
        if catalog.exists():
            catalog.rename(aside)
        wal = catalog.with_name(f"{catalog.name}.wal")
        if wal.exists():
            wal.rename(aside.with_name(f"{aside.name}.wal"))
        with DuckDBEngine(lake) as engine:
            engine.rebuild_catalog(published, _catalog_views(lake))
    moved = f"moved aside to {aside.name}, " if aside.exists() else ""
    return [f"{reason}: {moved}rebuilt from {RECORD_NAME} and the versions' manifests ({len(published)} tables)"]


def _catalog_views(lake: Path) -> list[tuple[str, str, str | None]]:
    """(database, view, SELECT) of the views a built catalog holds besides its tables: RAW's (their SELECT is the
    engine's: None) and the graph's views, in build order."""
    from lds_utils.config import DATABASES, RAW_TABLES
    from lds_utils.lake import graph

    raw = [(DATABASES["raw"], table, None) for table in RAW_TABLES if (Path(lake) / "raw" / table).is_dir()]
    return [*raw, *((relation.database, relation.name, graph.statement(relation.name))
                    for relation in graph.build_order() if relation.kind == "view")]


def _verify_after_repair(lake: Path, lines: list[str]) -> Verification:
    after = verify_lake(lake)
    return Verification([*lines, *after.lines], after.intact)
