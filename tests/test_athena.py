"""The Athena engine, offline: moto in server mode on 127.0.0.1 plays S3, Glue and Athena.

Moto stores S3 objects and Glue tables for real but does not execute SQL. ``EmulatedAthena`` stands in for the
SQL part: for each CTAS or query the engine sends (moto still receives and records it), it runs the statement's
SELECT on DuckDB over the files the Glue catalog points at in moto's S3, and writes and registers the result
where Athena would. Everything else -- uploads, Glue tables and partitions, the catalog switch, garbage
collection -- is the engine's own code against moto. What only real AWS can verify is listed in the README.
"""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.request
import uuid
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from sqlglot import exp

from lds_utils.aws.athena import CHECKSUM_METADATA, CSV_SERDE, RUN_PREFIX, STAGING_MARK, AthenaEngine, ctas_statement
from lds_utils.aws.plan import Step
from lds_utils.aws.settings import AwsSettings, load_settings
from lds_utils.aws.setup import setup_aws
from lds_utils.config import PROJECT_ROOT, UsageError
from lds_utils.lake import schema
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.graph import month_parameters
from lds_utils.lake.pipeline import ALL_SUPPLIES

REGION = "us-east-1"


# -- moto server and fake credentials ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def moto_url():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def fake_credentials(monkeypatch, tmp_path) -> dict[str, str]:
    """Distinctive fake secrets in the environment, the standard place boto3 looks first."""
    secrets = {
        "AWS_ACCESS_KEY_ID": "AKIAFAKE" + uuid.uuid4().hex[:12].upper(),
        "AWS_SECRET_ACCESS_KEY": "fakeSecret" + uuid.uuid4().hex,
        "AWS_SESSION_TOKEN": "fakeToken" + uuid.uuid4().hex,
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_REGION", "LDS_AWS_CONFIG", "LDS_AWS_BUCKET", "LDS_AWS_WORKGROUP"):
        monkeypatch.delenv(name, raising=False)
    return secrets


@pytest.fixture
def aws(moto_url, fake_credentials, monkeypatch) -> AwsSettings:
    """A fresh moto account with the bucket, databases and workgroup created by ``setup_aws``."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    _post(moto_url, "/moto-api/reset", {})
    settings = load_settings()
    setup_aws(settings)
    return settings


def _post(base_url: str, path: str, body: dict) -> None:
    request = urllib.request.Request(
        base_url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    urllib.request.urlopen(request).close()


def _s3():
    return boto3.client("s3", region_name=REGION)


def _glue():
    return boto3.client("glue", region_name=REGION)


def _keys(settings: AwsSettings, prefix: str) -> list[str]:
    pages = _s3().get_paginator("list_objects_v2").paginate(Bucket=settings.bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _partitions(database: str, table: str) -> dict[str, str]:
    pages = _glue().get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table)
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for page in pages for p in page["Partitions"]}


def _sent_queries() -> list[str]:
    """Every statement moto's Athena received, oldest first."""
    athena = boto3.client("athena", region_name=REGION)
    executions = [athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
                  for qid in athena.list_query_executions()["QueryExecutionIds"]]
    return [e["Query"] for e in sorted(executions, key=lambda e: e["Status"]["SubmissionDateTime"])]


# -- Athena's SQL, emulated on DuckDB ------------------------------------------------------------------------
_GLUE_TO_ARROW = {"string": pa.string(), "varchar": pa.string(), "int": pa.int32(), "integer": pa.int32(),
                  "bigint": pa.int64(), "double": pa.float64(), "float": pa.float32(), "boolean": pa.bool_(),
                  "date": pa.date32(), "timestamp": pa.timestamp("ms")}


def _arrow_type(glue_type: str) -> pa.DataType:
    decimal = re.match(r"decimal\((\d+),\s*(\d+)\)", glue_type)
    return pa.decimal128(int(decimal[1]), int(decimal[2])) if decimal else _GLUE_TO_ARROW[glue_type]


def _glue_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_decimal(arrow_type):
        return f"decimal({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return {pa.string(): "string", pa.large_string(): "string", pa.int32(): "int", pa.int64(): "bigint",
            pa.float64(): "double", pa.float32(): "float", pa.bool_(): "boolean", pa.date32(): "date",
            pa.int16(): "smallint", pa.int8(): "tinyint"}[arrow_type]


