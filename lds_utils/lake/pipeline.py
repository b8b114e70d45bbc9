"""Runs of the relation graph: RAW -> BRONZE -> SILVER -> GOLD -> the KPI views, and the alert relations on request.

What each relation is (table, view, partitioned by month, computed in supply slices, incremental, built on request
only) is declared in its
SQL file and the order is derived from what each SELECT reads (lds_utils.lake.graph); ``GraphRunner`` builds any part of
the graph on any engine. ``run_pipeline(lake)`` rebuilds every relation but those built on request (the alerts,
``lds_utils.detection.alerts``) for every month. ``run_pipeline(lake,
period="2025-03")`` recomputes SILVER and GOLD for that month only, replacing its partitions (a re-run never
duplicates). RAW arrives in monthly deliveries (``raw/<tabla>/entrega=YYYY-MM/``); on an engine that keeps its state
in the lake, a period run loads only the deliveries that arrived since BRONZE was built (``plan_bronze``: each new
delivery is typed and checked into new partitions of the tables partitioned by entrega, stg_acumulado and
stg_<tabla>_tipado, whose earlier partitions are kept; the small steps that decide across deliveries, foreign keys,
replaced rows, rejects and reconciliation, are recomputed), reuses BRONZE when nothing arrived, and rebuilds it from
every delivery when a loaded file changed (the rule and its reasons are in plan_bronze). On an engine that keeps
its state in the lake folder only one run may use a lake at a time (a lock file); progress and timings go to stderr.

Before anything is written the RAW files are checked (lds_utils.lake.rawcheck); an engine that can then publishes the
whole run at once (DuckDB: one catalog transaction), so a run that fails or is killed leaves every table as it was.
A period run first checks the published files it reuses (BRONZE when reused, the other months of SILVER and GOLD,
which it reads and links into its new versions) against their versions' manifests (lds_utils.lake.integrity) and
stops in one line naming the damaged table, month and the command that repairs it.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from lds_utils.config import (DEFAULT_ENGINE, DELIVERY_MARKER, LOCK_FILE, RAW_TABLES, SQL_ROOT, LakePaths, RunFailed,
                              UsageError, parse_period, period_range, resolve_lake)
from lds_utils.lake import graph, rawcheck, schema
from lds_utils.lake.engines import Engine
from lds_utils.lake.graph import Relation
from lds_utils.lake.registry import engine_class
from lds_utils.rules.billing import billing_parameters
from lds_utils.rules.companion import detection_parameters

#: The GOLD bills: their incremental SELECT reads their own published rows of the 12 months before a month.
BILLS = "gold_factura_evaluada_mes"
#: The contract's gold relation: a view joining the bills to their segment's fence.
GOLD_RELATION = "gold_facturacion_teorica_mes"
ALL_MONTHS = ("0000-01", "9999-12")
MANIFEST_NAME = "pipeline_manifest.json"
FINGERPRINT_NAME = "huella_pipeline.txt"
BRONZE_STATE_NAME = "huella_bronze.json"
#: Reject reasons (SQL LIKE patterns) of the BRONZE checks against :fecha_maxima, the day-of-run date limit.
DATE_LIMITED_REASONS = ("FUERA_DE_RANGO:fecha%", "FUERA_DE_RANGO:vigencia%", "FECHA_INCONSISTENTE:%")
#: SILVER and the GOLD bills run in slices of supplies of about this many readings on an engine that computes in
#: slices. Measured at 1.3 M customers with the 4 GB DuckDB cap: SILVER as one statement spilled 41 GB and took
#: 126 s, and the GOLD bills with the fence as one statement 281 s. In 8 slices (7.7 M readings each) SILVER takes
#: 69 s with a peak of 2.7 GB (71 s and 1.5 GB in 16), the GOLD bills 114 s (117 s in 16). The larger slices are
#: the faster ones, and their peak stays under BRONZE's (4.2 GB), which sets the run's. At 150 k customers one
#: slice: the GOLD step takes 1.1 GB (0.8 GB in two) and is not slower.
READINGS_PER_SLICE = 8_000_000
#: A half-open range of id_suministro ['' = unbounded]: the whole table.
ALL_SUPPLIES = {"suministro_desde": "", "suministro_hasta": ""}


@dataclass
class StepResult:
    layer: str
    relation: str
    rows: int | None
    seconds: float


@dataclass(frozen=True)
class Months:
    """The months a run computes: every month (a full build) or desde..hasta, replacing only those partitions."""

    desde: str
    hasta: str
    partial: bool

    @classmethod
    def every(cls) -> Months:
        return cls(*ALL_MONTHS, partial=False)

    @classmethod
    def between(cls, desde: str, hasta: str) -> Months:
        period_range(desde, hasta)  # checks the order
        return cls(desde, hasta, partial=True)

    def partitions(self) -> list[str] | None:
        return period_range(self.desde, self.hasta) if self.partial else None


def relations(layers: Sequence[str] | None = None, names: Sequence[str] | None = None) -> list[Relation]:
    """The graph's relations in build order: those of some layers (but the ones built on request), or the ones
    named."""
    if names is not None:
        return [relation for relation in graph.build_order() if relation.name in names]
    return [relation for relation in graph.build_order()
            if not relation.on_request and (layers is None or relation.layer in layers)]


def view_names() -> list[str]:
    """The gold views in creation order: the contract's gold relation, then the KPI views."""
    return [relation.name for relation in relations(["gold"]) if relation.kind == "view"]


