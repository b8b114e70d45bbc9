"""Layer order and runs: RAW -> BRONZE -> SILVER -> GOLD -> KPI views.

``run_pipeline(lake)`` rebuilds every layer for every month. ``run_pipeline(lake, period="2025-03")`` recomputes
SILVER and GOLD for that month only, replacing its partition (a re-run never duplicates); it rebuilds BRONZE
too unless BRONZE is known to be what a rebuild would produce (``bronze_reusable``: same RAW files, same BRONZE
SQL, and no reading whose acceptance depends on today's date). Only one run may use a lake at a time (a lock
file); progress and timings go to stderr.

Before anything is written the RAW files are checked (lds_utils.rawcheck); on DuckDB the whole run is then
published in one catalog transaction, so a run that fails or is killed leaves every table as it was.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from lds_utils import rawcheck, schema
from lds_utils import sql as sqlmod
from lds_utils.billing import TARIFF_OPTIONS, billing_parameters
from lds_utils.config import RAW_TABLES, SQL_ROOT, LakePaths, UsageError, parse_engine, parse_period, resolve_lake
from lds_utils.engines import DuckDBEngine, Engine, open_engine
from lds_utils.fence import fence_parameters

#: BRONZE tables in foreign-key order: a table is validated against the BRONZE rows of its parents.
BRONZE_ORDER = ("sector", "tarifa", "cliente", "suministro", "medidor", "asignacion_tarifa", "acumulado", "inspeccion")
#: Raw tables whose repeated keys are decided in a staging table of their own, after the one-pass stg_<table>.
REPEATED_KEY_STAGING = {"acumulado": ("stg_acumulado_duplicado",)}
#: BRONZE relations that are views over their staging tables rather than copies of their rows: the valid readings
#: are the staging rows with no reject reason, and copying them wrote 61 M rows a second time at full scale
#: (15.0 s). SILVER reads them through the view as fast as from the copy (150 k customers: 8.1 to 8.8 s against
#: 8.2 to 8.4 s).
BRONZE_VIEWS = ("bronze_acumulado",)
PARTITION_COLUMN = "anio_mes"
#: The GOLD bills: besides SILVER and BRONZE they read their own published rows of the 12 months before a run's.
BILLS = "gold_factura_evaluada_mes"
#: Monthly tables after BRONZE, in dependency order: (layer, relation).
MONTHLY_TABLES = (("silver", "silver_consumo_mensual"), ("gold", BILLS), ("gold", "gold_cerco_segmento_mes"))
#: The monthly tables with one row per supply-month: computed in slices of supplies, and never empty for a period
#: with data (a segment fence can be: no supply of the lake's first month has history to be evaluated on).
SUPPLY_TABLES = ("silver_consumo_mensual", BILLS)
#: The contract's gold relation: a view joining the bills to their segment's fence.
GOLD_RELATION = "gold_facturacion_teorica_mes"
ALL_MONTHS = ("0000-01", "9999-12")
MANIFEST_NAME = "pipeline_manifest.json"
FINGERPRINT_NAME = "huella_pipeline.txt"
BRONZE_STATE_NAME = "huella_bronze.json"
#: Reject reasons (SQL LIKE patterns) of the BRONZE checks against :fecha_maxima, the day-of-run date limit.
DATE_LIMITED_REASONS = ("FUERA_DE_RANGO:fecha%", "FUERA_DE_RANGO:vigencia%", "FECHA_INCONSISTENTE:%")
LOCK_NAME = ".lock"
#: SILVER and the GOLD bills run in slices of supplies of about this many readings on an engine that computes in
#: slices. Measured at 1.3 M customers with the 4 GB DuckDB cap: SILVER as one statement spilled 41 GB and took
#: 126 s, and the GOLD bills with the fence as one statement 281 s. In 8 slices (7.7 M readings each) SILVER takes
#: 69 s with a peak of 2.7 GB (71 s and 1.5 GB in 16), the GOLD bills 114 s (117 s in 16). The larger slices are
#: the faster ones, and their peak stays under BRONZE's (4.2 GB), which sets the run's. At 150 k customers one
#: slice: the GOLD step takes 1.1 GB (0.8 GB in two) and is not slower.
READINGS_PER_SLICE = 8_000_000
#: A half-open range of id_suministro ['' = unbounded]: the whole table.
ALL_SUPPLIES = {"suministro_desde": "", "suministro_hasta": ""}

assert set(BRONZE_ORDER) == set(RAW_TABLES)


@dataclass
class StepResult:
    layer: str
    relation: str
    rows: int | None
    seconds: float


def view_names() -> list[str]:
    """The gold views in creation order: the contract's gold relation, then the KPI views (every sql/gold/vw_*.sql)."""
    return [GOLD_RELATION, *sorted(path.stem for path in (SQL_ROOT / "gold").glob("vw_*.sql"))]