class EmulatedAthena(AthenaEngine):
    """AthenaEngine whose SQL also *runs*: what Athena would do, done with DuckDB over moto's S3 files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll_seconds = 0.01
        self._written: dict[tuple, pa.Table] = {}  # Parquet data by its (immutable, run-<id>) locations

    def _execute(self, statement, database, params):
        super()._execute(statement, database, params)  # moto receives and records the statement
        tree = sqlmod.parse_trino(statement)
        if tree.args.get("kind") == "TABLE":
            self._emulate_ctas(statement, tree, params)
        elif tree.args.get("kind") == "VIEW":
            self._emulate_view(tree)

    def read_sql(self, sql, params=None):
        bound = sqlmod.bind_params(sql, params)
        self.plan.add(Step("athena", "query", "emulated", sql=sql, params=bound or None))
        return self._select(self._retarget(sql), bound).to_pandas()

    def _select(self, select_sql: str, params: dict) -> pa.Table:
        con = duckdb.connect()
        for name in self.settings.databases.values():
            con.execute(f"create schema {name}")
        self._load_tables(con, sqlmod.parse_trino(select_sql), set())
        return con.sql(sqlmod.to_duckdb(select_sql), params=sqlmod.bind_params(select_sql, params)).to_arrow_table()

    def _load_tables(self, con, tree, loaded: set) -> None:
        for node in tree.find_all(exp.Table):
            key = (node.db, node.name)
            if not node.db or key in loaded:
                continue
            loaded.add(key)
            table = self._get_table(*key)
            if table["TableType"] == "VIRTUAL_VIEW":
                view_sql = table["ViewOriginalText"]
                self._load_tables(con, sqlmod.parse_trino(view_sql), loaded)
                con.execute(f"create view {node.db}.{node.name} as {sqlmod.to_duckdb(view_sql)}")
            else:
                con.register("datos_s3", self._read_files(table))
                con.execute(f"create table {node.db}.{node.name} as select * from datos_s3")
                con.unregister("datos_s3")

    def _read_files(self, table: dict) -> pa.Table:
        columns = table["StorageDescriptor"]["Columns"]
        partition_keys = table.get("PartitionKeys", [])
        schema_ = pa.schema([(c["Name"], _arrow_type(c["Type"])) for c in columns + partition_keys])
        if partition_keys:
            parts = self._partitions(table["DatabaseName"], table["Name"]).values()
            locations = [(p["StorageDescriptor"]["Location"], p["Values"][0]) for p in parts]
        else:
            locations = [(table["StorageDescriptor"]["Location"], None)]
        key = tuple(sorted(locations))
        if key in self._written:
            return self._written[key]
        pieces = [self._read_location(location, table, value) for location, value in locations]
        pieces = [piece.select(schema_.names).cast(schema_) for piece in pieces if piece.num_rows]
        return pa.concat_tables(pieces) if pieces else schema_.empty_table()

    def _read_location(self, location: str, table: dict, partition_value: str | None) -> pa.Table:
        bucket, prefix = location.removeprefix("s3://").split("/", 1)
        s3 = self._client("s3")
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/").get(
            "Contents", []) if not item["Key"].endswith("/")]
        bodies = [s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys]
        names = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
        if table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == CSV_SERDE:
            tables = [pacsv.read_csv(io.BytesIO(body), read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
                                     convert_options=pacsv.ConvertOptions(
                                         column_types={n: pa.string() for n in names}, strings_can_be_null=False))
                      for body in bodies]
        else:
            tables = [pq.read_table(io.BytesIO(body)) for body in bodies]
        tables = [t for t in tables if t.num_rows]
        if not tables:
            return pa.table({})
        data = pa.concat_tables(tables)
        if partition_value is not None:
            key = table["PartitionKeys"][0]["Name"]
            data = data.append_column(key, pa.array([partition_value] * data.num_rows, pa.string()))
        return data

    def _emulate_ctas(self, statement: str, tree, params: dict) -> None:
        database, name = tree.this.db, tree.this.name
        location = re.search(r"external_location = '([^']+)'", statement)[1]
        partitioned = re.search(r"partitioned_by = ARRAY\['(\w+)'\]", statement)
        result = self._select(tree.expression.sql(dialect="trino"), params)
        partition_col = partitioned[1] if partitioned else None
        data_columns = [f for f in result.schema if f.name != partition_col]
        glue = self._glue()
        table_input = {
            "Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": partition_col, "Type": "string"}] if partition_col else [],
            "StorageDescriptor": self._descriptor(location, data_columns),
        }
        glue.create_table(DatabaseName=database, TableInput=table_input)
        if not partition_col:
            self._put_parquet(location, result)
            self._written[((location, None),)] = result
            return
        values = sorted(set(result.column(partition_col).to_pylist()))
        if values:  # an empty table has no partition: no location to know it by (every such table would share ())
            self._written[tuple((f"{location}{partition_col}={value}", value) for value in values)] = result
        for value in values:
            rows = result.filter(pa.compute.equal(result.column(partition_col), value)).drop_columns([partition_col])
            part_location = f"{location}{partition_col}={value}"
            self._put_parquet(part_location + "/", rows)
            glue.create_partition(DatabaseName=database, TableName=name, PartitionInput={
                "Values": [value], "StorageDescriptor": self._descriptor(part_location, data_columns)})

    @staticmethod
    def _descriptor(location: str, fields) -> dict:
        return {
            "Columns": [{"Name": f.name, "Type": _glue_type(f.type)} for f in fields],
            "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        }

    def _put_parquet(self, prefix: str, data: pa.Table) -> None:
        if not data.num_rows:
            return
        buffer = io.BytesIO()
        pq.write_table(data, buffer, compression="snappy")
        bucket, key = prefix.removeprefix("s3://").split("/", 1)
        self._client("s3").put_object(Bucket=bucket, Key=key + f"{uuid.uuid4().hex}.parquet", Body=buffer.getvalue())

    def _emulate_view(self, tree) -> None:
        database, name = tree.this.db, tree.this.name
        glue = self._glue()
        existing = self._get_table(database, name)
        if existing is not None:
            if existing.get("TableType") != "VIRTUAL_VIEW":  # as Trino's Hive connector answers
                raise RuntimeError(f"Existing table is not a view: {database}.{name}")
            glue.delete_table(DatabaseName=database, Name=name)
        glue.create_table(DatabaseName=database, TableInput={
            "Name": name, "TableType": "VIRTUAL_VIEW", "ViewOriginalText": tree.expression.sql(dialect="trino"),
            "StorageDescriptor": {"Columns": []}})


# -- a small raw lake ----------------------------------------------------------------------------------------
CLIENTES = [
    ("C1", "DNI", "12345678", "Ana", "RESIDENCIAL", "2024-01-15"),
    ("C2", "DNI", "22345678", "Luis, hijo", "RESIDENCIAL", "2024-01-20"),
    ("C3", "RUC", "20123456789", "Bodega", "COMERCIAL", "2024-02-02"),
    ("C4", "DNI", "32345678", "", "RESIDENCIAL", "2024-03-05"),
]


def _write_clientes(lake: Path, rows, name: str = "clientes.csv") -> Path:
    folder = lake / "raw" / "cliente"
    folder.mkdir(parents=True, exist_ok=True)
    header = ",".join(schema.column_names("cliente"))
    lines = [header] + [",".join(f'"{v}"' if "," in v else v for v in row) for row in rows]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


BRONZE_SQL = """-- bronze-like table: typed customers with their month of registration
select
    id_cliente,
    tipo_cliente,
    nullif(nombre, '') as nombre,
    cast(fecha_alta as date) as fecha_alta,
    substr(fecha_alta, 1, 7) as anio_mes
from raw_db.cliente
"""

MONTHLY_SQL = """-- per month and customer type: customers registered (partitioned by anio_mes)
select
    anio_mes,
    tipo_cliente,
    count(*) as clientes