@contextmanager
def lake_lock(lake: Path) -> Iterator[None]:
    """Exclusive lock on the lake: a second run stops at once with a clear message instead of interleaving.

    The lock is the kernel's (flock), so it disappears with the process that held it, even one killed with
    SIGKILL; the lock file only records the holder's process id for the message. The lake folder must exist; on a
    read-only lake (a published copy on a read-only share) a writer stops here in one line.
    """
    lock_path = Path(lake) / LOCK_FILE
    try:
        handle = open(lock_path, "a+")
    except OSError as error:
        if error.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        raise UsageError(f"the lake {lake} is read-only (cannot open its lock file {lock_path}: {error.strerror}): "
                         "runs that write (pipeline, alertas that must build its relations) need a writable copy of "
                         "it; reading it (the report, the book, alertas of months already built with --salida) "
                         "works") from None
    with handle:
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


def locked(engine_type: type[Engine], lake: Path):
    """The lake lock where the engine keeps its state in the lake folder; nothing to lock otherwise."""
    return lake_lock(lake) if engine_type.keeps_local_state else nullcontext()


def require_lake(lake: Path, raw: bool = False) -> None:
    """Stop, before anything is created, when the lake does not exist (or, with raw, holds no RAW data)."""
    if not Path(lake).is_dir():
        raise UsageError(f"no lake at {lake}: run `python -m lds_utils generate --lake {lake}` first")
    if raw and not LakePaths(lake).raw.is_dir():
        raise UsageError(f"no raw data in {lake}: run `python -m lds_utils generate --lake {lake}` first")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class GraphRunner:
    """Builds relations of the graph against an engine, timing each step.

    params: the run's bound values (each statement gets its own months and their calendar).
    """

    def __init__(self, engine: Engine, params: dict, new_deliveries: dict[str, tuple[str, ...]] | None = None):
        self.engine = engine
        self.params = params
        self.new_deliveries = new_deliveries  # RAW table -> its deliveries to load into BRONZE; None: all, anew
        self.results: list[StepResult] = []

    def raw(self, table: str) -> None:
        started = time.perf_counter()
        self.engine.register_raw(table, schema.column_names(table))
        self._done("raw", table, None, started)

    def build(self, selected: Sequence[Relation], months: Months) -> None:
        """Build the relations (in the order given) for the months."""
        if months.partial:
            self._check_monthly_tables(selected)
        slices = None
        if any(relation.sliced for relation in selected):  # the readings of the run's months, split once
            slices = supply_slices(self.engine, {**self.params, **graph.month_parameters(months.desde, months.hasta)})
        for relation in selected:
            if relation.kind == "view":
                self._view(relation)
            elif relation.by_delivery:
                self._deliveries(relation)
            elif not relation.partitioned:
                self._table(relation, graph.statement(relation.name), {})
            elif relation.incremental and months.partial and self.engine.table_exists(relation.database,
                                                                                      relation.name):
                for month in months.partitions():  # oldest first: each month reads the ones before it
                    self._months(relation, Months(month, month, partial=True), slices, incremental=True)
            else:
                self._months(relation, months, slices)

    def _deliveries(self, relation: Relation) -> None:
        """A table of RAW deliveries: built from every delivery, or its RAW table's new deliveries added to its
        published ones (by its incremental SELECT if it has one, else by its own SELECT over those deliveries)."""
        if self.new_deliveries is None or not self.engine.table_exists(relation.database, relation.name):
            self._table(relation, graph.statement(relation.name), EVERY_DELIVERY)
            return
        new = self.new_deliveries.get(graph.raw_source(relation.name), ())
        if new:
            bounds = {"entrega_desde": min(new), "entrega_hasta": max(new)}
            self._table(relation, graph.statement(relation.name, incremental=relation.incremental), bounds,
                        partitions=list(new))
        else:
            _log(f"[{relation.layer:>6}] {relation.name:<34} no new delivery: kept")

    def _months(self, relation: Relation, months: Months, slices: list[dict] | None,
                incremental: bool = False) -> None:
        rows = self._table(relation, graph.statement(relation.name, incremental),
                           graph.month_parameters(months.desde, months.hasta), partitions=months.partitions(),
                           slices=slices if relation.sliced else None)
        if months.partial and relation.sliced and rows == 0:
            raise UsageError(f"no data for period {', '.join(months.partitions())} in "
                             f"{relation.database}.{relation.name}: is it within the lake's months?")

    def _table(self, relation: Relation, select_sql: str, month_params: dict, partitions: list[str] | None = None,
               slices: list[dict] | None = None) -> int:
        started = time.perf_counter()
        rows = self.engine.write_table(
            relation.database, relation.name, select_sql, {**self.params, **month_params},
            partition_col=relation.partition_column, partitions=partitions, slices=slices,
        )
        self._done(relation.layer, relation.name, rows, started)
        return rows

    def _view(self, relation: Relation) -> None:
        started = time.perf_counter()
        self.engine.create_view(relation.database, relation.name, graph.statement(relation.name))
        self._done(relation.layer, relation.name, None, started)

    def _check_monthly_tables(self, selected: Sequence[Relation]) -> None:
        """A run of some months replaces those months of every monthly table, or builds the first months of a new
        lake. A lake that has some of them only (built before the others existed) would end up with those months
        only in the new tables."""
        monthly = [relation for relation in selected if relation.partitioned]
        present = {f"{r.database}.{r.name}": self.engine.table_exists(r.database, r.name) for r in monthly}
        missing = [name for name, exists in present.items() if not exists]
        if missing and len(missing) < len(present):
            raise UsageError(f"the lake has no {', '.join(missing)} (it was built by an earlier version): run the "
                             "whole pipeline once, without --period")

    def _done(self, layer: str, relation: str, rows: int | None, started: float) -> None:
        seconds = time.perf_counter() - started
        self.results.append(StepResult(layer, relation, rows, seconds))
        count = "" if rows is None else f"{rows:>12,} rows "
        _log(f"[{layer:>6}] {relation:<34} {count}{seconds:7.2f} s")