@contextmanager
def lake_lock(lake: Path) -> Iterator[None]:
    """Exclusive lock on the lake: a second run stops at once with a clear message instead of interleaving.

    The lock is the kernel's (flock), so it disappears with the process that held it, even one killed with
    SIGKILL; the lock file only records the holder's process id for the message.
    """
    lake = Path(lake)
    lake.mkdir(parents=True, exist_ok=True)
    lock_path = lake / LOCK_NAME
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            by = f" by process {holder}" if holder.isdigit() else ""
            raise UsageError(f"another run is using the lake {lake}{by} (lock {lock_path}); "
                             "try again when it ends") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def bronze_relations(table: str) -> list[str]:
    """The BRONZE relations of a raw table in write order: its staging (every raw row, typed and checked), the
    decision on its repeated keys where apart, then the table itself (a view for those in BRONZE_VIEWS)."""
    return [f"stg_{table}", *REPEATED_KEY_STAGING.get(table, ()), f"bronze_{table}"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class StepRunner:
    """Runs steps against an engine, timing each one."""

    def __init__(self, engine: Engine, params: dict):
        self.engine = engine
        self.params = params
        self.results: list[StepResult] = []

    def table(self, layer: str, relation: str, partitions: list[str] | None = None, partitioned: bool = False,
              slices: list[dict] | None = None, sql_file: str | None = None) -> int:
        """Write layer_db.relation from sql/<layer>/<sql_file or relation>.sql (logged by that file name); return
        its rows."""
        started = time.perf_counter()
        select_sql = sqlmod.load_sql(layer, sql_file or relation)
        rows = self.engine.write_table(
            f"{layer}_db",
            relation,
            select_sql,
            self.params,
            partition_col=PARTITION_COLUMN if partitioned else None,
            partitions=partitions,
            slices=slices,
        )
        self._done(layer, sql_file or relation, rows, started)
        return rows

    def view(self, layer: str, relation: str) -> None:
        started = time.perf_counter()
        self.engine.create_view(f"{layer}_db", relation, sqlmod.load_sql(layer, relation))
        self._done(layer, relation, None, started)

    def raw(self, table: str) -> None:
        started = time.perf_counter()
        self.engine.register_raw(table, schema.column_names(table))
        self._done("raw", table, None, started)

    def _done(self, layer: str, relation: str, rows: int | None, started: float) -> None:
        seconds = time.perf_counter() - started
        self.results.append(StepResult(layer, relation, rows, seconds))
        count = "" if rows is None else f"{rows:>12,} rows "
        _log(f"[{layer:>6}] {relation:<34} {count}{seconds:7.2f} s")


def _check_monthly_tables(engine: Engine) -> None:
    """A period run replaces one month of every monthly table, or builds the first month of a new lake. A lake that
    has some of them only (built before the others existed) would end up with that one month in the new tables."""
    present = {f"{layer}_db.{relation}": engine.table_exists(f"{layer}_db", relation)
               for layer, relation in MONTHLY_TABLES}
    missing = [name for name, exists in present.items() if not exists]
    if missing and len(missing) < len(present):
        raise UsageError(f"the lake has no {', '.join(missing)} (it was built by an earlier version): run the whole "
                         "pipeline once, without --period")


def _run_steps(runner: StepRunner, period: str | None, build_bronze: bool = True) -> None:
    if period:
        _check_monthly_tables(runner.engine)
    if build_bronze:  # a reused BRONZE was built from these very files: their RAW views are already in place
        for table in RAW_TABLES:
            runner.raw(table)
        runner.view("bronze", TARIFF_OPTIONS)
        for table in BRONZE_ORDER:
            for relation in bronze_relations(table):
                if relation in BRONZE_VIEWS:
                    runner.view("bronze", relation)
                else:
                    runner.table("bronze", relation)
        runner.table("bronze", "bronze_rechazos")
        runner.table("bronze", "bronze_conciliacion")
    run_monthly_steps(runner, [period] if period else None)


def run_monthly_steps(runner: StepRunner, partitions: list[str] | None, layers=("silver", "gold")) -> None:
    """SILVER and/or GOLD for the runner's months: the per-supply tables in slices of supplies, then the fences, then
    (with GOLD) the gold views. partitions: the months being replaced, None for every month.

    The bills read the bills published for the 12 months before their own: a lake without the bills table gets an
    empty one first (sql/gold/gold_factura_evaluada_mes_vacia.sql)."""
    slices = supply_slices(runner.engine, runner.params)
    if "gold" in layers and not runner.engine.table_exists("gold_db", BILLS):
        runner.table("gold", BILLS, partitioned=True, sql_file=f"{BILLS}_vacia")
    for layer, relation in MONTHLY_TABLES:
        if layer not in layers:
            continue
        per_supply = relation in SUPPLY_TABLES
        rows = runner.table(layer, relation, partitions=partitions, partitioned=True,
                            slices=slices if per_supply else None)
        if partitions and per_supply and rows == 0:
            raise UsageError(f"no data for period {', '.join(partitions)} in {layer}_db.{relation}: is it within the "
                             "lake's months?")
    if "gold" in layers:
        for view in view_names():
            runner.view("gold", view)


def _check_reconciliation(engine: Engine, raw_rows: dict[str, int] | None) -> None:
    """raw = bronze + rejected for every table, and raw is what the files hold (no row lost by the reader)."""
    conciliacion = engine.read_sql("select tabla, filas_raw, cuadra from bronze_db.bronze_conciliacion")
    broken = conciliacion.loc[~conciliacion["cuadra"].astype(bool), "tabla"]
    if len(broken):
        raise RuntimeError(f"raw rows != bronze rows + rejects for: {', '.join(broken)}")
    read = dict(zip(conciliacion["tabla"], conciliacion["filas_raw"].astype(int)))
    differ = {table: (read.get(table), rows) for table, rows in (raw_rows or {}).items() if read.get(table) != rows}
    if differ:
        detail = "; ".join(f"{table}: read {got}, files hold {rows}" for table, (got, rows) in differ.items())
        raise RuntimeError(f"the engine read a different number of raw rows than the files hold: {detail}")


def _check_raw_files(lake: Path, by_position: bool) -> dict[str, int]:
    """Check every RAW file (lds_utils.rawcheck) and return the data records of each table.

    by_position: the engine maps CSV columns by position (Athena's CSV tables), so a file whose header
    orders the columns differently from the contract would be misread: refuse it.
    """
    started = time.perf_counter()
    checked = rawcheck.check_raw(lake)
    for table, files in checked.items():
        reordered = [f for f in files if by_position and list(f.columns) != schema.column_names(table)]
        if reordered:
            raise rawcheck.RawInputError(
                f"raw table {table!r}, file {reordered[0].path.relative_to(lake)}, line 1: the columns are not in "
                f"the contract's order ({', '.join(schema.column_names(table))}); the athena engine reads CSV "
                "columns by position: write them in that order"
            )
    rows = {table: sum(f.rows for f in files) for table, files in checked.items()}
    n_files = sum(len(files) for files in checked.values())
    _log(f"[ check] raw files: {n_files} files, {sum(rows.values()):,} rows {time.perf_counter() - started:7.2f} s")
    return rows


def pipeline_parameters(period: str | None, today: dt.date | None = None) -> dict:
    """Bound parameters of every SQL file: month range, date sanity limit, the regulated billing values and the
    fence's constants."""
    desde, hasta = (period, period) if period else ALL_MONTHS
    fecha_maxima = (today or dt.date.today()).isoformat()
    return {"desde": desde, "hasta": hasta, "fecha_maxima": fecha_maxima, **ALL_SUPPLIES, **billing_parameters(),
            **fence_parameters()}


def supply_slices(engine: Engine, params: dict) -> list[dict] | None:
    """Consecutive ranges of id_suministro splitting the run's readings into slices that fit in memory.

    SILVER and the GOLD bills run once per slice (their rows depend on the supply's own rows only).

    None when one slice will do (or the engine runs every SELECT whole). The ranges are half-open and cover
    every string: the first starts at '' and the last has no end, so no supply falls between two slices.
    """
    if not engine.computes_in_slices:
        return None
    readings = int(engine.read_sql(
        "select count(*) as n from bronze_db.bronze_acumulado where anio_mes between :desde and :hasta", params,
    )["n"].iloc[0])
    count = -(-readings // READINGS_PER_SLICE)
    if count <= 1:
        return None
    starts = engine.read_sql(
        "select min(id_suministro) as desde from (select id_suministro, ntile(:partes) over (order by id_suministro) "
        "as parte from bronze_db.bronze_suministro) as s group by parte order by desde", {"partes": count},
    )["desde"].tolist()[1:]
    bounds = ["", *starts, ""]
    return [{"suministro_desde": low, "suministro_hasta": high} for low, high in zip(bounds, bounds[1:])]


def _add_sql_files(digest, pattern: str) -> None:
    for path in sorted(SQL_ROOT.glob(pattern)):
        digest.update(path.relative_to(SQL_ROOT).as_posix().encode() + b"\0" + path.read_bytes())


def pipeline_fingerprint() -> str:
    """Fingerprint of the code that shapes the lake's layers: every SQL file, the billing parameters and the fence's."""
    digest = hashlib.sha256()
    _add_sql_files(digest, "*/*.sql")
    digest.update(json.dumps({**billing_parameters(), **fence_parameters()}, sort_keys=True).encode())
    return digest.hexdigest()


def read_fingerprint(lake: Path) -> str | None:
    """The fingerprint of the code whose last full DuckDB run built the lake (None if unknown)."""
    path = Path(lake) / FINGERPRINT_NAME
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def raw_signature(lake: Path) -> str:
    """Fingerprint of what BRONZE is built from: every RAW file (path, size, modification time) and the BRONZE SQL.

    File metadata, not content, as make and rsync do: a RAW file rewritten in place gets a new modification time.
    """
    digest = hashlib.sha256()
    paths = LakePaths(lake)
    for table in RAW_TABLES:
        for path in rawcheck.table_files(paths.raw_table(table), table):
            stat = path.stat()
            digest.update(f"{path.relative_to(paths.raw)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    _add_sql_files(digest, "bronze/*.sql")
    return digest.hexdigest()


def _dated_rejects(engine: Engine) -> int:
    """Rejected rows whose reason may come from the date limit: the only BRONZE verdicts that depend on the day."""
    condition = " or ".join(f"motivo like '{pattern}'" for pattern in DATE_LIMITED_REASONS)
    counted = engine.read_sql(f"select count(*) as n from bronze_db.bronze_rechazos where {condition}")
    return int(counted["n"].iloc[0])


def bronze_reusable(state: dict | None, signature: str, fecha_maxima: str) -> bool:
    """Would rebuilding BRONZE give what the lake holds? state: what the last BRONZE build recorded.

    Yes when RAW and the BRONZE SQL are unchanged and the date limit cannot change a verdict: the same limit,
    or a later one while no row was rejected for its date (every date then lies within both limits).
    """
    if not state or state.get("firma") != signature:
        return False
    if state["fecha_maxima"] == fecha_maxima:
        return True
    return state["rechazos_por_fecha"] == 0 and fecha_maxima > state["fecha_maxima"]


def _read_bronze_state(lake: Path) -> dict | None:
    path = lake / BRONZE_STATE_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _write_atomically(target: Path, text: str) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)


def _write_manifest(lake: Path, manifest: dict) -> None:
    _write_atomically(lake / MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False))


def run_pipeline(
    lake: Path, period: str | None = None, engine: str = "duckdb", dry_run: bool = False, **engine_options
) -> dict:
    """Run every layer (all months, or one period) and return the run manifest (steps, rows, seconds)."""
    engine = parse_engine(engine)
    period = parse_period(period) if period else None
    lake = resolve_lake(lake)
    if dry_run and engine == "duckdb":
        raise UsageError("--dry-run prints the plan of the athena engine; use --engine athena")
    started = time.perf_counter()
    params = pipeline_parameters(period)
    with lake_lock(lake) if engine == "duckdb" else nullcontext():
        has_raw = LakePaths(lake).raw.is_dir()
        if engine == "duckdb" and not has_raw:
            raise UsageError(f"no raw data in {lake}: run `python -m lds_utils generate --lake {lake}` first")
        _log(f"pipeline: engine={engine} period={period or 'all months'} lake={lake}")
        signature = raw_signature(lake) if engine == "duckdb" else None
        state = _read_bronze_state(lake) if engine == "duckdb" else None
        build_bronze = not (period and bronze_reusable(state, signature, params["fecha_maxima"]))
        if build_bronze:  # the recorded state stays valid until replaced: it describes RAW, not this run
            raw_rows = _check_raw_files(lake, by_position=engine == "athena") if has_raw else None
        else:
            raw_rows = state["raw_rows"]
            _log(f"[bronze] reused: raw files and bronze SQL unchanged since the run of {state['construido']}")
        with open_engine(engine, lake, dry_run=dry_run, **engine_options) as opened, _published_together(opened):
            runner = StepRunner(opened, params)
            _run_steps(runner, period, build_bronze)
            if build_bronze and not dry_run:
                _check_reconciliation(opened, raw_rows)
                dated_rejects = _dated_rejects(opened)
        manifest = {
            "engine": engine,
            "period": period,
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "total_seconds": round(time.perf_counter() - started, 3),
            "raw_rows": raw_rows,
            "bronze": "rebuilt" if build_bronze else "reused",
            "steps": [vars(result) for result in runner.results],
        }
        if engine == "duckdb":
            _write_manifest(lake, manifest)
            if build_bronze:
                bronze_state = {"firma": signature, "fecha_maxima": params["fecha_maxima"],
                                "rechazos_por_fecha": dated_rejects, "raw_rows": raw_rows,
                                "construido": manifest["finished_at"]}
                _write_atomically(lake / BRONZE_STATE_NAME, json.dumps(bronze_state, indent=2))
            if period is None:
                _write_atomically(lake / FINGERPRINT_NAME, pipeline_fingerprint())
    _log(f"pipeline: done in {manifest['total_seconds']:.1f} s")
    return manifest


def _published_together(engine: Engine):
    """DuckDB publishes the whole run in one catalog transaction; Athena switches table by table (see its docs)."""
    return engine.publish_together() if isinstance(engine, DuckDBEngine) else nullcontext()
