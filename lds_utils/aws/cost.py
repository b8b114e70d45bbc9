"""Athena cost of a monthly run, estimated from measured table sizes.

Athena bills the bytes each statement reads from S3: USD 5 per TB, rounded up to the MB, with a 10 MB minimum
per statement; DDL (CREATE VIEW, and the catalog calls the engine makes through Glue) is free. The statements are
not guessed: they are the plan of ``pipeline --engine athena --dry-run --period P`` (the same SQL files the DuckDB
engine runs), and the tables each one reads come from parsing it. Sizes come from a measurement of a real lake
built by the DuckDB engine (``measure``), scaled linearly to the target number of customers.

The estimate is an upper bound: a statement is charged the full size of every table it reads (CSV has no column
pruning, so for RAW that is exact when it reads every delivery, raw_db tables being partitioned by entrega; for
Parquet, Athena usually reads fewer columns), except that partitioned tables read by a monthly statement are
charged only for the months it can read (partition pruning on anio_mes): its months and the 12 before them, the
longest look-back of the monthly SQL.

Measurements: ``bench/results/tamanos_*.json`` (the scale benchmark, up to 1.3 M customers) and
``aws/medicion_tamanos_*.json`` (smaller samples); ``latest_measurement()`` takes the one with most customers.
Recompute from a new benchmark result with ``monthly_run_cost(load_measurement(path))``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import tempfile
from pathlib import Path

import pandas as pd
from sqlglot import exp

from lds_utils.config import AMI_TABLES, PROJECT_ROOT, LakePaths, UsageError
from lds_utils.lake import rawcheck
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.engines import version_folders
from lds_utils.lake.graph import month_calendar

ATHENA_USD_PER_TB = 5.0
ATHENA_PRICE_SOURCE = (
    "precio de lista de Athena SQL, USD 5 por TB escaneado, mínimo 10 MB por consulta, DDL sin costo "
    "(https://aws.amazon.com/athena/pricing/; el mismo valor publica athena.guide, «Athena Basics: Pricing "
    "Model», 2020-10-15). Vigente según esas fuentes; verifíquese en la página oficial antes de presupuestar."
)
TB = 10**12
MB = 10**6
MIN_BILLED_BYTES = 10 * MB
UNIVERSE_CLIENTS = 1_300_000
MEASUREMENT_GLOBS = ("bench/results/tamanos_*.json", "aws/medicion_tamanos_*.json")
PARTITION_COLUMN = "anio_mes"
#: The stored tables behind the gold relation (gold_db.gold_facturacion_teorica_mes is a view over them).
GOLD_TABLES = ("gold_factura_evaluada_mes", "gold_cerco_segmento_mes")


# -- measuring a lake ----------------------------------------------------------------------------------------
def lake_sizes(lake: Path) -> dict:
    """Bytes of every table of a lake built by the DuckDB engine: raw CSV per table (every delivery), Parquet per
    table (of every delivery, for a table partitioned by entrega), and per month for the tables partitioned by
    anio_mes (current version only)."""
    paths = LakePaths(Path(lake))
    if not paths.bronze.is_dir():
        raise UsageError(f"no BRONZE layer in {lake}: run the pipeline first")
    sizes = {"raw": {d.name: _bytes(rawcheck.table_files(d, d.name)) for d in _subdirs(paths.raw)}}
    for layer in ("bronze", "silver", "gold"):
        sizes[layer] = {}
        for table_dir in _subdirs(paths.layer(layer)):
            version = _current_version(table_dir)
            partitions = sorted(version.glob(f"{PARTITION_COLUMN}=*")) if version else []
            if partitions:
                sizes[layer][table_dir.name] = {
                    part.name.split("=", 1)[1]: _bytes(part.glob("*.parquet")) for part in partitions
                }
            elif version:
                sizes[layer][table_dir.name] = _bytes(version.rglob("*.parquet"))
    return sizes


def measure(lake: Path, n_clientes: int) -> dict:
    """The measurement record saved as JSON (by the scale benchmark or by hand)."""
    return {
        "n_clientes": int(n_clientes),
        "medido": dt.date.today().isoformat(),
        "tamanos": lake_sizes(lake),
    }


def save_measurement(measurement: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(measurement, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_measurement(path: Path) -> dict:
    measurement = json.loads(Path(path).read_text(encoding="utf-8"))
    if not {"n_clientes", "tamanos"} <= measurement.keys():
        raise UsageError(f"{path} is not a size measurement (needs n_clientes and tamanos)")
    measurement["origen"] = str(Path(path).relative_to(PROJECT_ROOT) if Path(path).is_absolute() and
                                Path(path).is_relative_to(PROJECT_ROOT) else path)
    return measurement


def latest_measurement() -> dict:
    """The committed measurement with the most customers (the scale benchmark's, once it exists)."""
    found = [path for pattern in MEASUREMENT_GLOBS for path in PROJECT_ROOT.glob(pattern)]
    if not found:
        raise UsageError("no size measurement found (bench/results/tamanos_*.json or aws/medicion_tamanos_*.json)")
    measurements = [load_measurement(path) for path in found]
    return max(measurements, key=lambda m: m["n_clientes"])


# -- the estimate --------------------------------------------------------------------------------------------
def monthly_run_statements(period: str) -> list[tuple[str, dict]]:
    """(SQL, bound params) of every Athena statement of ``pipeline --engine athena --period P``, in order, but those
    of the alert relations: the measured lakes were built before the pipeline built them and hold no sizes for them.
    """
    from lds_utils.aws.plan import Plan
    from lds_utils.detection.alerts import ALERTAS, SENALES
    from lds_utils.lake.pipeline import run_pipeline

    plan = Plan(dry_run=True, out=io.StringIO())
    # An empty lake: the SQL plan does not depend on the raw files, and their checks would only cost time.
    with tempfile.TemporaryDirectory() as lake, contextlib.redirect_stderr(io.StringIO()):
        run_pipeline(Path(lake), period=period, engine="athena", dry_run=True, plan=plan)
    statements = [step for step in plan.steps if step.service == "athena" and step.sql]
    unmeasured = (f"gold_db.{SENALES}", f"gold_db.{ALERTAS}")
    return [(step.sql, step.params or {}) for step in statements
            if not _target_and_reads(sqlmod.parse_trino(step.sql))[0].endswith(unmeasured)]


def monthly_run_cost(measurement: dict, period: str | None = None, clients: int = UNIVERSE_CLIENTS) -> pd.DataFrame:
    """One row per Athena statement of a monthly run: what it writes, what it reads, bytes scanned (upper bound,
    scaled to ``clients``), bytes billed and USD."""
    sizes = measurement["tamanos"]
    period = period or _months(measurement)[-1]
    scale = clients / measurement["n_clientes"]
    rows = []
    view_reads: dict[str, list[str]] = {}  # a view scans nothing itself: reading it reads its tables
    for sql, params in monthly_run_statements(period):
        tree = sqlmod.parse_trino(sql)
        target, reads = _target_and_reads(tree)
        reads = sorted({table for read in reads for table in view_reads.get(read, [read])})
        if target.startswith("vista "):
            view_reads[target.removeprefix("vista ")] = reads
        scanned = 0 if target.startswith("vista ") else scale * sum(_read_bytes(sizes, t, params) for t in reads)
        billed = 0 if target.startswith("vista ") else max(MIN_BILLED_BYTES, math.ceil(scanned / MB) * MB)
        rows.append({"sentencia": target, "lee": ", ".join(reads), "bytes_escaneados": scanned,
                     "bytes_facturados": billed, "usd": billed / TB * ATHENA_USD_PER_TB})
    return pd.DataFrame(rows)


def dashboard_query_bound(measurement: dict, clients: int = UNIVERSE_CLIENTS) -> dict:
    """Upper bound of one query on a KPI view: it reads at most the whole gold relation (every month)."""
    gold = [measurement["tamanos"]["gold"][table] for table in GOLD_TABLES]
    scanned = sum(sum(table.values()) for table in gold) * clients / measurement["n_clientes"]
    billed = max(MIN_BILLED_BYTES, math.ceil(scanned / MB) * MB)
    return {"bytes_escaneados": scanned, "usd": billed / TB * ATHENA_USD_PER_TB}


def _months(measurement: dict) -> list[str]:
    """The billing months of the measured lake (the partitions of the gold bills)."""
    return sorted(measurement["tamanos"]["gold"][GOLD_TABLES[0]])


def _target_and_reads(tree: exp.Expression) -> tuple[str, list[str]]:
    """What a statement writes (CTAS target without its staging suffix, a view, or a query) and the tables it
    reads (database-qualified, the target excluded)."""
    if isinstance(tree, exp.Create):
        name = f"{tree.this.db}.{tree.this.name.split('__stg_')[0]}"
        target = ("vista " if tree.args.get("kind") == "VIEW" else "") + name
        source = tree.expression
    else:
        target, source = "consulta", tree
    reads = sorted({f"{t.db}.{t.name}" for t in source.find_all(exp.Table) if t.db})
    if target == "consulta" and any("__stg_" in name for name in reads):
        target = "conteo de filas " + reads[0].split("__stg_")[0]
    return target, reads


def _read_bytes(sizes: dict, table: str, params: dict) -> float:
    database, name = table.split(".")
    layer = database.removesuffix("_db")
    if "__stg_" in name:
        return 0.0  # row counts of a just-written table: Parquet footers only, billed the 10 MB minimum
    size = sizes.get(layer, {}).get(name)
    if size is None and _reads_smart_meter_data(name):
        return 0.0  # a lake measured without smart-meter data (the scale benchmark's): these tables hold nothing
    if size is None:
        raise UsageError(f"the measurement has no size for {table}")
    if not isinstance(size, dict):
        return float(size)
    desde, hasta = params.get("desde", "0000-01"), params.get("hasta", "9999-12")
    look_back = month_calendar(desde)["inicio_historia"]
    return float(sum(bytes_ for month, bytes_ in size.items() if look_back <= month <= hasta))


def _reads_smart_meter_data(relation: str) -> bool:
    """A RAW table of the smart meters or a BRONZE relation built from one (stg_lectura_intervalo, ...)."""
    return any(relation.endswith(table) or f"{table}_" in relation for table in AMI_TABLES)


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []


def _current_version(table_dir: Path) -> Path | None:
    versions = version_folders(table_dir)
    return versions[-1] if versions else None


def _bytes(files) -> int:
    return sum(path.stat().st_size for path in files)


def cost_report(measurement: dict, period: str | None = None, clients: int = UNIVERSE_CLIENTS) -> dict:
    """What the AWS chapter shows: totals, cost per layer and the largest statement of a monthly run."""
    statements = monthly_run_cost(measurement, period, clients)
    billed = statements[statements["bytes_facturados"] > 0]
    layer = statements["sentencia"].str.extract(r"^(vista |conteo de filas )?(\w+)_db\.")
    statements["capa"] = layer[1].str.upper().where(layer[0].isna(), layer[0].str.strip().map(
        {"vista": "vistas (DDL, sin costo)", "conteo de filas": "conteos de filas"}))
    per_layer = statements.groupby("capa", sort=False)[["bytes_escaneados", "usd"]].sum().reset_index()
    largest = statements.loc[statements["bytes_escaneados"].idxmax()]
    months = _months(measurement)
    return {
        "sentencias": statements,
        "por_capa": per_layer,
        "total_bytes": float(statements["bytes_escaneados"].sum()),
        "total_usd": float(statements["usd"].sum()),
        "consultas_facturadas": int(len(billed)),
        "mayor_sentencia": str(largest["sentencia"]),
        "mayor_bytes": float(largest["bytes_escaneados"]),
        "clientes": clients,
        "clientes_medidos": int(measurement["n_clientes"]),
        "medido": measurement.get("medido", ""),
        "origen": measurement.get("origen", ""),
        "meses_historia": len(months),
        "primer_mes": months[0],
        "periodo": period or months[-1],
    }