def _run_steps(runner: GraphRunner, months: Months, build_bronze: bool = True) -> None:
    if build_bronze:  # a reused BRONZE was built from these very files: their RAW views are already in place
        for table in RAW_TABLES:
            runner.raw(table)
        runner.build(relations(["bronze"]), months)
    runner.build(relations(["silver", "gold"]), months)


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


def _refuse_unfinished_delivery(lake: Path) -> None:
    """Stop (RunFailed) on a lake whose last generate was killed while it moved a delivery into raw/."""
    marker = lake / DELIVERY_MARKER
    if marker.exists():
        unfinished = json.loads(marker.read_text(encoding="utf-8"))
        raise RunFailed(f"raw/ holds a delivery that generate did not finish moving in (up to {unfinished['hasta']}, "
                        f"{marker.name}): run `{unfinished['termina']}` again to finish it")


def _check_raw_files(lake: Path, engine_type: type[Engine], only: set[Path] | None = None) -> dict[str, int]:
    """Check every RAW file, or only some (lds_utils.lake.rawcheck, and the engine's own rules on headers); return
    the data records of each file checked, by its path under raw/."""
    started = time.perf_counter()
    checked = rawcheck.check_raw(lake, only)
    raw = LakePaths(lake).raw
    records = {}
    for table, files in checked.items():
        for file in files:
            engine_type.check_raw_header(table, file.path, file.columns, lake)
            records[file.path.relative_to(raw).as_posix()] = file.rows
    _log(f"[ check] raw files: {len(records)} files, {sum(records.values()):,} rows "
         f"{time.perf_counter() - started:7.2f} s")
    return records


