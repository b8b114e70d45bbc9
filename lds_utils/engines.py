"""Query engines behind one small interface: embedded DuckDB (default) and AWS Athena (production).

The pipeline only speaks to ``Engine``: register a RAW folder, materialise a SELECT as a Parquet+Snappy table
(whole, or replacing some partitions), create a view, read a query into pandas. SQL text is always the Trino
text of the files under ``sql/``; each backend adapts it (DuckDB transpiles it with sqlglot).
"""

from __future__ import annotations

import os
import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from lds_utils import sql as sqlmod
from lds_utils.config import DATABASES, LakePaths, UsageError, parse_engine

_VERSION_PREFIX = "v"
_STAGING_PREFIX = ".tmp-"
_EMPTY_FILE = "_vacio.parquet"


class Engine(ABC):
    """What the pipeline needs from a query engine."""

    name: str

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
    ) -> int:
        """Materialise a SELECT as database.table (Parquet + Snappy); return rows written.

        With ``partitions`` given, only those partition values are replaced (the SELECT must return rows of
        those partitions only) and every other partition is kept. Readers see the old table or the new one.
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
    and only then does the catalog view switch to it: a crash mid-write leaves the previous version readable,
    and the leftovers are removed by the next write of the same table.
    """

    name = "duckdb"

    def __init__(self, lake: Path, read_only: bool = False):
        import duckdb

        self.paths = LakePaths(Path(lake))
        if read_only and not self.paths.catalog.exists():
            raise UsageError(f"no catalog at {self.paths.catalog}: run the pipeline first")
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.paths.catalog), read_only=read_only)
        if not read_only:
            for database in DATABASES.values():
                self.con.execute(f"create schema if not exists {database}")

    def close(self) -> None:
        self.con.close()

    # -- reading -------------------------------------------------------------------------------------------
    def read_sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        return self.con.execute(sqlmod.to_duckdb(sql), sqlmod.bind_params(sql, params)).df()

    def table_exists(self, database: str, table: str) -> bool:
        found = self.con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [_check_database(database), sqlmod.check_identifier(table)],
        ).fetchone()[0]
        return bool(found)

    # -- writing -------------------------------------------------------------------------------------------
    def register_raw(self, table: str, columns: Sequence[str]) -> None:
        folder = self.paths.raw_table(table)
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        if not files:
            raise UsageError(f"raw table {table!r} has no CSV files in {folder}")
        column_types = ", ".join(f"'{sqlmod.check_identifier(c)}': 'VARCHAR'" for c in columns)
        self.con.execute(
            f"create or replace view raw_db.{table} as select * from read_csv("
            f"'{_quote_path(folder)}/*.csv', header = true, auto_detect = false, delim = ',', quote = '\"', "
            f"escape = '\"', null_padding = true, columns = {{{column_types}}})"
        )

    def create_view(self, database: str, view: str, select_sql: str) -> None:
        target = f"{_check_database(database)}.{sqlmod.check_identifier(view)}"
        self.con.execute(f"create or replace view {target} as {sqlmod.to_duckdb(select_sql)}")

    def write_table(self, database, table, select_sql, params=None, partition_col=None, partitions=None) -> int:
        sqlmod.check_identifier(table)
        if partitions is not None and partition_col is None:
            raise ValueError("partitions given for a table without partition column")
        table_dir = self.paths.layer(_layer_of(database)) / table
        table_dir.mkdir(parents=True, exist_ok=True)
        current = self._current_version(table_dir)
        staging = table_dir / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            rows = self._copy(select_sql, params, staging, partition_col)
            if partitions is not None:
                self._check_partitions(staging, partition_col, partitions)
                if current is not None:
                    self._link_other_partitions(current, staging, partition_col, partitions)
            if not any(staging.glob("*.parquet")) and not any(staging.glob("*/*.parquet")):
                self._write_empty(select_sql, params, staging)
            version = table_dir / f"{_VERSION_PREFIX}{self._next_version_number(table_dir):06d}"
            staging.rename(version)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._point_view(database, table, version, partition_col)
        self._remove_old_versions(table_dir, keep=version)
        return rows

    def _copy(self, select_sql: str, params: dict | None, staging: Path, partition_col: str | None) -> int:
        options = "format parquet, compression snappy"
        if partition_col:
            target = _quote_path(staging)
            options += f", partition_by ({sqlmod.check_identifier(partition_col)})"
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

    @staticmethod
    def _link_other_partitions(current: Path, staging: Path, partition_col: str, partitions: Sequence[str]):
        """Hard-link the untouched partitions into the new version: no data is copied."""
        replaced = {f"{partition_col}={value}" for value in partitions}
        for partition_dir in current.glob(f"{partition_col}=*"):
            if partition_dir.name in replaced:
                continue
            target_dir = staging / partition_dir.name
            target_dir.mkdir()
            for data_file in partition_dir.glob("*.parquet"):
                os.link(data_file, target_dir / data_file.name)

    def _point_view(self, database: str, table: str, version: Path, partition_col: str | None) -> None:
        if partition_col and any(version.glob("*/*.parquet")):
            source = (
                f"read_parquet('{_quote_path(version)}/*/*.parquet', hive_partitioning = true, "
                f"hive_types = {{'{partition_col}': 'VARCHAR'}})"
            )
        elif (version / _EMPTY_FILE).exists():
            source = f"read_parquet('{_quote_path(version / _EMPTY_FILE)}')"
        else:
            source = f"read_parquet('{_quote_path(version / 'data.parquet')}')"
        self.con.execute(f"create or replace view {database}.{table} as select * from {source}")

    @staticmethod
    def _versions(table_dir: Path) -> list[Path]:
        return sorted(
            p for p in table_dir.iterdir() if p.is_dir() and p.name.startswith(_VERSION_PREFIX) and p.name[1:].isdigit()
        )

    def _current_version(self, table_dir: Path) -> Path | None:
        versions = self._versions(table_dir)
        return versions[-1] if versions else None

    def _next_version_number(self, table_dir: Path) -> int:
        versions = self._versions(table_dir)
        return int(versions[-1].name[1:]) + 1 if versions else 1

    def _remove_old_versions(self, table_dir: Path, keep: Path) -> None:
        for entry in table_dir.iterdir():
            if entry != keep and entry.is_dir() and entry.name.startswith((_VERSION_PREFIX, _STAGING_PREFIX)):
                shutil.rmtree(entry, ignore_errors=True)


def _quote_path(path: Path) -> str:
    """A filesystem path as the body of a single-quoted SQL string literal."""
    return str(path).replace("'", "''")


def open_engine(name: str, lake: Path, read_only: bool = False, **options) -> Engine:
    """The engine called ``name`` over the lake (a local folder; for Athena, options name the bucket)."""
    engine = parse_engine(name)
    if engine == "duckdb":
        return DuckDBEngine(Path(lake), read_only=read_only)
    from lds_utils.engine_athena import AthenaEngine

    return AthenaEngine.from_options(**options)
