"""Query engines behind one small interface: embedded DuckDB (default) and AWS Athena (production).

The pipeline only speaks to ``Engine``: register a RAW folder, materialise a SELECT as a Parquet+Snappy table
(whole, or replacing some partitions), create a view, read a query into pandas. SQL text is always the Trino
text of the files under ``sql/``; each backend adapts it (DuckDB transpiles it with sqlglot). What differs between
engines is a capability of the class (``computes_in_slices``, ``keeps_local_state``, ...) or a method
(``publish_together``, ``check_raw_header``, ``require_catalog``), never a test of the engine's name.
``lds_utils.lake.registry`` opens an engine by name; this module knows no other engine than DuckDB.

The DuckDB lake can be moved, copied or mounted elsewhere: nothing in it holds its own path. Its catalog views read
``getvariable('lds_lago') || '/<layer>/<table>/<version>/...'`` and every connection sets ``lds_lago`` to the lake's
root when it opens. A catalog written before (views over absolute paths) is migrated by the next writer (any
pipeline or alertas run: the views are re-pointed at the same versions, and versions without a manifest get one);
a reader of such a catalog stops in one line that asks for that run.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pandas as pd
import pyarrow as pa

from lds_utils.config import DATABASES, LAYERS, LakePaths, RunFailed, UsageError
from lds_utils.lake import integrity, rawcheck, schema
from lds_utils.lake import sql as sqlmod

_VERSION_PREFIX = "v"
_STAGING_PREFIX = ".tmp-"
_EMPTY_FILE = "_vacio.parquet"
#: The DuckDB variable holding the lake's root, set by every connection: views read files under it.
ROOT_VARIABLE = "lds_lago"
#: Errors of the filesystem a write may meet, each named in one line: (errno, DuckDB's words for it).
RESOURCE_ERRORS = {
    errno.ENOSPC: "No space left on device",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EACCES: "Permission denied",
    errno.EPERM: "Operation not permitted",
    errno.EROFS: "Read-only file system",
    errno.ENOENT: "No such file or directory",
}
MEMORY_LIMIT = "4GB"
PARTITION_FLUSH_ROWS = 20_000
_WRITTEN_LAYERS = tuple(layer for layer in LAYERS if layer != "raw")  # raw/ holds the immutable input
#: Text columns of BRONZE tables that hold a code from a small set. DuckDB's catalog views read them as an ENUM of
#: the values in the files, so the bills that copy them (60 M rows at full scale) carry one byte per code through
#: their joins and the Parquet writer takes the dictionary as it is instead of hashing every string. The files and
#: what read_sql returns stay text. The GOLD bills at 150 k customers, alternating: 17.8, 17.1, 17.0 s as text, 15.3,
#: 14.4, 14.3 s with ENUMs (32.7 to 34.3 CPU-s against 27.9 to 29.5).
CODED_COLUMNS = {
    "bronze_cliente": ("tipo_cliente",),
    "bronze_suministro": ("id_sector", "nivel_tension"),
    "bronze_sector": ("id_sector", "distrito", "zona"),
    "bronze_asignacion_tarifa": ("opcion_tarifaria",),
    "bronze_tarifa": ("opcion_tarifaria",),
}


class Engine(ABC):
    """What the pipeline needs from a query engine, and what differs between engines (capabilities)."""

    name: str
    #: Whether write_table can run a SELECT in several slices (parameter sets) into one version: an embedded
    #: engine computes a big table in parts that fit in memory; a distributed one runs it whole.
    computes_in_slices: bool = False
    #: Whether the lake folder holds the engine's catalog and the runs' state: the lake lock (one writer at a
    #: time), the run manifest, the fingerprint of the code that built the lake and the BRONZE state.
    keeps_local_state: bool = False
    #: Whether a dry run prints the engine's plan instead of running it.
    plans_dry_run: bool = False
    #: Whether the engine is configured by AWS settings (bucket, region, workgroup, configuration file).
    uses_aws_settings: bool = False

    @classmethod
    @abstractmethod
    def open(cls, lake: Path, read_only: bool = False, **options) -> Engine:
        """The engine over the lake (a local folder; options configure engines that need more)."""

    @classmethod
    def check_raw_header(cls, table: str, path: Path, columns: Sequence[str], lake: Path) -> None:
        """Refuse a RAW file whose header (its column names, in file order) this engine would misread."""

    @classmethod
    def require_catalog(cls, lake: Path) -> None:
        """Stop before opening an engine to write into a lake it has no catalog in (one the pipeline never built)."""

    def publish_together(self):
        """Writes and views inside the block reach readers together where the engine can; else one by one."""
        return nullcontext()

    def check_published(self, tables: Callable[[str], bool], months: Callable[[str], bool] | None = None) -> None:
        """Stop in one line (RunFailed) when a published file of the tables that ``tables`` accepts (given
        'database.table'; of their partitions, the months that ``months`` accepts) is missing or changed, where the
        engine's files are local and cheap to check (a stat a file); an engine over object storage trusts it."""

    @abstractmethod
    def register_raw(self, table: str, columns: Sequence[str]) -> None:
        """Expose raw/<table>/ (CSV, header row) as raw_db.<table>, every column as text."""

    @abstractmethod
    def write_table(
        self,
        database: str,
        table: str,
        select_sql: str,
        params: dict | None = None,
        partition_col: str | None = None,
        partitions: Sequence[str] | None = None,
        slices: Sequence[dict] | None = None,
    ) -> int:
        """Materialise a SELECT as database.table (Parquet + Snappy); return rows written.

        With ``partitions`` given, only those partition values are replaced (the SELECT must return rows of
        those partitions only) and every other partition is kept. Readers see the old table or the new one.
        With ``slices`` (engines that compute in slices, partitioned tables), the SELECT runs once per slice with
        ``params`` updated by it, each run adding its rows to the same new version: slices must not share rows.
        """

    @abstractmethod
    def create_view(self, database: str, view: str, select_sql: str) -> None:
        """CREATE OR REPLACE VIEW database.view AS select_sql."""

    @abstractmethod
    def read_sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """Run a SELECT and return its rows."""

    @abstractmethod
    def table_exists(self, database: str, table: str) -> bool:
        """Whether database.table (or view) is in the catalog."""

    def close(self) -> None:
        """Release connections."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


#: DuckDB column types that _frame_from_arrow turns into what ``.df()`` gives (ENUMs as text).
ARROW_READ_TYPES = re.compile(r"VARCHAR|BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|FLOAT|DOUBLE|DATE|TIMESTAMP"
                              r"|DECIMAL\(\d+,\s*\d+\)|ENUM\(.*\)", re.S)
_NULLABLE = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
             pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _frame_from_arrow(table: pa.Table) -> pd.DataFrame:
    """A query's Arrow result as DuckDB's ``.df()`` builds it: dates as datetime64[us], decimals as float64, ENUMs
    as text, integer and boolean columns with nulls in pandas' nullable types, a text column of nulls only (or of
    no row) as objects."""
    frame = pa.Table.from_arrays([_as_df_gives(column) for column in table.columns],
                                 names=table.column_names).to_pandas()
    for position, column in enumerate(table.columns):
        if column.null_count and column.type in _NULLABLE:
            frame.isetitem(position, column.to_pandas(types_mapper=_NULLABLE.get))
        elif pa.types.is_string(column.type) and column.null_count == len(column):
            frame.isetitem(position, pd.Series([None] * len(column), dtype=object))
    return frame


def _as_df_gives(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_date(column.type):
        return column.cast(pa.timestamp("us"))
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64())
    if pa.types.is_dictionary(column.type):
        return column.cast(pa.string())
    return column


def _check_database(database: str) -> str:
    if database not in DATABASES.values():
        raise UsageError(f"unknown database {database!r}")
    return database


def _layer_of(database: str) -> str:
    return _check_database(database).removesuffix("_db")


class DuckDBEngine(Engine):
    """Embedded engine over the local lake; catalog in lake/catalog.duckdb.

    Each materialised table lives in ``<lake>/<layer>/<table>/v<NNNNNN>/`` and its catalog entry is a view
    over that folder. A write goes to a hidden staging folder, is renamed to the next version once complete,
    and only then does the catalog view switch to it: a crash mid-write leaves the previous version readable.
    Inside ``publish_together()`` the switches of many writes become one catalog transaction: a run publishes
    all its tables at once or none of them (DuckDB's write-ahead log makes the commit atomic, and a transaction
    never committed is discarded when the catalog is next opened). Version folders the catalog does not point
    to (a killed run's staging and versions) are removed when the next ``publish_together()`` starts.

    Each version is written with its manifest (``_contenido.json``) and a partition write links the untouched
    partitions only once they match the current version's manifest; after each commit ``publicado.json`` records
    the published versions (lds_utils.lake.integrity). A full disk, a denied permission or a folder gone during
    ``publish_together()`` rolls back and stops in one line; readers open the catalog read-only with DuckDB's spill
    folder outside the lake, so a lake on a read-only share can be read.
    """

    name = "duckdb"
    computes_in_slices = True
    keeps_local_state = True

    @classmethod
    def open(cls, lake: Path, read_only: bool = False, **options) -> DuckDBEngine:
        given = sorted(name for name, value in options.items() if value)
        if given:
            raise UsageError(f"the {cls.name} engine takes no {', '.join(given)}")
        return cls(Path(lake), read_only=read_only)

    @classmethod
    def require_catalog(cls, lake: Path) -> None:
        if not LakePaths(Path(lake)).catalog.exists():
            raise UsageError(f"no catalog in {lake}: run `python -m lds_utils pipeline --lake {lake}` first")

    def __init__(self, lake: Path, read_only: bool = False):
        self.paths = LakePaths(Path(lake))
        if read_only and not self.paths.catalog.exists():
            raise UsageError(f"no catalog at {self.paths.catalog}: run the pipeline first")
        if not read_only:
            self.paths.root.mkdir(parents=True, exist_ok=True)
        self.con = _connect(self.paths.catalog, read_only, self.paths.root)
        self._written: list[Path] | None = None  # versions written inside publish_together()
        if read_only and self._legacy_views():
            self.con.close()
            raise RunFailed(f"the catalog {self.paths.catalog} was written by an earlier version and reads files by "
                            f"absolute path: run `python -m lds_utils pipeline --lake {_shell(self.paths.root)}` once "
                            "(its first step rewrites the catalog)")
        if not read_only:
            # The pipeline's writes never depend on row order; keeping it costs memory in every big COPY.
            self.con.execute("set preserve_insertion_order = false")
            # A partitioned COPY buffers each month's rows per thread until this many, then writes them out. The
            # default (524,288) held GOLD's 48 months of bills at once: at 150 k customers GOLD took 1.7 GB and
            # 14.1 s, with 20,000 rows 0.8 GB and 13.4 s, for row groups of about 45,000 rows and 1 % more bytes.
            self.con.execute(f"set partitioned_write_flush_threshold = {PARTITION_FLUSH_ROWS}")
            for database in DATABASES.values():
                self.con.execute(f"create schema if not exists {database}")

    def close(self) -> None:
        self.con.close()

    # -- reading -------------------------------------------------------------------------------------------
    def read_sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """The rows as DuckDB's ``.df()`` gives them, every ENUM as text. Built from the Arrow result when every
        column has a type _frame_from_arrow converts: ``.df()`` makes a Python string of each text value first,
        which at 1.3 M customers took the book's 5.5 M bills of four text columns from 5.3 s to 8.7 s."""
        self.con.complete()  # con.sql refuses to start while a result of con.execute is left partly read
        result = self.con.sql(sqlmod.to_duckdb(sql), params=sqlmod.bind_params(sql, params))
        if all(ARROW_READ_TYPES.fullmatch(str(kind)) for kind in result.types):
            return _frame_from_arrow(result.to_arrow_table())
        frame = result.df()
        coded = frame.select_dtypes("category").columns  # the ENUM of a coded column is text to every reader
        return frame.astype(dict.fromkeys(coded, "str")) if len(coded) else frame

    def table_exists(self, database: str, table: str) -> bool:
        found = self.con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [_check_database(database), sqlmod.check_identifier(table)],
        ).fetchone()[0]
        return bool(found)

    # -- writing -------------------------------------------------------------------------------------------
    def register_raw(self, table: str, columns: Sequence[str]) -> None:
        """raw_db.<table> over its CSV files, columns read by header name (files may order them differently), plus
        ``entrega``: the month of the file's delivery (rawcheck.delivery_of).

        The reader is strict: a record with too few or too many fields stops the query instead of being
        padded or cut (lds_utils.lake.rawcheck reports such files with their line before the pipeline starts).
        """
        columns = [sqlmod.check_identifier(column) for column in columns]
        folder = self.paths.raw_table(table)
        # One reader per header order, line ending and kind of folder: DuckDB sniffs the line ending of a file list
        # once, and reading LF files with a CRLF file's settings silently drops their rows.
        groups: dict[tuple[tuple[str, ...], bool, bool], list[Path]] = {}
        for path in rawcheck.table_files(folder, table):
            header = rawcheck.read_header(path, table, columns, self.paths.root)
            undated = rawcheck.delivery_of(path) == rawcheck.UNDATED
            groups.setdefault((header, rawcheck.ends_lines_with_crlf(path), undated), []).append(path)
        selects = [_read_csv_select(header, [self._lake_path(path) for path in files], columns, undated)
                   for (header, _, undated), files in groups.items()]
        if not selects:  # a table without files (a lake without smart-meter data): no rows
            selects = [f"select {', '.join(f'cast(null as varchar) as {c}' for c in columns)}, "
                       "cast(null as varchar) as entrega where false"]
        self.con.execute(f"create or replace view raw_db.{table} as {' union all '.join(selects)}")

    @contextmanager
    def publish_together(self) -> Iterator[None]:
        """Writes and views inside the block reach the catalog in one transaction, or not at all."""
        if self._written is not None:
            raise RuntimeError("publish_together() is already open on this engine")
        with self._resource_errors("nothing was published"):
            self._migrate_legacy_views()
            self._require_recorded_entries()
            self._record_published()  # a crash after the last commit may have left the record behind the catalog
            self._remove_unpublished()
        self.con.execute("begin transaction")
        self._written = []
        try:
            with self._resource_errors("nothing was published: the lake is as it was"):
                yield
                self._commit()
        except BaseException:
            self._rollback()
            raise
        finally:
            self._written = None
        with self._resource_errors("the run was published, its record not yet (the next run writes it)"):
            self._record_published()
            self._remove_unpublished()

    def _commit(self) -> None:
        self.con.execute("commit")

    @contextmanager
    def _resource_errors(self, outcome: str) -> Iterator[None]:
        """A full disk, a denied permission or a vanished folder during a write: one line, not a traceback."""
        import duckdb

        try:
            yield
        except (OSError, duckdb.Error) as error:
            reason = _resource_reason(error)
            if reason is None:
                raise
            raise RunFailed(f"could not write the lake {self.paths.root}: {reason}; {outcome}") from None

    def check_published(self, tables, months=None) -> None:
        problems = []
        for name, folder in integrity.published_folders(self.paths.root, self.published()):
            if tables(name):
                problems += integrity.quick_problems(name, folder, months)
        if problems:
            raise RunFailed(integrity.failure_line(problems, self.paths.root))

    def published(self) -> dict[str, str]:
        """database.table -> the version folder its catalog view reads, for every table of the catalog."""
        return {f"{DATABASES[layer]}.{table}": version
                for (layer, table), version in self._view_versions().items() if version is not None}

    def rebuild_catalog(self, published: dict[str, str], views: Sequence[tuple[str, str, str | None]]) -> None:
        """Fill an empty catalog from the published versions (database.table -> version folder name) and the views
        (database, name, SELECT; None: a RAW table's view), statement by statement: a rebuild that stops half-way
        leaves a catalog that verificar finds incomplete and rebuilds again. A version without its manifest or a
        view that cannot be created (it reads what is missing) is left out, and verificar then names it."""
        import duckdb

        for name, folder in integrity.published_folders(self.paths.root, published):
            content = integrity.read_content(folder)
            if content is not None:
                database, _, table = name.partition(".")
                self._point_view(database, table, folder, content["particion"])
        for database, view, select_sql in views:
            try:
                if select_sql is None:
                    self.register_raw(view, schema.column_names(view))
                else:
                    self.create_view(database, view, select_sql)
            except (duckdb.Error, UsageError):
                continue
        self._record_published()

    def _require_recorded_entries(self) -> None:
        """Refuse to write (and so to remove the folders the catalog does not read) when the catalog lost tables that
        the lake's record says are published: their folders are what rebuilds it."""
        present = {f"{DATABASES[layer]}.{table}" for layer, table in self._view_versions()}
        lost = sorted(set(integrity.read_record(self.paths.root) or {}) - present)
        if lost:
            raise RunFailed(f"the catalog {self.paths.catalog} lost entries that {integrity.RECORD_NAME} names "
                            f"({', '.join(lost)}): rebuild it with `python -m lds_utils verificar --lake "
                            f"{_shell(self.paths.root)} --reparar`")

    def _record_published(self) -> None:
        integrity.write_record(self.paths.root, self.published())

    def _legacy_views(self) -> list[tuple[str, str, str]]:
        """(database, view, sql) of the views that read files by a literal (absolute) path."""
        return [(database, view, sql) for database, view, sql in self._views()
                if re.search(r"read_(parquet|csv)\(", sql) and ROOT_VARIABLE not in sql]

    def _migrate_legacy_views(self) -> None:
        """Re-point the views a previous version wrote over absolute paths at the same versions under this root,
        giving a manifest to each version that has none; one committed transaction."""
        legacy = self._legacy_views()
        if not legacy:
            return
        self.con.execute("begin transaction")
        for database, table, sql in legacy:
            if database == DATABASES["raw"]:
                self.register_raw(table, schema.column_names(table))
                continue
            version = self._version_folder(database, table, sql)
            partition_col = _partition_column_of(version) if "hive_partitioning" in sql else None
            if integrity.read_content(version) is None:
                files = {path.relative_to(version).as_posix(): integrity.file_entry(path)
                         for path in integrity.data_files(version)}
                integrity.write_content(version, integrity.describe(f"{database}.{table}", partition_col, files))
            self._point_view(database, table, version, partition_col)
        self._commit()

    def _rollback(self) -> None:
        import duckdb

        try:
            self.con.execute("rollback")
        except duckdb.Error:  # the connection already aborted the transaction
            pass
        for version in self._written or []:
            shutil.rmtree(version, ignore_errors=True)

    def create_view(self, database: str, view: str, select_sql: str) -> None:
        target = f"{_check_database(database)}.{sqlmod.check_identifier(view)}"
        self.con.execute(f"create or replace view {target} as {sqlmod.to_duckdb(select_sql)}")

    def write_table(self, database, table, select_sql, params=None, partition_col=None, partitions=None,
                    slices=None) -> int:
        sqlmod.check_identifier(table)
        if partitions is not None and partition_col is None:
            raise ValueError("partitions given for a table without partition column")
        if slices is not None and partition_col is None:
            raise ValueError("slices given for a table without partition column")
        table_dir = self.paths.layer(_layer_of(database)) / table
        table_dir.mkdir(parents=True, exist_ok=True)
        current = self._published_version(database, table) if partitions is not None else None
        staging = table_dir / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
        staging.mkdir()
        name = f"{database}.{table}"
        try:
            rows = sum(
                self._copy(select_sql, {**(params or {}), **overrides}, staging, partition_col, part=number)
                for number, overrides in enumerate(slices or [{}])
            )
            linked = {}
            if partitions is not None:
                self._check_partitions(staging, partition_col, partitions)
                if current is not None:
                    linked = self._link_other_partitions(name, current, staging, partition_col, partitions)
            if not integrity.data_files(staging):
                self._write_empty(select_sql, params, staging)
            files = {relative: linked.get(relative) or integrity.file_entry(staging / relative)
                     for relative in (path.relative_to(staging).as_posix() for path in integrity.data_files(staging))}
            integrity.write_content(staging, integrity.describe(name, partition_col, files))
            version = table_dir / f"{_VERSION_PREFIX}{self._next_version_number(table_dir):06d}"
            staging.rename(version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._point_view(database, table, version, partition_col)
        if self._written is None:
            self._remove_old_versions(table_dir, keep=version)
            self._record_published()
        else:  # the committed catalog still points to the old version until publish_together() ends
            self._written.append(version)
        return rows

    def _copy(self, select_sql: str, params: dict | None, staging: Path, partition_col: str | None,
              part: int = 0) -> int:
        options = "format parquet, compression snappy"
        if partition_col:
            target = _quote_path(staging)
            # each slice adds its own files (data_<part>_<i>.parquet) to the partition folders
            options += (f", partition_by ({sqlmod.check_identifier(partition_col)}), overwrite_or_ignore true, "
                        f"filename_pattern 'data_{int(part)}_{{i}}'")
        else:
            target = _quote_path(staging / "data.parquet")
        statement = f"copy ({sqlmod.to_duckdb(select_sql)}) to '{target}' ({options})"
        return int(self.con.execute(statement, sqlmod.bind_params(select_sql, params)).fetchone()[0])

    def _write_empty(self, select_sql: str, params: dict | None, staging: Path) -> None:
        """A zero-row file keeps the table's columns readable when a write produced no rows."""
        statement = (
            f"copy (select * from ({sqlmod.to_duckdb(select_sql)}) limit 0) "
            f"to '{_quote_path(staging / _EMPTY_FILE)}' (format parquet, compression snappy)"
        )
        self.con.execute(statement, sqlmod.bind_params(select_sql, params))

    @staticmethod
    def _check_partitions(staging: Path, partition_col: str, partitions: Sequence[str]) -> None:
        written = {p.name.split("=", 1)[1] for p in staging.glob(f"{partition_col}=*")}
        unexpected = written - set(partitions)
        if unexpected:
            raise RuntimeError(f"SELECT returned rows outside the partitions being replaced: {sorted(unexpected)}")

    def _link_other_partitions(self, table: str, current: Path, staging: Path, partition_col: str,
                               partitions: Sequence[str]) -> dict[str, dict]:
        """Hard-link the untouched partitions into the new version (no data is copied) once every file is as the
        current version's manifest records it; return their manifest entries."""
        replaced = set(partitions)

        def kept(month: str) -> bool:
            return month not in replaced

        problems = integrity.quick_problems(table, current, kept)
        if problems:
            raise RunFailed(integrity.failure_line(problems, self.paths.root))
        content = integrity.read_content(current)
        linked = {}
        for relative, entry in content["archivos"].items():
            partition = integrity.partition_of(relative)
            if partition is None or not kept(partition.split("=", 1)[1]):
                continue
            (staging / partition).mkdir(exist_ok=True)
            os.link(current / relative, staging / relative)
            linked[relative] = entry
        return linked

    def _point_view(self, database: str, table: str, version: Path, partition_col: str | None) -> None:
        if partition_col and any(version.glob("*/*.parquet")):
            source = (
                f"read_parquet({self._lake_path(version / '*' / '*.parquet')}, hive_partitioning = true, "
                f"hive_types = {{'{partition_col}': 'VARCHAR'}})"
            )
        elif (version / _EMPTY_FILE).exists():
            source = f"read_parquet({self._lake_path(version / _EMPTY_FILE)})"
        else:
            source = f"read_parquet({self._lake_path(version / 'data.parquet')})"
        coded = self._coded_columns(database, table, source)
        for column in coded:  # ordered like the text: sorting and comparing the ENUM give what the text gives
            self.con.execute(
                f"create or replace type {_enum_type(database, table, column)} as enum "
                f"(select distinct {column} from {source} where {column} is not null order by {column})"
            )
        typed = ", ".join(f"cast({column} as {_enum_type(database, table, column)}) as {column}" for column in coded)
        columns = f"* replace ({typed})" if coded else "*"
        self.con.execute(f"create or replace view {database}.{table} as select {columns} from {source}")

    def _coded_columns(self, database: str, table: str, source: str) -> list[str]:
        """The CODED_COLUMNS of a BRONZE table that its files hold, as text."""
        if database != DATABASES["bronze"] or table not in CODED_COLUMNS:
            return []
        text_columns = {name for name, kind, *_ in self.con.execute(f"describe select * from {source}").fetchall()
                        if kind == "VARCHAR"}
        return [column for column in CODED_COLUMNS[table] if column in text_columns]

    def _next_version_number(self, table_dir: Path) -> int:
        versions = version_folders(table_dir)
        return int(versions[-1].name[1:]) + 1 if versions else 1

    def _lake_path(self, path: Path) -> str:
        """SQL for a path of the lake: the lake's root (a variable of the connection) and the path under it."""
        relative = _quote_path(path.relative_to(self.paths.root).as_posix())
        return f"(getvariable('{ROOT_VARIABLE}') || '/{relative}')"

    def _views(self) -> list[tuple[str, str, str]]:
        """(database, view, sql) of every view of the lake's databases."""
        return self.con.execute(
            "select schema_name, view_name, sql from duckdb_views() where not internal and schema_name in "
            f"({', '.join('?' for _ in DATABASES)})",
            list(DATABASES.values()),
        ).fetchall()

    def _view_versions(self) -> dict[tuple[str, str], str | None]:
        """(layer, table) -> the version folder name its catalog view reads (None if it reads no version)."""
        return {(_layer_of(database), table): _version_in(table, sql) for database, table, sql in self._views()}

    def _version_folder(self, database: str, table: str, sql: str) -> Path:
        version = _version_in(table, sql)
        return self.paths.layer(_layer_of(database)) / table / version

    def _published_version(self, database: str, table: str) -> Path | None:
        """The version the catalog reads for database.table; None for a table not in the catalog yet.

        A partition write links the other partitions from this version, never from a newer folder that a
        killed run may have left behind.
        """
        layer = _layer_of(database)
        views = self._view_versions()
        if (layer, table) not in views:
            return None
        version = views[(layer, table)]
        folder = self.paths.layer(layer) / table / version if version else None
        if folder is None or not folder.is_dir():
            raise RuntimeError(f"the catalog entry of {database}.{table} reads no version folder of {self.paths.root}; "
                               "run the whole pipeline (without --period) to rebuild it")
        return folder

    def _remove_unpublished(self) -> None:
        """Remove staging and version folders the catalog does not read (what killed runs leave behind, and the
        folder of a table that became a view), and a table folder left empty."""
        views = self._view_versions()
        for layer in _WRITTEN_LAYERS:
            layer_dir = self.paths.layer(layer)
            for table_dir in sorted(p for p in layer_dir.iterdir() if p.is_dir()) if layer_dir.is_dir() else []:
                version = views.get((layer, table_dir.name))
                self._remove_old_versions(table_dir, keep=table_dir / version if version else None)
                if not any(table_dir.iterdir()):
                    table_dir.rmdir()

    def _remove_old_versions(self, table_dir: Path, keep: Path | None) -> None:
        for entry in table_dir.iterdir():
            if entry != keep and entry.is_dir() and entry.name.startswith((_VERSION_PREFIX, _STAGING_PREFIX)):
                shutil.rmtree(entry, ignore_errors=True)


def version_folders(table_dir: Path) -> list[Path]:
    """The complete versions of a DuckDB table folder (v000001, v000002, ...), oldest first; staging is not one."""
    if not table_dir.is_dir():
        return []
    return sorted(
        p for p in table_dir.iterdir() if p.is_dir() and p.name.startswith(_VERSION_PREFIX) and p.name[1:].isdigit()
    )


def _quote_path(path: Path | str) -> str:
    """A filesystem path as the body of a single-quoted SQL string literal."""
    return str(path).replace("'", "''")


def _shell(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def _version_in(table: str, sql: str) -> str | None:
    """The version folder name a view's SQL reads for the table (None when it reads none)."""
    match = re.search(rf"/{re.escape(table)}/({_VERSION_PREFIX}\d{{6}})/", sql)
    return match.group(1) if match else None


def _resource_reason(error: BaseException) -> str | None:
    """What the filesystem refused (with the path when the error names one), for the RESOURCE_ERRORS only."""
    if isinstance(error, OSError):
        if error.errno not in RESOURCE_ERRORS:
            return None
        return f"{os.strerror(error.errno)}{f' ({error.filename})' if error.filename else ''}"
    text = str(error)
    for words in RESOURCE_ERRORS.values():
        if words.lower() in text.lower():
            return f"{words} ({text.strip().splitlines()[0]})"
    return None


def _read_csv_select(header: tuple[str, ...], files: list[str], columns: list[str], undated: bool) -> str:
    """SELECT columns (in the given order) and entrega from CSV files that share a header order; every value as
    text. entrega comes from the files' delivery folders (hive partitioning), or is UNDATED for undated files.

    files: SQL expressions of their paths. Every parsing option is fixed here; auto_detect stays on only so the
    planner knows how many rows the files hold (without it DuckDB assumes about a hundred and builds its hash joins
    on the CSV side, which at full scale holds every reading in memory).
    """
    file_list = ", ".join(files)
    types = ", ".join(f"'{sqlmod.check_identifier(name)}': 'VARCHAR'" for name in header)
    delivery = (f"'{rawcheck.UNDATED}' as entrega" if undated else "entrega")
    partitioning = "" if undated else "hive_partitioning = true, hive_types = {'entrega': 'VARCHAR'}, "
    return (
        f"select {', '.join(columns)}, {delivery} from read_csv([{file_list}], header = true, auto_detect = true, "
        f"skip = 0, delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"{partitioning}columns = {{{types}}})"
    )


def _partition_column_of(version: Path) -> str:
    """The hive partition column a partitioned version's folders are named by ('anio_mes=2025-11' -> anio_mes)."""
    folder = next(path for path in version.iterdir() if path.is_dir() and "=" in path.name)
    return folder.name.split("=", 1)[0]


def _enum_type(database: str, table: str, column: str) -> str:
    """Name of the ENUM type of a coded column: one per table and column, holding the values of its files."""
    return f"{database}.{table}__{column}"


def _connect(catalog: Path, read_only: bool, root: Path):
    """Open the DuckDB catalog with the lake's root set; another process holding it, or a catalog that cannot be
    read, is a clear error, not a driver traceback."""
    import duckdb

    try:
        connection = duckdb.connect(str(catalog), read_only=read_only)
    except duckdb.Error as error:
        text = str(error)
        if "lock" in text.lower():
            holder = re.search(r"\(PID (\d+)\)", text)
            raise UsageError(
                f"the catalog {catalog} is open in another process{f' (PID {holder.group(1)})' if holder else ''}: "
                "wait for the pipeline run to end, or close the notebook kernels that read this lake"
            ) from None
        reason = _resource_reason(error)
        if reason is not None:
            raise RunFailed(f"cannot open the catalog {catalog}: {reason}") from None
        raise DamagedCatalog(catalog, text) from None
    connection.execute(f"set variable {ROOT_VARIABLE} = '{_quote_path(root)}'")
    if read_only:  # a reader writes nothing in the lake, which may be on a read-only share
        scratch = Path(tempfile.gettempdir()) / f"lds-duckdb-{uuid.uuid4().hex}"
        connection.execute(f"set temp_directory = '{_quote_path(scratch)}'")
    # DuckDB's default (80 % of RAM) lets one query of the full universe take the machine; past this cap the big
    # sorts, joins and aggregates spill to <lake>/catalog.duckdb.tmp instead.
    connection.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    try:  # progress is the pipeline's to report, on stderr
        connection.execute("set enable_progress_bar = false")
    except duckdb.InvalidInputException:  # inside a Jupyter kernel DuckDB refuses to touch it without ipywidgets
        pass
    return connection


class DamagedCatalog(RunFailed):
    """The catalog file cannot be opened as a DuckDB database (truncated, overwritten)."""

    def __init__(self, catalog: Path, reason: str):
        self.catalog = Path(catalog)
        self.damage = f"the catalog {catalog} is damaged ({(reason.strip().splitlines() or ['unreadable'])[0]})"
        super().__init__(f"{self.damage}: rebuild it from the version folders with "
                         f"`python -m lds_utils verificar --lake {_shell(self.catalog.parent)} --reparar`")