def _raw_paths(lake: Path, relative: Sequence[str]) -> set[Path]:
    raw = LakePaths(lake).raw
    return {raw / path for path in relative}


def _rows_per_table(records: dict[str, int]) -> dict[str, int]:
    rows = dict.fromkeys(RAW_TABLES, 0)
    for path, count in records.items():
        rows[path.split("/", 1)[0]] += count
    return rows


def _bronze_plan(lake: Path, period: str | None, local_state: bool, inventory: dict[str, list[int]],
                 fecha_maxima: str) -> BronzePlan:
    """A whole run, or an engine that keeps no state in the lake, rebuilds BRONZE; a period run follows plan_bronze."""
    if not (period and local_state):
        return BronzePlan(REBUILD, "a run of every month")
    return plan_bronze(_read_bronze_state(lake), inventory, bronze_sql_digest(), fecha_maxima)


def check_reused(engine: Engine, period: str, build_bronze: bool) -> None:
    """Before a period run computes anything: the published files it reads or links are as recorded (BRONZE when
    reused; every other month of the SILVER and GOLD tables it rewrites, among them the GOLD bills' 12 months
    before the period that its incremental SELECT reads)."""
    rewritten = {f"{relation.database}.{relation.name}" for relation in relations(["silver", "gold"])}
    if not build_bronze:
        engine.check_published(lambda table: table.startswith("bronze_db."))
    engine.check_published(rewritten.__contains__, months=lambda month: month != period)


#: The bounds a whole build of a table of deliveries binds: every delivery, the undated one ('0000-00') included.
EVERY_DELIVERY = {"entrega_desde": rawcheck.UNDATED, "entrega_hasta": "9999-12"}


def pipeline_parameters(period: str | None = None, today: dt.date | None = None) -> dict:
    """Bound parameters of every SQL file: the run's months and their calendar (a statement computing other months
    gets its own), the date sanity limit, the regulated billing values and the alert thresholds."""
    fecha_maxima = (today or dt.date.today()).isoformat()
    return {**graph.month_parameters(*((period, period) if period else ALL_MONTHS)), "fecha_maxima": fecha_maxima,
            **ALL_SUPPLIES, **billing_parameters(), **detection_parameters()}


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


def _add_sql_files(digest, paths: Sequence[Path]) -> None:
    for path in paths:
        digest.update(path.relative_to(SQL_ROOT).as_posix().encode() + b"\0" + path.read_bytes())


def pipeline_fingerprint() -> str:
    """Fingerprint of the code that shapes the lake's layers: every layer's SQL files, the billing parameters and
    the detection's (fence and alert thresholds); the report's queries only read the lake."""
    digest = hashlib.sha256()
    _add_sql_files(digest, graph.sql_files())
    digest.update(json.dumps({**billing_parameters(), **detection_parameters()}, sort_keys=True).encode())
    return digest.hexdigest()


