"""AWS backend of the engine interface: S3 holds the lake, Glue the catalog, Athena (Trino) runs the SQL.

Everything goes through awswrangler (and boto3 for the Glue calls it does not wrap). Bucket layout, which mirrors
the local lake::

    raw/<tabla>/entrega=<YYYY-MM>/*.csv  each RAW file as it is, under its delivery (entrega=0000-00/ for a
                                         file directly in the local table folder); Glue CSV table raw_db.<tabla>
                                         (all string, header skipped) partitioned by entrega
    <layer>/<table>/run-<id>/...         each write of a table lands in a fresh prefix (Parquet + Snappy, Athena CTAS)
    athena_results/                      query results of the workgroup

How a write is published, so that readers never see a half-written table:

1. ``CREATE TABLE <table>__stg_<id> WITH (format='PARQUET', write_compression='SNAPPY', external_location=
   's3://.../run-<id>/' [, partitioned_by=ARRAY['anio_mes']]) AS <the SQL file's SELECT>``. Nothing readers use
   points at the new prefix yet; a failed CTAS only leaves an unused prefix behind.
2. The staging table's rows are counted and its partitions checked against the ones being replaced.
3. The real table's catalog entry is switched to the new files: one Glue ``UpdateTable`` (new location) for a
   whole table; for a per-period run, Batch{Create,Update,Delete}Partition on the replaced partitions only, so
   the other months keep their files. Each switch is a single catalog write: a query sees the old or the new
   version of a table or partition, never a mix of files.
4. The staging catalog entry is dropped and every object under ``<layer>/<table>/`` that no live location points
   at (the previous version, leftovers of a crashed run) is deleted.

Limits, stated plainly: a query that was already reading the previous version when step 4 deletes it fails and
must be retried (it never returns wrong rows); a full rewrite of a partitioned table switches partition by
partition; one writer per table at a time (the pipeline is the only writer); a CTAS writes at most 100 partitions.

In dry-run mode nothing is sent to AWS and no credentials are needed: every S3 action, Glue change and SQL
statement is printed, in order, as it would be performed (``lds_utils.aws.plan``). Setting up the account is
``lds_utils.aws.setup``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
import warnings
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
from sqlglot import exp

from lds_utils.aws.plan import Plan, Step, aws_session, describe
from lds_utils.aws.settings import AwsSettings, load_settings
from lds_utils.config import DATABASES, LakePaths, UsageError, resolve_lake
from lds_utils.lake import rawcheck, schema
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.engines import Engine
from lds_utils.lake.rawcheck import RawInputError

STAGING_MARK = "__stg_"
RUN_PREFIX = "run-"
CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
CSV_SERDE_PARAMETERS = {"separatorChar": ",", "quoteChar": '"', "escapeChar": "\\"}
CHECKSUM_METADATA = "sha256"
#: The partition key of every raw_db table: the month of a file's delivery (rawcheck.delivery_of).
DELIVERY_COLUMN = "entrega"
_GLUE_BATCH = {"create": 100, "update": 100, "delete": 25}
# Keys of a Glue GetTable answer that CreateTable/UpdateTable accept back as TableInput.
_TABLE_INPUT_KEYS = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType",
                     "Parameters")



class AthenaEngine(Engine):
    """Engine over S3 + Glue + Athena. ``lake`` is the local lake whose raw/ folder is uploaded."""

    name = "athena"
    plans_dry_run = True
    uses_aws_settings = True

    def __init__(
        self,
        settings: AwsSettings,
        lake: Path | None = None,
        dry_run: bool = False,
        read_only: bool = False,
        out: TextIO | None = None,
        plan: Plan | None = None,
    ):
        self.settings = settings
        self.paths = LakePaths(Path(lake) if lake is not None else resolve_lake())
        self.read_only = read_only
        self.plan = plan if plan is not None else Plan(dry_run, out)
        self.poll_seconds = 1.0
        self._session = None
        self._clients: dict = {}
        if self.plan.dry_run:
            self.plan.note(f"-- Athena dry run: {describe(settings)}")
        else:
            self._session = aws_session(settings)

    @classmethod
    def open(cls, lake=None, read_only=False, dry_run=False, out=None, plan=None, **settings_options):
        """Build from CLI-style options (bucket, region, workgroup, scan_limit_gb, databases, config_file).
        ``plan`` lets a caller collect the steps of a run (see ``aws_cost``)."""
        settings = load_settings(**settings_options)
        return cls(settings, lake=lake, dry_run=dry_run, read_only=read_only, out=out, plan=plan)

    @classmethod
    def check_raw_header(cls, table: str, path: Path, columns: Sequence[str], lake: Path) -> None:
        """Glue's CSV tables map columns by position: a file whose header does not list the contract's columns in
        the contract's order is refused rather than misread."""
        expected = schema.column_names(table)
        if list(columns) != expected:
            raise RawInputError(
                f"raw table {table!r}, file {path.relative_to(lake)}, line 1: the columns are not in the contract's "
                f"order ({', '.join(expected)}); the {cls.name} engine reads CSV columns by position: write them in "
                "that order"
            )

    @property
    def dry_run(self) -> bool:
        return self.plan.dry_run

    # -- reading -------------------------------------------------------------------------------------------
    def read_sql(self, sql: str, params: dict | None = None) -> pd.DataFrame:
        """Run a SELECT through wr.athena.read_sql_query; values are bound by awswrangler (named paramstyle)."""
        bound = sqlmod.bind_params(sql, params)
        database = self.settings.database("gold_db")
        if not self.plan.add(Step("athena", "query", database, sql=sql, params=bound or None)):
            return pd.DataFrame()
        import awswrangler as wr

        with warnings.catch_warnings():
            # awswrangler 3.17 passes pandas 3 a deprecated keyword; harmless, but it would print in notebooks
            warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
            return wr.athena.read_sql_query(
                self._retarget(sql),
                database=database,
                ctas_approach=False,
                workgroup=self.settings.workgroup,
                s3_output=self.settings.results_prefix,
                params=athena_params(bound) or None,
                paramstyle="named",
                athena_query_wait_polling_delay=self.poll_seconds,
                boto3_session=self._session,
            )

    def table_exists(self, database: str, table: str) -> bool:
        """In dry-run mode every table exists: the plan is that of a run on a database the pipeline has built."""
        if self.dry_run:
            return True
        import awswrangler as wr

        return wr.catalog.does_table_exist(
            self.settings.database(database), sqlmod.check_identifier(table), boto3_session=self._session
        )

    # -- writing -------------------------------------------------------------------------------------------
    def register_raw(self, table: str, columns: Sequence[str]) -> None:
        """Upload every file of the local RAW table (rawcheck.table_files) to
        s3://bucket/raw/<table>/entrega=<delivery>/<file name>, define raw_db.<table> as a CSV table partitioned by
        ``entrega`` (string), as on DuckDB, and give it one Glue partition per delivery present locally; then delete
        every object under raw/<table>/ that was not just uploaded (a delivery removed locally, an older layout).

        The partitions are explicit Glue partitions (BatchCreate/Update/DeletePartition), not partition projection:
        the engine already keeps its partitioned tables so (same calls, same IAM actions), every Glue reader sees
        them (projection is Athena's only), and an enum projection would need the table rewritten at each delivery
        anyway. A delivery is queryable as soon as this returns, and a delivery gone from the lake no longer is: its
        partition is dropped before its objects are deleted, so the catalog never points at missing files.
        """
        self._check_writable()
        sqlmod.check_identifier(table)
        prefix = self.settings.prefix("raw", table)
        files = self._raw_files(table, columns)
        keys = {local: self.settings.uri("raw", table, delivery_folder(local), local.name) for local in files}
        for local, key in keys.items():
            self._upload(local, key)
        database = self.settings.database("raw_db")
        deliveries = sorted({rawcheck.delivery_of(local) for local in files})
        detail = (f"CSV, OpenCSVSerde, header skipped, {len(columns)} string columns at {prefix}, "
                  f"partitioned by {DELIVERY_COLUMN} (string)")
        definition = csv_table_input(table, prefix, columns)
        kept = False
        if self.plan.add(Step("glue", "create_csv_table", f"{database}.{table}", detail)):
            kept = self._put_table(database, definition)
        self._sync_deliveries(database, definition, deliveries, kept)
        self._delete_stale_raw(prefix, keep=set(keys.values()))

    def _sync_deliveries(self, database: str, definition: dict, deliveries: list[str], kept: bool) -> None:
        """One partition per delivery, at raw/<table>/entrega=<delivery>/; partitions of other deliveries dropped.
        kept: the table existed with the same partition key (its partitions are still there)."""
        table, descriptor = definition["Name"], definition["StorageDescriptor"]
        prefix = descriptor["Location"]
        shown = ", ".join(deliveries) or "none"
        detail = f"{DELIVERY_COLUMN} in [{shown}] at {prefix}{DELIVERY_COLUMN}=*/; drop the partitions of any other"
        if not self.plan.add(Step("glue", "replace_partitions", f"{database}.{table}", detail)):
            return
        inputs = {delivery: {"Values": [delivery], "Parameters": {},
                             "StorageDescriptor": {**descriptor, "Location": f"{prefix}{DELIVERY_COLUMN}={delivery}/"}}
                  for delivery in deliveries}
        current = set(self._partitions(database, table)) if kept else set()
        self._glue_batches("update", database, table, [inputs[d] for d in deliveries if d in current])
        self._glue_batches("create", database, table, [inputs[d] for d in deliveries if d not in current])
        self._glue_batches("delete", database, table, [{"Values": [d]} for d in sorted(current - set(deliveries))])

    def create_view(self, database: str, view: str, select_sql: str) -> None:
        self._check_writable()
        physical = self.settings.database(database)
        sqlmod.bind_params(select_sql, None)  # a view cannot hold bound values
        target = f"{physical}.{sqlmod.check_identifier(view)}"
        statement = f"create or replace view {target} as\n{self._retarget(select_sql)}"
        self._drop_table_replaced_by_view(database, view)
        self._execute(statement, physical, {})

    def _drop_table_replaced_by_view(self, database: str, view: str) -> None:
        """Athena replaces a view, never a table: a relation that was a CTAS table (gold_facturacion_teorica_mes
        before its bills and fences were split) loses its catalog entry and its files first."""
        if self.dry_run:
            return
        physical = self.settings.database(database)
        found = self._get_table(physical, view)
        if found is None or found.get("TableType") == "VIRTUAL_VIEW":
            return
        self._glue_delete_table(physical, view, "a table that is now a view")
        self._delete_prefix(self.settings.prefix(database.removesuffix("_db"), view), "files of the table now a view")

    def write_table(self, database, table, select_sql, params=None, partition_col=None, partitions=None,
                    slices=None):
        """CTAS into a fresh prefix, then switch the catalog (see the module docstring). Returns rows written,
        or None in dry-run mode (nothing is run, so the count is unknown). Athena runs every SELECT whole."""
        if slices is not None:
            raise ValueError("the Athena engine runs each SELECT whole: no slices")
        self._check_writable()
        sqlmod.check_identifier(table)
        if partitions is not None and partition_col is None:
            raise ValueError("partitions given for a table without partition column")
        physical = self.settings.database(database)
        layer = database.removesuffix("_db")
        run_id = new_run_id()
        staging = f"{table}{STAGING_MARK}{run_id}"
        base = self.settings.prefix(layer, table)
        location = f"{base}{RUN_PREFIX}{run_id}/"
        bound = sqlmod.bind_params(select_sql, params)
        self._drop_stale_staging(physical, table)
        statement = ctas_statement(physical, staging, location, self._retarget(select_sql), partition_col)
        try:
            self._execute(statement, physical, bound)
            rows = self._count_rows(physical, staging)
            if partition_col:
                self._publish_partitions(physical, table, staging, partition_col, partitions, base)
            else:
                self._publish_table(physical, table, staging)
        except BaseException:
            self._discard(physical, staging, location)
            raise
        self._glue_delete_table(physical, staging, "staging entry, its files now belong to the table")
        self._collect_garbage(physical, table, base, partition_col)
        return rows

    # -- Athena ---------------------------------------------------------------------------------------------
    def _execute(self, statement: str, database: str, params: dict) -> None:
        if not self.plan.add(Step("athena", "execute", database, sql=statement, params=params or None)):
            return
        import awswrangler as wr

        wr.athena.start_query_execution(
            sql=statement,
            database=database,
            workgroup=self.settings.workgroup,
            s3_output=self.settings.results_prefix,
            params=athena_params(params) or None,
            paramstyle="named",
            wait=True,
            athena_query_wait_polling_delay=self.poll_seconds,
            boto3_session=self._session,
        )

    def _count_rows(self, database: str, table: str) -> int | None:
        counted = self.read_sql(f"select count(*) as filas from {database}.{table}")
        return None if self.dry_run else int(counted.iloc[0, 0])

    def _retarget(self, sql: str) -> str:
        """The SQL text as written, or, when the Glue databases are renamed by configuration, the same statement
        with its database qualifiers replaced (sqlglot), so one set of SQL files serves every deployment."""
        if not self.settings.renames_databases:
            return sql
        tree = sqlmod.parse_trino(sql)
        for table in tree.find_all(exp.Table):
            if table.db in DATABASES.values():
                table.set("db", exp.to_identifier(self.settings.database(table.db)))
        return tree.sql(dialect="trino", pretty=True)

    # -- Glue -----------------------------------------------------------------------------------------------
    def _client(self, service: str):
        """One boto3 client per service for the engine's lifetime (creating one costs tens of ms)."""
        if service not in self._clients:
            self._clients[service] = self._session.client(service)
        return self._clients[service]

    def _glue(self):
        return self._client("glue")

    def _publish_table(self, database: str, table: str, staging: str) -> None:
        if not self.plan.add(Step("glue", "update_table", f"{database}.{table}", f"location of {staging}")):
            return
        self._put_table(database, self._table_input(database, staging, table))

    def _publish_partitions(self, database, table, staging, partition_col, partitions, base: str) -> None:
        scope = "every partition" if partitions is None else f"{partition_col} in {list(partitions)}"
        detail = f"{scope}: point at the partitions of {staging}; drop those the SELECT left empty"
        if not self.plan.add(Step("glue", "replace_partitions", f"{database}.{table}", detail)):
            return
        new = self._partitions(database, staging)
        if partitions is not None:
            outside = set(new) - set(partitions)
            if outside:
                raise RuntimeError(f"SELECT returned rows outside the partitions being replaced: {sorted(outside)}")
        definition = self._table_input(database, staging, table)
        definition["StorageDescriptor"]["Location"] = base
        current = self._partitions(database, table) if self._put_table(database, definition) else {}
        replaced = set(current) if partitions is None else set(partitions)
        inputs = {value: {"Values": [value], "StorageDescriptor": part["StorageDescriptor"],
                          "Parameters": part.get("Parameters", {})} for value, part in new.items()}
        self._glue_batches("update", database, table, [inputs[v] for v in sorted(inputs) if v in current])
        self._glue_batches("create", database, table, [inputs[v] for v in sorted(inputs) if v not in current])
        emptied = (replaced & set(current)) - set(new)
        self._glue_batches("delete", database, table, [{"Values": [value]} for value in sorted(emptied)])

    def _put_table(self, database: str, definition: dict) -> bool:
        """Create or update a table from a Glue TableInput; True when it existed and keeps its partitions."""
        glue = self._glue()
        current = self._get_table(database, definition["Name"])
        if current is not None and current.get("PartitionKeys", []) == definition.get("PartitionKeys", []):
            glue.update_table(DatabaseName=database, TableInput=definition, SkipArchive=True)
            return True
        if current is not None:  # Glue cannot change partition keys in place (the table's design changed)
            glue.delete_table(DatabaseName=database, Name=definition["Name"])
        glue.create_table(DatabaseName=database, TableInput=definition)
        return False

    def _glue_batches(self, kind: str, database: str, table: str, entries: list[dict]) -> None:
        glue = self._glue()
        size = _GLUE_BATCH[kind]
        for start in range(0, len(entries), size):
            chunk = entries[start:start + size]
            if kind == "create":
                answer = glue.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=chunk)
            elif kind == "update":
                answer = glue.batch_update_partition(
                    DatabaseName=database,
                    TableName=table,
                    Entries=[{"PartitionValueList": entry["Values"], "PartitionInput": entry} for entry in chunk],
                )
            else:
                answer = glue.batch_delete_partition(DatabaseName=database, TableName=table, PartitionsToDelete=chunk)
            if answer.get("Errors"):
                raise RuntimeError(f"Glue {kind} of partitions of {database}.{table} failed: {answer['Errors']}")

    def _get_table(self, database: str, table: str) -> dict | None:
        glue = self._glue()
        try:
            return glue.get_table(DatabaseName=database, Name=table)["Table"]
        except glue.exceptions.EntityNotFoundException:
            return None

    def _table_input(self, database: str, source: str, name: str) -> dict:
        found = self._get_table(database, source)
        if found is None:
            raise RuntimeError(f"Athena did not register {database}.{source}")
        definition = {key: found[key] for key in _TABLE_INPUT_KEYS if key in found}
        definition["Name"] = name
        return definition

    def _partitions(self, database: str, table: str) -> dict[str, dict]:
        """Partition value -> Glue partition (single-column partitioning)."""
        pages = self._glue().get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
        return {part["Values"][0]: part for page in pages for part in page["Partitions"]}

    def _drop_stale_staging(self, database: str, table: str) -> None:
        """Staging entries left by a crashed run (their files are removed by the garbage collection)."""
        if self.dry_run:
            self.plan.add(Step("glue", "delete_table", f"{database}.{table}{STAGING_MARK}*", "leftovers, if any"))
            return
        pages = self._glue().get_paginator("get_tables").paginate(DatabaseName=database)
        stale = [t["Name"] for page in pages for t in page["TableList"] if t["Name"].startswith(table + STAGING_MARK)]
        for name in stale:
            self._glue_delete_table(database, name, "leftover of an interrupted run")

    def _glue_delete_table(self, database: str, table: str, why: str) -> None:
        if self.plan.add(Step("glue", "delete_table", f"{database}.{table}", why)):
            glue = self._glue()
            try:
                glue.delete_table(DatabaseName=database, Name=table)
            except glue.exceptions.EntityNotFoundException:
                pass

    def _discard(self, database: str, staging: str, location: str) -> None:
        """After a failure: forget the staging table and its files; the published table is untouched."""
        self._glue_delete_table(database, staging, "failed write")
        self._delete_prefix(location, "files of the failed write")

    # -- S3 -------------------------------------------------------------------------------------------------
    def _raw_files(self, table: str, columns: Sequence[str]) -> list[Path]:
        """The table's local CSV files, deliveries included (rawcheck.table_files), each header checked
        (check_raw_header). A dry run plans with whatever is there, nothing if the table folder is missing."""
        folder = self.paths.raw_table(table)
        if self.dry_run and not folder.is_dir():
            return []
        files = rawcheck.table_files(folder, table)
        for path in files:
            header = rawcheck.read_header(path, table, list(columns), self.paths.root)
            self.check_raw_header(table, path, header, self.paths.root)
        return files

    def _upload(self, local: Path, uri: str) -> None:
        shown = local.relative_to(self.paths.root)
        if not self.plan.add(Step("s3", "put", uri, f"from {shown}, skipped if the stored sha256 matches")):
            return
        import awswrangler as wr

        digest = _sha256(local)
        if self._stored_checksum(uri) == digest:
            return
        wr.s3.upload(
            local_file=str(local),
            path=uri,
            s3_additional_kwargs={"Metadata": {CHECKSUM_METADATA: digest}},
            boto3_session=self._session,
        )

    def _stored_checksum(self, uri: str) -> str | None:
        bucket, key = uri.removeprefix("s3://").split("/", 1)
        s3 = self._client("s3")
        try:
            return s3.head_object(Bucket=bucket, Key=key)["Metadata"].get(CHECKSUM_METADATA)
        except s3.exceptions.ClientError:
            return None

    def _delete_stale_raw(self, prefix: str, keep: set[str]) -> None:
        if self.dry_run:
            self.plan.add(Step("s3", "delete", prefix + "*", "objects not uploaded above (stale raw files, removed "
                                                             "deliveries)"))
            return
        import awswrangler as wr

        stale = sorted(set(wr.s3.list_objects(prefix, boto3_session=self._session)) - keep)
        for uri in stale:
            self._delete_objects([uri], uri, "stale raw file")

    def _collect_garbage(self, database: str, table: str, base: str, partition_col: str | None) -> None:
        """Delete every object under the table's prefix that no live catalog location points at."""
        if self.dry_run:
            self.plan.add(Step("s3", "delete", base + f"{RUN_PREFIX}*", "objects no live location points at"))
            return
        import awswrangler as wr

        if partition_col:
            live = [part["StorageDescriptor"]["Location"] for part in self._partitions(database, table).values()]
        else:
            live = [self._get_table(database, table)["StorageDescriptor"]["Location"]]
        live = [location.rstrip("/") + "/" for location in live]
        objects = wr.s3.list_objects(base, boto3_session=self._session)
        stale = sorted(uri for uri in objects if not uri.startswith(tuple(live)))
        by_run: dict[str, list[str]] = {}
        for uri in stale:
            by_run.setdefault(base + uri[len(base):].split("/", 1)[0] + "/", []).append(uri)
        for run_prefix, uris in by_run.items():
            self._delete_objects(uris, run_prefix, f"{len(uris)} objects no live location points at")

    def _delete_prefix(self, prefix: str, why: str) -> None:
        if self.dry_run:
            self.plan.add(Step("s3", "delete", prefix + "*", why))
            return
        import awswrangler as wr

        self._delete_objects(wr.s3.list_objects(prefix, boto3_session=self._session), prefix + "*", why)

    def _delete_objects(self, uris: list[str], shown: str, why: str) -> None:
        if uris and self.plan.add(Step("s3", "delete", shown, why)):
            import awswrangler as wr

            wr.s3.delete_objects(uris, boto3_session=self._session)

    def _check_writable(self) -> None:
        if self.read_only:
            raise UsageError("this Athena engine was opened read-only")