from bronze_db.prueba_clientes
where anio_mes between :desde and :hasta
group by anio_mes, tipo_cliente
"""


def _engine(settings: AwsSettings, lake: Path) -> EmulatedAthena:
    return EmulatedAthena(settings, lake=lake)


def _monthly(engine: AthenaEngine, desde: str, hasta: str, partitions=None):
    return engine.write_table("silver_db", "prueba_mensual", MONTHLY_SQL, {"desde": desde, "hasta": hasta},
                              partition_col="anio_mes", partitions=partitions)


def _engine_with_monthly_table(settings: AwsSettings, lake: Path) -> EmulatedAthena:
    """The sample customers in bronze_db.prueba_clientes and every month of silver_db.prueba_mensual."""
    _write_clientes(lake, CLIENTES)
    engine = _engine(settings, lake)
    engine.register_raw("cliente", schema.column_names("cliente"))
    engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL)
    _monthly(engine, "0000-01", "9999-12")
    return engine


# -- settings ------------------------------------------------------------------------------------------------
def test_settings_precedence_flag_over_env_over_file_over_default(tmp_path):
    config = tmp_path / "aws.yaml"
    config.write_text(yaml.safe_dump({"bucket": "lds-desde-archivo", "workgroup": "wg_archivo",
                                      "scan_limit_gb": 5, "databases": {"gold": "lds_gold"}}))
    env = {"LDS_AWS_CONFIG": str(config), "LDS_AWS_BUCKET": "lds-desde-entorno", "AWS_REGION": "sa-east-1"}
    settings = load_settings(bucket="lds-desde-flag", environ=env)
    assert settings.bucket == "lds-desde-flag"
    assert settings.workgroup == "wg_archivo"
    assert settings.region == "sa-east-1"
    assert settings.scan_limit_bytes == 5_000_000_000
    assert settings.database("gold_db") == "lds_gold" and settings.database("raw_db") == "raw_db"
    assert load_settings(environ=env).bucket == "lds-desde-entorno"
    defaults = load_settings(environ={})
    assert (defaults.bucket, defaults.region, defaults.databases) == (
        "lds-s3-bucket-demo", "us-east-1", {"raw": "raw_db", "bronze": "bronze_db", "silver": "silver_db",
                                            "gold": "gold_db"})


@pytest.mark.parametrize("content, message", [
    ({"bucket": "b-ok", "aws_secret_access_key": "x"}, "holds credentials"),
    ({"aws_access_key_id": "x"}, "holds credentials"),
    ({"bucket": "Not_A_Bucket"}, "invalid S3 bucket name"),
    ({"region": "lima"}, "invalid AWS region"),
    ({"scan_limit_gb": 0.001}, "at least 0.01 GB"),
    ({"databases": {"gold": "silver_db"}}, "share one Glue database"),
    ({"databases": {"platinum": "x_db"}}, "unknown layers"),
    ({"color": "azul"}, "unknown keys"),
])
def test_bad_config_files_are_refused_with_a_clear_message(tmp_path, content, message):
    config = tmp_path / "aws.yaml"
    config.write_text(yaml.safe_dump(content))
    with pytest.raises(UsageError, match=message):
        load_settings(config_file=config, environ={})


def test_credentials_are_not_settings():
    with pytest.raises(TypeError):
        AthenaEngine.open(dry_run=True, out=io.StringIO(), aws_secret_access_key="x")
    assert not any(word in field for field in AwsSettings.__dataclass_fields__ for word in ("key", "secret", "token"))


# -- setup ---------------------------------------------------------------------------------------------------
def test_setup_creates_bucket_layout_databases_and_limited_workgroup(aws):
    assert _keys(aws, "") == ["athena_results/", "bronze/", "gold/", "raw/", "silver/"]
    rules = _s3().get_bucket_lifecycle_configuration(Bucket=aws.bucket)["Rules"]
    assert any(rule.get("Filter", {}).get("Prefix") == "athena_results/" for rule in rules)
    block = _s3().get_public_access_block(Bucket=aws.bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    names = {db["Name"] for db in _glue().get_databases()["DatabaseList"]}
    assert {"raw_db", "bronze_db", "silver_db", "gold_db"} <= names
    workgroup = boto3.client("athena", region_name=REGION).get_work_group(WorkGroup=aws.workgroup)["WorkGroup"]
    configuration = workgroup["Configuration"]
    assert configuration["BytesScannedCutoffPerQuery"] == aws.scan_limit_bytes
    assert configuration["ResultConfiguration"]["OutputLocation"] == f"s3://{aws.bucket}/athena_results/"
    again = setup_aws(aws)  # idempotent: a second run changes nothing and does not fail
    assert [step.action for step in again.steps][-1] == "create_work_group"


def test_cli_setup_and_aws_flags(aws, tmp_path, capsys):
    from lds_utils.cli import main

    assert main(["setup", "--bucket", "lds-otro-bucket", "--workgroup", "wg_cli", "--scan-limit-gb", "20"]) == 0
    assert "AWS ready: bucket=lds-otro-bucket" in capsys.readouterr().out
    workgroup = boto3.client("athena", region_name=REGION).get_work_group(WorkGroup="wg_cli")["WorkGroup"]
    assert workgroup["Configuration"]["BytesScannedCutoffPerQuery"] == 20_000_000_000
    assert _s3().head_bucket(Bucket="lds-otro-bucket")
    args = ["pipeline", "--engine", "athena", "--dry-run", "--period", "2024-03", "--lake", str(tmp_path)]
    assert main(args + ["--bucket", "lds-otro-bucket"]) == 0
    assert "external_location = 's3://lds-otro-bucket/bronze/" in capsys.readouterr().out
    assert main(["pipeline", "--bucket", "lds-otro-bucket", "--lake", str(tmp_path)]) == 2
    assert "apply to --engine athena only" in capsys.readouterr().err


# -- raw upload ----------------------------------------------------------------------------------------------
def test_raw_upload_registers_an_all_string_csv_table_and_removes_stale_files(aws, tmp_path):
    first = _write_clientes(tmp_path, CLIENTES[:2], "a.csv")
    _write_clientes(tmp_path, CLIENTES[2:], "b.csv")
    engine = _engine(aws, tmp_path)
    engine.register_raw("cliente", schema.column_names("cliente"))
    assert _keys(aws, "raw/cliente/") == ["raw/cliente/entrega=0000-00/a.csv", "raw/cliente/entrega=0000-00/b.csv"]
    stored = _s3().get_object(Bucket=aws.bucket, Key="raw/cliente/entrega=0000-00/a.csv")
    assert stored["Body"].read() == first.read_bytes()
    table = _glue().get_table(DatabaseName="raw_db", Name="cliente")["Table"]
    columns = table["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == schema.column_names("cliente")
    assert {c["Type"] for c in columns} == {"string"}
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == CSV_SERDE
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert table["StorageDescriptor"]["Location"] == f"s3://{aws.bucket}/raw/cliente/"
    read = engine.read_sql("select id_cliente, nombre from raw_db.cliente order by id_cliente")
    assert read["nombre"].tolist() == ["Ana", "Luis, hijo", "Bodega", ""]  # OpenCSVSerde: quotes kept, '' not NULL

    reordered = tmp_path / "raw" / "cliente" / "c.csv"
    columns = schema.column_names("cliente")
    reordered.write_text(",".join(reversed(columns)) + "\n", encoding="utf-8")
    with pytest.raises(UsageError, match="reads CSV columns by position"):
        _engine(aws, tmp_path).register_raw("cliente", columns)
    reordered.unlink()

    (tmp_path / "raw" / "cliente" / "b.csv").unlink()
    second = _engine(aws, tmp_path)
    second.register_raw("cliente", schema.column_names("cliente"))
    assert _keys(aws, "raw/cliente/") == ["raw/cliente/entrega=0000-00/a.csv"]
    head = _s3().head_object(Bucket=aws.bucket, Key="raw/cliente/entrega=0000-00/a.csv")
    assert head["LastModified"] == stored["LastModified"]  # unchanged file (same sha256): not uploaded again
    assert CHECKSUM_METADATA in head["Metadata"]


# -- raw deliveries -------------------------------------------------------------------------------------------
ACUMULADO = {  # delivery folder ('' = undated, directly in raw/acumulado/) -> readings
    "": [("L1", "M1", "2023-12-31", "NORMAL", "100", "40", "1.5", "96", "0")],
    "entrega=2024-01": [("L2", "M1", "2024-01-31", "NORMAL", "180", "70", "1.6", "96", "0"),
                        ("L3", "M2", "2024-01-31", "NORMAL", "90", "30", "0.9", "96", "1")],
    "entrega=2024-02": [("L4", "M1", "2024-02-29", "NORMAL", "260", "100", "1.7", "96", "0")],
}


def _write_acumulado(lake: Path) -> Path:
    """raw/acumulado split in two monthly deliveries plus an undated file."""
    table = lake / "raw" / "acumulado"
    header = ",".join(schema.column_names("acumulado"))
    for folder, rows in ACUMULADO.items():
        (table / folder).mkdir(parents=True, exist_ok=True)
        (table / folder / "lecturas.csv").write_text("\n".join([header] + [",".join(r) for r in rows]) + "\n")
    return table


def test_raw_deliveries_become_entrega_partitions_and_a_removed_one_is_gone(aws, tmp_path):
    import shutil

    from lds_utils.lake.engines import DuckDBEngine

    table = _write_acumulado(tmp_path)
    columns = schema.column_names("acumulado")
    s3 = _s3()
    outside = ["raw/acumulado_otra/lecturas.csv", "raw/lecturas.csv", "bronze/acumulado/x.parquet"]
    for key in outside + ["raw/acumulado/lecturas.csv"]:  # the last one: the flat layout of an earlier upload
        s3.put_object(Bucket=aws.bucket, Key=key, Body=b"x\n")
    _glue().create_table(DatabaseName="raw_db", TableInput={  # an earlier, unpartitioned definition
        "Name": "acumulado", "TableType": "EXTERNAL_TABLE", "Parameters": {"skip.header.line.count": "1"},
        "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in columns],
                              "Location": f"s3://{aws.bucket}/raw/acumulado/",
                              "SerdeInfo": {"SerializationLibrary": CSV_SERDE}}})
    engine = _engine(aws, tmp_path)
    engine.register_raw("acumulado", columns)

    uploaded = ["raw/acumulado/entrega=0000-00/lecturas.csv", "raw/acumulado/entrega=2024-01/lecturas.csv",
                "raw/acumulado/entrega=2024-02/lecturas.csv"]
    assert _keys(aws, "raw/acumulado/") == uploaded
    assert s3.get_object(Bucket=aws.bucket, Key=uploaded[1])["Body"].read() == (
        table / "entrega=2024-01" / "lecturas.csv").read_bytes()
    glue_table = _glue().get_table(DatabaseName="raw_db", Name="acumulado")["Table"]
    assert glue_table["PartitionKeys"] == [{"Name": "entrega", "Type": "string"}]
    assert glue_table["StorageDescriptor"]["Location"] == f"s3://{aws.bucket}/raw/acumulado/"
    base = f"s3://{aws.bucket}/raw/acumulado/"
    assert _partitions("raw_db", "acumulado") == {d: f"{base}entrega={d}/" for d in ("0000-00", "2024-01", "2024-02")}
    parts = _glue().get_partitions(DatabaseName="raw_db", TableName="acumulado")["Partitions"]
    assert {p["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] for p in parts} == {CSV_SERDE}

    query = "select entrega, count(*) as n from raw_db.acumulado group by entrega order by entrega"
    assert engine.read_sql(query).values.tolist() == [["0000-00", 1], ["2024-01", 2], ["2024-02", 1]]
    with DuckDBEngine(tmp_path) as duck:  # the same relation on both engines
        duck.register_raw("acumulado", columns)
        expected = duck.read_sql("select * from raw_db.acumulado")
    got = engine.read_sql("select * from raw_db.acumulado")
    assert list(got.columns) == list(expected.columns) and list(got.columns)[-1] == "entrega"
    assert sorted(map(tuple, got.values.tolist())) == sorted(map(tuple, expected.values.tolist()))
    kept_head = s3.head_object(Bucket=aws.bucket, Key=uploaded[2])

    shutil.rmtree(table / "entrega=2024-01")
    again = _engine(aws, tmp_path)
    again.register_raw("acumulado", columns)
    assert _keys(aws, "raw/acumulado/") == [uploaded[0], uploaded[2]]
    assert sorted(_partitions("raw_db", "acumulado")) == ["0000-00", "2024-02"]
    assert again.read_sql(query).values.tolist() == [["0000-00", 1], ["2024-02", 1]]
    assert s3.head_object(Bucket=aws.bucket, Key=uploaded[2])["LastModified"] == kept_head["LastModified"]
    assert set(outside) <= set(_keys(aws, "")), "nothing outside raw/acumulado/ is touched"


def test_dry_run_plans_every_delivery_upload_and_partition(tmp_path):
    _write_acumulado(tmp_path)
    out = io.StringIO()
    engine = AthenaEngine(load_settings(environ={}), lake=tmp_path, dry_run=True, out=out)
    engine.register_raw("acumulado", schema.column_names("acumulado"))
    base = "s3://lds-s3-bucket-demo/raw/acumulado/"
    assert [(step.action, step.target) for step in engine.plan.steps] == [
        ("put", f"{base}entrega=0000-00/lecturas.csv"), ("put", f"{base}entrega=2024-01/lecturas.csv"),
        ("put", f"{base}entrega=2024-02/lecturas.csv"), ("create_csv_table", "raw_db.acumulado"),
        ("replace_partitions", "raw_db.acumulado"), ("delete", f"{base}*")]
    printed = out.getvalue()
    assert "partitioned by entrega (string)" in printed
    assert f"entrega in [0000-00, 2024-01, 2024-02] at {base}entrega=*/" in printed


def test_pipeline_dry_run_lists_the_delivery_partitions(tmp_path, capsys):
    from lds_utils.cli import main

    _write_acumulado(tmp_path)
    for table in set(schema.RAW_SCHEMAS) - {"acumulado"}:  # the other tables: a header, no rows
        (tmp_path / "raw" / table).mkdir(parents=True)
        (tmp_path / "raw" / table / f"{table}.csv").write_text(",".join(schema.column_names(table)) + "\n")
    assert main(["pipeline", "--engine", "athena", "--dry-run", "--period", "2024-02", "--lake", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "[s3 put] s3://lds-s3-bucket-demo/raw/acumulado/entrega=2024-01/lecturas.csv" in printed
    assert "[glue replace_partitions] raw_db.acumulado  (entrega in [0000-00, 2024-01, 2024-02]" in printed


# -- tables, partitions and the per-period overwrite --------------------------------------------------------
def test_full_then_per_period_write_replaces_only_that_partition(aws, tmp_path):
    _write_clientes(tmp_path, CLIENTES)
    engine = _engine(aws, tmp_path)
    engine.register_raw("cliente", schema.column_names("cliente"))
    assert engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL) == 4
    assert _monthly(engine, "0000-01", "9999-12") == 3
    before = _partitions("silver_db", "prueba_mensual")
    assert sorted(before) == ["2024-01", "2024-02", "2024-03"]
    files_before = _keys(aws, "silver/prueba_mensual/")

    _write_clientes(tmp_path, CLIENTES + [("C5", "RUC", "20999999999", "Taller", "COMERCIAL", "2024-02-28")])
    engine.register_raw("cliente", schema.column_names("cliente"))
    engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL)
    assert _monthly(engine, "2024-02", "2024-02", partitions=["2024-02"]) == 1
    assert _monthly(engine, "2024-02", "2024-02", partitions=["2024-02"]) == 1  # a re-run never duplicates

    after = _partitions("silver_db", "prueba_mensual")
    assert sorted(after) == sorted(before)
    assert after["2024-01"] == before["2024-01"] and after["2024-03"] == before["2024-03"]
    assert after["2024-02"] != before["2024-02"] and f"/{RUN_PREFIX}" in after["2024-02"]
    files_after = _keys(aws, "silver/prueba_mensual/")
    old_february = [k for k in files_before if "anio_mes=2024-02" in k]
    assert not set(old_february) & set(files_after), "the replaced partition's old files are deleted"
    assert set(files_before) - set(old_february) <= set(files_after), "other months' files are untouched"
    live = tuple(location.removeprefix(f"s3://{aws.bucket}/").rstrip("/") + "/" for location in after.values())
    assert all(key.startswith(live) for key in files_after), "no object outside a live partition"
    data = engine.read_sql("select anio_mes, tipo_cliente, clientes from silver_db.prueba_mensual "
                           "order by anio_mes, tipo_cliente")
    assert data.values.tolist() == [["2024-01", "RESIDENCIAL", 2], ["2024-02", "COMERCIAL", 2],
                                    ["2024-03", "RESIDENCIAL", 1]]
    tables = [t["Name"] for db in ("bronze_db", "silver_db") for t in _glue().get_tables(DatabaseName=db)["TableList"]]
    assert not [name for name in tables if STAGING_MARK in name], "no staging table is left in the catalog"
    bronze_files = _keys(aws, "bronze/prueba_clientes/")
    bronze_location = _glue().get_table(DatabaseName="bronze_db", Name="prueba_clientes")["Table"][
        "StorageDescriptor"]["Location"].removeprefix(f"s3://{aws.bucket}/")
    assert bronze_files and all(key.startswith(bronze_location) for key in bronze_files), "one bronze version left"


def test_a_month_that_becomes_empty_loses_its_partition(aws, tmp_path):
    engine = _engine_with_monthly_table(aws, tmp_path)
    _write_clientes(tmp_path, [row for row in CLIENTES if not row[5].startswith("2024-03")])
    engine.register_raw("cliente", schema.column_names("cliente"))
    engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL)
    assert _monthly(engine, "2024-03", "2024-03", partitions=["2024-03"]) == 0
    assert sorted(_partitions("silver_db", "prueba_mensual")) == ["2024-01", "2024-02"]
    assert not [k for k in _keys(aws, "silver/prueba_mensual/") if "anio_mes=2024-03" in k]


def test_a_failed_write_leaves_the_published_table_as_it_was(aws, tmp_path):
    engine = _engine_with_monthly_table(aws, tmp_path)
    before, files_before = _partitions("silver_db", "prueba_mensual"), _keys(aws, "silver/prueba_mensual/")
    with pytest.raises(RuntimeError, match="outside the partitions"):
        _monthly(engine, "2024-01", "2024-02", partitions=["2024-02"])  # the SELECT also returns 2024-01
    assert _partitions("silver_db", "prueba_mensual") == before
    assert _keys(aws, "silver/prueba_mensual/") == files_before
    assert not [t for t in _glue().get_tables(DatabaseName="silver_db")["TableList"] if STAGING_MARK in t["Name"]]


def test_views_are_created_or_replaced(aws, tmp_path):
    _write_clientes(tmp_path, CLIENTES)
    engine = _engine(aws, tmp_path)
    engine.register_raw("cliente", schema.column_names("cliente"))
    engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL)
    for tipo in ("RESIDENCIAL", "COMERCIAL"):
        engine.create_view("gold_db", "vw_prueba", "select count(*) as n from bronze_db.prueba_clientes "
                                                   f"where tipo_cliente = '{tipo}'")
    assert engine.table_exists("gold_db", "vw_prueba")
    assert engine.read_sql("select n from gold_db.vw_prueba")["n"].tolist() == [1]
    assert _sent_queries()[-1].startswith("create or replace view gold_db.vw_prueba as\n")


def test_a_table_that_became_a_view_loses_its_catalog_entry_and_files(aws, tmp_path):
    engine = _engine_with_monthly_table(aws, tmp_path)
    assert _keys(aws, "silver/prueba_mensual/")
    engine.create_view("silver_db", "prueba_mensual", "select count(*) as n from bronze_db.prueba_clientes")
    assert _glue().get_table(DatabaseName="silver_db", Name="prueba_mensual")["Table"]["TableType"] == "VIRTUAL_VIEW"
    assert engine.read_sql("select n from silver_db.prueba_mensual")["n"].tolist() == [4]
    assert _keys(aws, "silver/prueba_mensual/") == []


# -- what Athena receives ------------------------------------------------------------------------------------
def test_ctas_embeds_the_sql_text_and_puts_the_partition_column_last():
    statement = ctas_statement("silver_db", "t__stg_x", "s3://b/silver/t/run-x/", MONTHLY_SQL, "anio_mes")
    tree = sqlmod.parse_trino(statement)
    assert isinstance(tree, exp.Create) and tree.this.db == "silver_db"
    assert MONTHLY_SQL.rstrip() in statement
    assert tree.expression.named_selects == ["tipo_cliente", "clientes", "anio_mes"]
    for option in ("format = 'PARQUET'", "write_compression = 'SNAPPY'",
                   "external_location = 's3://b/silver/t/run-x/'", "partitioned_by = ARRAY['anio_mes']"):
        assert option in statement
    with pytest.raises(UsageError, match="must list its columns"):
        ctas_statement("silver_db", "t", "s3://b/t/", "select * from bronze_db.x", "anio_mes")


def test_values_are_bound_by_awswrangler_not_formatted_by_us(aws, tmp_path):
    _write_clientes(tmp_path, CLIENTES)
    engine = _engine(aws, tmp_path)
    engine.register_raw("cliente", schema.column_names("cliente"))
    engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL)
    _monthly(engine, "2024-0'1", "2024-02")
    ctas = [step for step in engine.plan.steps if step.sql and step.sql.startswith("create table silver_db")][0]
    assert ":desde" in ctas.sql and ctas.params == {"desde": "2024-0'1", "hasta": "2024-02"}
    sent = [query for query in _sent_queries() if query.startswith("create table silver_db")][0]
    assert "between '2024-0''1' and '2024-02'" in sent  # escaped by awswrangler's named paramstyle
    sqlmod.parse_trino(sent)


# -- the notebook read path ----------------------------------------------------------------------------------
def test_notebooks_read_through_read_sql_query_with_canned_results(aws, moto_url, tmp_path):
    column = lambda name, kind: {"Name": name, "Label": name, "Type": kind, "Nullable": "UNKNOWN"}  # noqa: E731
    rows = [["anio_mes", "total_suministros", "total_atipicos", "pct_atipicos"], ["2024-03", "1500", "24", "1.6"]]
    canned = {
        "rows": [{"Data": [{"VarCharValue": value} for value in row]} for row in rows],
        "column_info": [column("anio_mes", "varchar"), column("total_suministros", "bigint"),
                        column("total_atipicos", "bigint"), column("pct_atipicos", "double")],
    }
    _post(moto_url, "/moto-api/static/athena/query-results", {"region": REGION, "results": [canned, canned]})
    engine = AthenaEngine(aws, lake=tmp_path, read_only=True)
    engine.poll_seconds = 0.01
    kpi = engine.read_sql("select anio_mes, total_suministros, total_atipicos, pct_atipicos "
                          "from gold_db.vw_kpi_atipicos_mes where anio_mes = :period", {"period": "2024-03"})
    assert kpi.to_dict("records") == [{"anio_mes": "2024-03", "total_suministros": 1500, "total_atipicos": 24,
                                       "pct_atipicos": 1.6}]
    assert str(kpi["total_suministros"].dtype) == "Int64" and kpi["pct_atipicos"].dtype == "float64"
    assert _sent_queries() == ["select anio_mes, total_suministros, total_atipicos, pct_atipicos "
                               "from gold_db.vw_kpi_atipicos_mes where anio_mes = '2024-03'"]
    assert _keys(aws, "athena_results/")[1:], "results land in athena_results/"
    with pytest.raises(UsageError, match="read-only"):
        engine.create_view("gold_db", "vw_x", "select 1 as x")

    from lds_utils.reporting.report import open_report  # the notebooks' own entry point, settings from the environment

    (tmp_path / "generacion.json").write_text('{"desde": "2023-01"}')  # the first reported month: no query for it
    ctx = open_report("2024-03", "athena", tmp_path)
    try:
        assert ctx.kpi_by_month().to_dict("records") == kpi.to_dict("records")
    finally:
        ctx.close()
    last = _sent_queries()[-1]
    assert " ".join(last.split()).endswith("from gold_db.vw_kpi_atipicos_mes where anio_mes between '2023-01' and '2024-03' order by anio_mes")


# -- the dry run ---------------------------------------------------------------------------------------------
def test_dry_run_needs_no_credentials_and_prints_every_action(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # any call to AWS would fail loudly
    _write_clientes(tmp_path, CLIENTES)
    out = io.StringIO()
    engine = AthenaEngine(load_settings(environ={}), lake=tmp_path, dry_run=True, out=out)
    engine.register_raw("cliente", schema.column_names("cliente"))
    assert engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL) is None
    _monthly(engine, "2024-02", "2024-02", partitions=["2024-02"])
    engine.create_view("gold_db", "vw_prueba", "select count(*) as n from silver_db.prueba_mensual")
    printed = out.getvalue()
    assert [step.render() for step in engine.plan.steps] == [
        block for block in _split_blocks(printed) if not block.startswith("-- Athena dry run")]
    actions = [(step.service, step.action) for step in engine.plan.steps]
    assert actions[:4] == [("s3", "put"), ("glue", "create_csv_table"), ("glue", "replace_partitions"),
                           ("s3", "delete")]
    assert "s3://lds-s3-bucket-demo/raw/cliente/entrega=0000-00/clientes.csv" in printed
    assert printed.count("create table ") == 2 and "create or replace view gold_db.vw_prueba" in printed
    assert "replace_partitions] silver_db.prueba_mensual  (anio_mes in ['2024-02']" in printed


def _split_blocks(printed: str) -> list[str]:
    """The printed plan cut back into one block per step (a step header starts with '[')."""
    blocks: list[str] = []
    for line in printed.splitlines(keepends=True):
        if line.startswith(("[", "-- Athena dry run")) or not blocks:
            blocks.append(line)
        else:
            blocks[-1] += line
    return [block.removesuffix("\n") for block in blocks]


def test_pipeline_dry_run_for_a_period_is_complete_ordered_and_uses_the_sql_files(tmp_path, capsys):
    from lds_utils.cli import main
    from lds_utils.lake import graph

    assert main(["pipeline", "--engine", "athena", "--dry-run", "--period", "2024-03", "--lake", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    statements = _statements(printed)
    targets = []
    for header, sql in statements:
        tree = sqlmod.parse_trino(sql)  # every statement parses as Trino
        if isinstance(tree, exp.Create):
            name = tree.this.name.split(STAGING_MARK)[0]
            layer = tree.this.db.removesuffix("_db")
            relation = graph.load_graph()[name]  # a dry run plans a run on a built database, BRONZE rebuilt whole
            incremental = relation.incremental and not relation.by_delivery
            assert graph.statement(name, incremental).rstrip() in sql, f"{name}: the SQL file's statement, unchanged"
            targets.append((layer, name))
            if tree.args["kind"] == "TABLE":
                assert f"external_location = 's3://lds-s3-bucket-demo/{layer}/{name}/{RUN_PREFIX}" in sql
    assert targets == [(relation.layer, relation.name) for relation in graph.build_order() if not relation.on_request]
    monthly = [header for header, sql in statements if "partitioned_by = ARRAY['anio_mes']" in sql]
    assert len(monthly) == 4  # SILVER's two relations and GOLD's bills and fences
    assert all("'desde': '2024-03'" in h and "'hasta': '2024-03'" in h for h in monthly)
    uploads = [line for line in printed.splitlines() if line.startswith("[glue create_csv_table]")]
    assert [line.split()[2].split(".")[1] for line in uploads] == list(schema.RAW_SCHEMAS)


def _statements(printed: str) -> list[tuple[str, str]]:
    """(header, SQL) of every Athena statement in a printed plan."""
    found = []
    for block in _split_blocks(printed):
        if block.startswith("[athena execute]"):
            lines = block.splitlines()
            body_start = 2 if len(lines) > 1 and lines[1].startswith("  params:") else 1
            found.append(("\n".join(lines[:body_start]), "\n".join(lines[body_start:]).rstrip().rstrip(";")))
    return found


def test_renamed_databases_retarget_every_statement(tmp_path):
    out = io.StringIO()
    names = {"raw": "lds_raw", "bronze": "lds_bronze", "silver": "lds_silver", "gold": "lds_gold"}
    engine = AthenaEngine(load_settings(databases=names, environ={}), lake=tmp_path, dry_run=True, out=out)
    engine.write_table("silver_db", "silver_consumo_mensual", sqlmod.load_sql("silver", "silver_consumo_mensual"),
                       {**month_parameters("2024-03", "2024-03"), **ALL_SUPPLIES}, partition_col="anio_mes",
                       partitions=["2024-03"])
    sql = _statements(out.getvalue())[0][1]
    databases = {table.db for table in sqlmod.parse_trino(sql).find_all(exp.Table) if table.db}
    assert databases == {"lds_silver", "lds_bronze"}


# -- credentials never leak ----------------------------------------------------------------------------------
def test_credentials_never_reach_outputs_files_or_notebooks(aws, fake_credentials, tmp_path, capsys, monkeypatch):
    from lds_utils.cli import main

    _write_clientes(tmp_path, CLIENTES)
    monkeypatch.setenv("LDS_LAKE", str(tmp_path))
    plan_lake = tmp_path / "plan"
    assert main(["pipeline", "--engine", "athena", "--dry-run", "--period", "2024-03", "--lake", str(plan_lake)]) == 0
    engine = _engine(aws, tmp_path)
    engine.register_raw("cliente", schema.column_names("cliente"))
    engine.write_table("bronze_db", "prueba_clientes", BRONZE_SQL)
    _monthly(engine, "2024-01", "2024-03")
    captured = capsys.readouterr()
    outputs = [captured.out, captured.err, repr(engine), repr(engine.settings)]
    outputs += [step.render() for step in engine.plan.steps]
    outputs += [path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()]
    outputs += [_s3().get_object(Bucket=aws.bucket, Key=key)["Body"].read().decode(errors="replace")
                for key in _keys(aws, "")]
    for secret in fake_credentials.values():
        assert not any(secret in text for text in outputs)
    for notebook in sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        parameters = "".join(
            "".join(cell["source"]) for cell in cells if "parameters" in cell.get("metadata", {}).get("tags", []))
        assert not re.search(r"(?i)(secret|access_key|token|password|credential)", parameters), notebook.name


# -- least-privilege IAM policies ----------------------------------------------------------------------------
_S3_IAM_ACTIONS = {
    "PutObject": "PutObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject", "HeadObject": "GetObject", "GetObject": "GetObject",
    "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket",
    "DeleteObjects": "DeleteObject", "DeleteObject": "DeleteObject", "CreateBucket": "CreateBucket",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock", "PutBucketEncryption": "PutEncryptionConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration", "GetBucketLocation": "GetBucketLocation",
}


def _iam_action(event_name: str) -> str:
    """'before-call.s3.HeadObject' -> 's3:GetObject' (the IAM action that authorises the API call)."""
    _, service, operation = event_name.split(".")[:3]
    return f"s3:{_S3_IAM_ACTIONS[operation]}" if service == "s3" else f"{service}:{operation}"


def _policy(name: str) -> dict:
    return json.loads((PROJECT_ROOT / "aws" / name).read_text(encoding="utf-8"))


def _allowed(policy: dict) -> set[str]:
    return {action for statement in policy["Statement"] for action in statement["Action"]}


@pytest.fixture
def recorded_calls(monkeypatch) -> set[str]:
    """IAM actions of every AWS API call made through the engine's (and setup's) boto3 sessions."""
    from lds_utils.aws import athena as engine_athena
    from lds_utils.aws import plan as aws_plan

    calls: set[str] = set()
    real_session = aws_plan.aws_session

    def recording_session(settings):
        session = real_session(settings)
        session.events.register("before-call", lambda event_name, **_: calls.add(_iam_action(event_name)))
        return session

    monkeypatch.setattr(engine_athena, "aws_session", recording_session)
    monkeypatch.setattr(aws_plan, "aws_session", recording_session)
    return calls


def test_iam_policies_allow_every_call_and_name_only_the_project_resources(aws, moto_url, tmp_path, recorded_calls):
    setup_aws(load_settings(bucket="lds-otro-bucket", workgroup="wg_otro"))
    assert recorded_calls and recorded_calls <= _allowed(_policy("iam_politica_setup.json"))

    recorded_calls.clear()
    engine = _engine_with_monthly_table(aws, tmp_path)
    _monthly(engine, "2024-02", "2024-02", partitions=["2024-02"])
    engine.create_view("gold_db", "vw_prueba", "select count(*) as n from silver_db.prueba_mensual")
    assert recorded_calls <= _allowed(_policy("iam_politica_pipeline.json")), recorded_calls

    recorded_calls.clear()
    _post(moto_url, "/moto-api/static/athena/query-results", {"region": REGION, "results": [{
        "rows": [{"Data": [{"VarCharValue": "n"}]}, {"Data": [{"VarCharValue": "3"}]}],
        "column_info": [{"Name": "n", "Label": "n", "Type": "bigint", "Nullable": "UNKNOWN"}]}]})
    reader = AthenaEngine(aws, lake=tmp_path, read_only=True)
    reader.poll_seconds = 0.01
    assert reader.read_sql("select n from gold_db.vw_prueba")["n"].tolist() == [3]
    assert recorded_calls <= _allowed(_policy("iam_politica_lectura.json")), recorded_calls

    for name in ("iam_politica_setup.json", "iam_politica_pipeline.json", "iam_politica_lectura.json"):
        policy = _policy(name)
        resources = [r for s in policy["Statement"] for r in ([s["Resource"]] if isinstance(s["Resource"], str)
                                                               else s["Resource"])]
        assert all(r.startswith(("arn:aws:s3:::lds-s3-bucket-demo", "arn:aws:glue:*:*:catalog",
                                 "arn:aws:glue:*:*:database/", "arn:aws:glue:*:*:table/",
                                 "arn:aws:athena:*:*:workgroup/lds_luzdelsur",
                                 "arn:aws:athena:*:*:datacatalog/AwsDataCatalog")) for r in resources), name
        assert "*" not in {a.split(":")[1] for a in _allowed(policy)}, f"{name}: no wildcard actions"
    assert "raw_db" not in json.dumps(_policy("iam_politica_lectura.json")), "readers never see raw data"


# -- the whole pipeline on S3 + Glue (moto), SQL emulated ----------------------------------------------------
@pytest.fixture(scope="module")
def small_lake(tmp_path_factory) -> Path:
    """A small generated lake (200 customers, 4 months) with the DuckDB pipeline already run on it."""
    from lds_utils.lake.pipeline import run_pipeline
    from lds_utils.synthetic.generate import GeneratorConfig, run_generate

    lake = tmp_path_factory.mktemp("athena_lake")
    run_generate(GeneratorConfig(n_clientes=200, seed=7, desde="2024-12", hasta="2025-03", historia_previa_meses=0), lake)
    run_pipeline(lake)
    return lake


def _sorted(frame, keys):
    return frame.sort_values(keys).reset_index(drop=True)


def test_pipeline_on_s3_and_glue_matches_duckdb_and_one_month_is_replaced(aws, small_lake, monkeypatch):
    import pandas as pd

    from lds_utils.lake import graph
    from lds_utils.lake import registry as engine_registry
    from lds_utils.lake.engines import DuckDBEngine
    from lds_utils.lake.pipeline import pipeline_parameters, run_pipeline

    monkeypatch.setitem(engine_registry.ENGINES, "athena", EmulatedAthena)
    monkeypatch.setenv("LDS_LAKE", str(small_lake))
    run_pipeline(small_lake, engine="athena")
    gold_query = "select * from gold_db.gold_facturacion_teorica_mes"
    keys = ["id_suministro", "anio_mes"]
    with DuckDBEngine(small_lake, read_only=True) as duck:
        expected = _sorted(duck.read_sql(gold_query), keys)
        rejects = duck.read_sql("select tabla, count(*) as n from bronze_db.bronze_rechazos group by tabla")
    reader = EmulatedAthena(aws, lake=small_lake)
    got = _sorted(reader.read_sql(gold_query), keys)[expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)
    got_rejects = reader.read_sql("select tabla, count(*) as n from bronze_db.bronze_rechazos group by tabla")
    pd.testing.assert_frame_equal(_sorted(got_rejects, ["tabla"]), _sorted(rejects, ["tabla"]), check_dtype=False)

    bills = "gold_factura_evaluada_mes"
    before = _partitions("gold_db", bills)
    rows = reader.write_table("gold_db", bills, graph.statement(bills, incremental=True),
                              pipeline_parameters("2025-03"), partition_col="anio_mes", partitions=["2025-03"])
    assert rows == (expected["anio_mes"] == "2025-03").sum()
    after = _partitions("gold_db", bills)
    assert sorted(after) == sorted(before) == ["2024-12", "2025-01", "2025-02", "2025-03"]
    assert [month for month in after if after[month] != before[month]] == ["2025-03"]
    again = _sorted(reader.read_sql(gold_query), keys)[expected.columns]
    pd.testing.assert_frame_equal(again, expected, check_dtype=False, rtol=1e-9)
    for view in ("vw_kpi_atipicos_mes", "vw_facturacion_atipica_detalle"):
        assert reader.table_exists("gold_db", view)
    sent = _sent_queries()
    assert all(sqlmod.parse_trino(query) is not None for query in sent)
    assert not _keys(aws, f"gold/{bills}/")[0].endswith("/"), "no stray folder markers"