def read_fingerprint(lake: Path) -> str | None:
    """The fingerprint of the code whose last full DuckDB run built the lake (None if unknown)."""
    path = Path(lake) / FINGERPRINT_NAME
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def raw_inventory(lake: Path) -> dict[str, list[int]]:
    """Every RAW file (path under raw/) with its size and modification time: what BRONZE is built from.

    File metadata, not content, as make and rsync do: a RAW file rewritten in place gets a new modification time.
    """
    paths = LakePaths(lake)
    inventory = {}
    for table in RAW_TABLES:
        for path in rawcheck.table_files(paths.raw_table(table), table):
            stat = path.stat()
            inventory[path.relative_to(paths.raw).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return inventory


def bronze_sql_digest() -> str:
    digest = hashlib.sha256()
    _add_sql_files(digest, sorted((SQL_ROOT / "bronze").glob("*.sql")))
    return digest.hexdigest()


def _dated_rejects(engine: Engine) -> int:
    """Rejected rows whose reason may come from the date limit: the only BRONZE verdicts that depend on the day."""
    condition = " or ".join(f"motivo like '{pattern}'" for pattern in DATE_LIMITED_REASONS)
    counted = engine.read_sql(f"select count(*) as n from bronze_db.bronze_rechazos where {condition}")
    return int(counted["n"].iloc[0])


@dataclass(frozen=True)
class BronzePlan:
    """What a period run does with BRONZE: rebuild it from every delivery, reuse it, or load the new deliveries."""

    action: str  # REBUILD, REUSE or LOAD
    reason: str
    new_files: tuple[str, ...] = ()  # LOAD: paths under raw/ of the files of the new deliveries
    new_deliveries: dict[str, tuple[str, ...]] | None = None  # LOAD: RAW table -> its new deliveries, oldest first


REBUILD, REUSE, LOAD = "rebuilt", "reused", "loaded"


def _table_and_delivery(relative: str) -> tuple[str, str]:
    path = Path(relative)
    return path.parts[0], rawcheck.delivery_of(path)


def plan_bronze(state: dict | None, inventory: dict[str, list[int]], sql_digest: str, fecha_maxima: str) -> BronzePlan:
    """The rule of a period run (state: what the last BRONZE build or load recorded).

    A delivery is loaded once. BRONZE is reused when no RAW file changed and none arrived; the new deliveries are
    loaded when every loaded file is as it was and each new file belongs to a delivery of its table after the last
    one loaded. Otherwise BRONZE is rebuilt from every delivery: never built, other BRONZE SQL, a date limit that
    could change a verdict (see date_limit_allows), a loaded file that changed or disappeared, a file added to a
    loaded delivery, or a delivery older than one of its table already loaded.
    """
    if not state or state.get("sql") != sql_digest:
        return BronzePlan(REBUILD, "BRONZE was not built by this BRONZE SQL")
    if not date_limit_allows(state, fecha_maxima):
        return BronzePlan(REBUILD, f"rows were rejected for their date under the limit {state['fecha_maxima']}")
    loaded = state["archivos"]
    changed = [path for path, (size, mtime, _) in loaded.items() if inventory.get(path) != [size, mtime]]
    if changed:
        return BronzePlan(REBUILD, f"raw/{changed[0]} changed or disappeared after it was loaded on "
                                   f"{state['construido']}" + _more(changed))
    new = sorted(set(inventory) - set(loaded))
    if not new:
        return BronzePlan(REUSE, f"raw files and bronze SQL unchanged since the run of {state['construido']}")
    loaded_deliveries = {_table_and_delivery(path) for path in loaded}
    into_loaded = [path for path in new if _table_and_delivery(path) in loaded_deliveries]
    if into_loaded:
        return BronzePlan(REBUILD, f"raw/{into_loaded[0]} was added to a delivery already loaded" + _more(into_loaded))
    arrived: dict[str, set[str]] = {}
    for table, delivery in map(_table_and_delivery, new):
        arrived.setdefault(table, set()).add(delivery)
    for table, deliveries in sorted(arrived.items()):
        last = max((delivery for loaded_table, delivery in loaded_deliveries if loaded_table == table), default=None)
        if last is not None and min(deliveries) <= last:
            return BronzePlan(REBUILD, f"the {table} delivery {min(deliveries)} arrived after {last} was loaded")
    return BronzePlan(LOAD, f"{len(new)} new raw files", tuple(new),
                      {table: tuple(sorted(deliveries)) for table, deliveries in arrived.items()})


def _more(paths: list[str]) -> str:
    return f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""


def date_limit_allows(state: dict, fecha_maxima: str) -> bool:
    """Can BRONZE built under the recorded date limit stand beside rows judged under fecha_maxima? Yes with the
    same limit, or a later one while no row was rejected for its date (every date then lies within both limits)."""
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
    lake: Path, period: str | None = None, engine: str = DEFAULT_ENGINE, dry_run: bool = False, **engine_options
) -> dict:
    """Build the graph but its on-request relations (all months, or one period); return the run manifest (steps,
    rows, seconds)."""
    engine_type = engine_class(engine)
    period = parse_period(period) if period else None
    lake = resolve_lake(lake)
    if dry_run and not engine_type.plans_dry_run:
        raise UsageError(f"--dry-run prints the plan of an engine that plans its runs; the {engine_type.name} engine "
                         "runs them: use --engine athena")
    if not dry_run:  # before the lock, which creates a file: only a lake with RAW data, or one being generated
        require_lake(lake, raw=not (lake / LOCK_FILE).exists())
    started = time.perf_counter()
    params = pipeline_parameters(period)
    months = Months.between(period, period) if period else Months.every()
    local_state = engine_type.keeps_local_state
    with locked(engine_type, lake):
        has_raw = LakePaths(lake).raw.is_dir()
        if not dry_run:
            require_lake(lake, raw=True)  # under the lock: generate may be writing raw/
            _refuse_unfinished_delivery(lake)
        _log(f"pipeline: engine={engine_type.name} period={period or 'all months'} lake={lake}")
        inventory = raw_inventory(lake) if local_state and has_raw else {}
        plan = _bronze_plan(lake, period, local_state, inventory, params["fecha_maxima"])
        build_bronze = plan.action != REUSE
        if period and local_state:
            _log(f"[bronze] {plan.action}: {plan.reason}")
        records = (_check_raw_files(lake, engine_type, only=_raw_paths(lake, plan.new_files) if plan.action == LOAD
                                    else None) if plan.action != REUSE and has_raw else {})
        if plan.action != REBUILD:  # the files loaded before, with the records the check counted then
            records = {**{path: entry[2] for path, entry in _read_bronze_state(lake)["archivos"].items()}, **records}
        raw_rows = _rows_per_table(records) if records else None
        options = {"dry_run": True, **engine_options} if dry_run else engine_options
        with engine_type.open(lake, **options) as opened, opened.publish_together():
            if period:
                check_reused(opened, period, build_bronze)
            runner = GraphRunner(opened, params, plan.new_deliveries if plan.action == LOAD else None)
            _run_steps(runner, months, build_bronze)
            if build_bronze and not dry_run:
                _check_reconciliation(opened, raw_rows)
                dated_rejects = _dated_rejects(opened)
        manifest = {
            "engine": engine_type.name,
            "period": period,
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "total_seconds": round(time.perf_counter() - started, 3),
            "raw_rows": raw_rows,
            "bronze": plan.action,
            "steps": [vars(result) for result in runner.results],
        }
        if local_state:
            _write_manifest(lake, manifest)
            if build_bronze:  # the recorded state stays valid until replaced: it describes RAW, not this run
                bronze_state = {"sql": bronze_sql_digest(), "fecha_maxima": params["fecha_maxima"],
                                "rechazos_por_fecha": dated_rejects, "construido": manifest["finished_at"],
                                "archivos": {path: [*inventory[path], rows] for path, rows in records.items()}}
                _write_atomically(lake / BRONZE_STATE_NAME, json.dumps(bronze_state, indent=1))
            if period is None:
                _write_atomically(lake / FINGERPRINT_NAME, pipeline_fingerprint())
    _log(f"pipeline: done in {manifest['total_seconds']:.1f} s")
    return manifest