def new_run_id() -> str:
    """Sortable, unique id of one write: UTC time plus random suffix (lower case, valid in Glue names)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dt%H%M%S") + "_" + uuid.uuid4().hex[:6]


def delivery_folder(local: Path) -> str:
    """The key folder of a RAW file's delivery: entrega=YYYY-MM, or entrega=0000-00 for an undated file."""
    return f"{DELIVERY_COLUMN}={rawcheck.delivery_of(local)}"


def csv_table_input(table: str, location: str, columns: Sequence[str]) -> dict:
    """Glue TableInput of a RAW table: CSV read by OpenCSVSerde, header skipped, every column a string, partitioned
    by entrega (string)."""
    parameters = {"classification": "csv", "compressionType": "none", "typeOfData": "file", "delimiter": ",",
                  "columnsOrdered": "true", "areColumnsQuoted": "false", "skip.header.line.count": "1"}
    return {
        "Name": table,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "PartitionKeys": [{"Name": DELIVERY_COLUMN, "Type": "string"}],
        "StorageDescriptor": {
            "Columns": [{"Name": sqlmod.check_identifier(column), "Type": "string"} for column in columns],
            "Location": location,
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "Compressed": False,
            "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": CSV_SERDE, "Parameters": CSV_SERDE_PARAMETERS},
            "StoredAsSubDirectories": False,
            "Parameters": parameters,
        },
    }


def ctas_statement(database: str, table: str, location: str, select_sql: str, partition_col: str | None) -> str:
    """CREATE TABLE ... WITH (Parquet, Snappy, external_location [, partitioned_by]) AS <select_sql>.

    The SQL file's text is embedded unchanged. Athena wants the partition column last, so a partitioned SELECT is
    wrapped in an outer select that lists its columns (taken from the file's final projection) in that order.
    """
    body = select_sql.rstrip().rstrip(";").rstrip()
    properties = ["format = 'PARQUET'", "write_compression = 'SNAPPY'", f"external_location = '{location}'"]
    if partition_col:
        columns = sqlmod.parse_trino(body).named_selects
        if "*" in columns or partition_col not in columns:
            raise UsageError(f"a partitioned SELECT must list its columns, {partition_col} among them")
        ordered = [column for column in columns if column != partition_col] + [partition_col]
        properties.append(f"partitioned_by = ARRAY['{partition_col}']")
        body = "select " + ", ".join(f'"{column}"' for column in ordered) + f"\nfrom (\n{body}\n) as datos"
    options = ",\n    ".join(properties)
    return f"create table {database}.{table}\nwith (\n    {options}\n)\nas\n{body}"


def athena_params(params: dict) -> dict:
    """Values as awswrangler binds them exactly: floats become DECIMAL literals of their shortest repr (its own
    float formatting keeps 6 decimals only), numpy scalars become Python ones."""
    return {name: _athena_value(value) for name, value in params.items()}


def _athena_value(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        return Decimal(repr(float(value)))
    if isinstance(value, np.integer):
        return int(value)
    return value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
