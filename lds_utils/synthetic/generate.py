"""Synthetic RAW data for the lake, grounded in lds_utils/synthetic/reference.yaml, plus its ground truth.

``run_generate(cfg, lake)`` writes the monthly deliveries ``raw/<tabla>/entrega=YYYY-MM/part-NNNNN.csv`` (the eight
tables of ``lds_utils.lake.schema``: CSV, comma, UTF-8, header, ISO dates, dot decimals, empty = null; which delivery
brings a row: lds_utils.synthetic.deliveries), ``truth/anomalias.csv``, ``truth/legitimos.csv`` (legitimate
behaviour a detector may mistake for an anomaly) and ``truth/suciedad.csv`` (for evaluation only: the pipeline never
reads them) and ``generacion.json`` (parameters and row counts). The simulation runs to
``cfg.horizonte`` and RAW holds its deliveries up to ``cfg.hasta``: a lake generated to a month knows nothing after it,
and on a lake generated with the same parameters to an earlier month only the later deliveries are written (an
extension), which gives the bytes one generation to ``cfg.hasta`` gives. Customers are generated in fixed chunks
with their own random streams, one part file per chunk and delivery, so the output is byte-identical for the same
configuration and memory stays flat at any scale; with several chunks, one worker process per core writes them (the
bytes do not depend on which process wrote a chunk). Everything is written to a staging folder and then moved into
place: a new generation swaps raw/ and truth/ whole; an extension moves its delivery folders into raw/ under a marker
(``config.DELIVERY_MARKER``) the pipeline refuses and the next run undoes. A failed run leaves the previous lake intact
and no staging behind (what a killed run left is removed by the next run before it checks the disk).

It takes the lake lock (never rewriting raw/ under a running pipeline), writes only into a new or
empty folder or a lake (``config.require_lake_or_empty``), and never deletes a file it did not write:
a raw/ or truth/ holding anything else (an analyst's note, a real extract, a symbolic link) is refused
in one line naming it. A full disk, a read-only filesystem or a refused permission stops it in one
line (``config.writing``).

``consumo_esperado(cfg)`` replays the simulation without writing and returns the intended
consumption per supply and billing month up to ``cfg.hasta``, for tests and evaluation.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from tqdm import tqdm

import lds_utils
from lds_utils import config
from lds_utils.config import AMI_TABLES, RAW_TABLES, LakePaths
from lds_utils.lake.pipeline import lake_lock
from lds_utils.lake.schema import column_names
from lds_utils.synthetic import ami, deliveries
from lds_utils.synthetic.catalog import (STREAM_AMI_DIRT, STREAM_DIRT, build_calendar, build_network, rng_for,
                                        sector_table, tarifa_table)
from lds_utils.synthetic.consumption import ANOMALIA_COLUMNS, TARIFA, anomalias_table, simulate_consumption
from lds_utils.synthetic.dirt import SUCIEDAD_COLUMNS, inject_dirt
from lds_utils.synthetic.legitimate import LEGITIMO_COLUMNS, legitimos_table
from lds_utils.synthetic.inspections import inspeccion_table
from lds_utils.synthetic.population import (asignacion_table, build_population, cliente_table, medidor_table,
                                            suministro_table, supply_ids)
from lds_utils.synthetic.readings import acumulado_table, build_registers
from lds_utils.synthetic.settings import TIPOS_ANOMALIA, TIPOS_LEGITIMOS, GeneratorConfig

__all__ = ["GeneratorConfig", "run_generate", "consumo_esperado", "GENERACION"]

GENERACION = "generacion.json"
STAGING = config.GENERATE_LEFTOVERS[0]
TRUTH_FILES = {"anomalias": ANOMALIA_COLUMNS, "legitimos": LEGITIMO_COLUMNS, "suciedad": [*SUCIEDAD_COLUMNS, "entrega"],
               "eventos_anomalia": ami.EVENTO_ANOMALIA_COLUMNS}
#: The folders and files generate writes under raw/ and truth/ (paths relative to the lake; part files directly
#: under raw/<tabla>/ are those of earlier versions, which wrote no deliveries).
_TABLES = "|".join(RAW_TABLES)
_OWN_FOLDER = re.compile(rf"raw(/({_TABLES})(/entrega=[0-9]{{4}}-[0-9]{{2}})?)?|truth")
_OWN_FILE = re.compile(rf"raw/({_TABLES})(/entrega=[0-9]{{4}}-[0-9]{{2}})?/part-[0-9]{{5}}\.csv"
                       rf"|truth/({'|'.join(TRUTH_FILES)})\.csv")
_CSV = pcsv.WriteOptions(include_header=False, quoting_style="none")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def run_generate(cfg: GeneratorConfig, lake, progress: bool = False) -> dict[str, int]:
    """Generate the lake's RAW deliveries and ground truth under the lake lock; return every table's row count.

    On a lake this generator wrote with the same parameters up to an earlier month, only the deliveries after that
    month are written (an extension: no earlier RAW file is touched); otherwise raw/ and truth/ are replaced whole.
    A target it must not write into is refused before anything is written.
    """
    lake = config.require_lake_or_empty(Path(lake))
    refuse_foreign_files(lake)
    staging = lake / STAGING
    with config.writing(lake, f"python -m lds_utils generate --lake {lake}"):
        lake.mkdir(parents=True, exist_ok=True)
        with lake_lock(lake):  # never rewrite raw/ under a running pipeline
            for name in config.GENERATE_LEFTOVERS:
                _remove(lake / name)
            _undo_unfinished_delivery(lake)
            config.ensure_writable_dir(lake)
            extends = _extended_month(lake, cfg)
            try:
                counts, months = _generate(cfg, staging, progress, extends)
                if extends is not None:
                    counts = _with_earlier_smart_meter_rows(lake, counts)
                if extends is None:
                    (lake / GENERACION).unlink(missing_ok=True)  # never leave a summary describing other data
                    _publish(staging, lake)
                else:
                    _publish_deliveries(staging, lake, cfg)
                _write_summary(lake, cfg, counts, months)
                (lake / config.DELIVERY_MARKER).unlink(missing_ok=True)
            except BaseException:
                _remove(staging)
                raise
    return counts


def recorded_config(lake: Path) -> GeneratorConfig | None:
    """The configuration generacion.json records (None when there is none or it is unreadable).

    A lake generated before the smart meters' tables existed has none: its configuration has no intervalos_desde.
    """
    try:
        parametros = json.loads((Path(lake) / GENERACION).read_text(encoding="utf-8"))["parametros"]
        parametros.setdefault("intervalos_desde", None)
        return GeneratorConfig(**{name: _tuples(value) for name, value in parametros.items()})
    except (OSError, ValueError, KeyError, TypeError, config.UsageError):
        return None


def _tuples(value):
    """A JSON value with its lists (at any depth) as the tuples the configuration holds."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


def _extended_month(lake: Path, cfg: GeneratorConfig) -> str | None:
    """The last delivered month when cfg extends the lake's generation (same parameters, later hasta), else None."""
    recorded = recorded_config(lake)
    if recorded is None or not LakePaths(lake).raw.is_dir() or cfg.hasta <= recorded.hasta:
        return None
    return recorded.hasta if asdict(recorded) == asdict(replace(cfg, hasta=recorded.hasta)) else None


def _with_earlier_smart_meter_rows(lake: Path, counts: dict[str, int]) -> dict[str, int]:
    """An extension counts the interval and event rows it wrote: add those of the deliveries the lake had."""
    earlier = json.loads((lake / GENERACION).read_text(encoding="utf-8"))["filas"]
    return counts | {tabla: counts[tabla] + earlier.get(tabla, 0) for tabla in AMI_TABLES}


def _undo_unfinished_delivery(lake: Path) -> None:
    """Remove what an extension killed while it moved its deliveries into raw/ had moved (the marker lists it)."""
    marker = lake / config.DELIVERY_MARKER
    if not marker.exists():
        return
    unfinished = json.loads(marker.read_text(encoding="utf-8"))
    recorded = recorded_config(lake)
    if recorded is None or recorded.hasta < unfinished["hasta"]:  # killed before its summary: not delivered
        for relative in unfinished["carpetas"]:
            _remove(lake / relative)
    marker.unlink()


def refuse_foreign_files(lake: Path) -> None:
    """Refuse (UsageError) a lake whose raw/ or truth/ holds what generate did not write: it replaces both whole."""
    foreign = _foreign_entries(lake)
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise config.UsageError(
            f"generate replaces raw/ and truth/ of {lake}, which hold what it did not write: "
            f"{', '.join(foreign[:5])}{more}; move them out of the lake (or generate into another folder)")


def _foreign_entries(lake: Path) -> list[str]:
    """Entries of raw/ and truth/ (relative paths) that generate does not write; symbolic links are never its own."""
    foreign = []
    for top in ("raw", "truth"):
        if (lake / top).is_symlink() or (lake / top).is_file():
            foreign.append(top)
            continue
        for folder, dirs, files in os.walk(lake / top):  # descends into no symbolic link
            base = Path(folder).relative_to(lake)
            own_dirs = [name for name in dirs if _own(lake, base / name, _OWN_FOLDER)]
            foreign += [(base / name).as_posix() for name in dirs if name not in own_dirs]
            foreign += [(base / name).as_posix() for name in files if not _own(lake, base / name, _OWN_FILE)]
            dirs[:] = own_dirs
    return sorted(foreign)


def _own(lake: Path, relative: Path, pattern: re.Pattern) -> bool:
    return bool(pattern.fullmatch(relative.as_posix())) and not (lake / relative).is_symlink()


def _remove(path: Path) -> None:
    """Remove a file, a symbolic link (never what it points to) or a folder, if present."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _generate(cfg: GeneratorConfig, staging: Path, progress: bool,
              after: str | None) -> tuple[dict[str, int], dict[str, int]]:
    """Write the deliveries after ``after`` (all when None) up to cfg.hasta and the whole truth/ into the staging
    folder; return the row counts of every delivery up to cfg.hasta and the month statistics."""
    calendar = build_calendar(cfg)
    network = build_network(cfg, calendar)
    window = _Window(config.month_index(calendar.periods[0]),
                     config.month_index(after) + 1 if after else config.month_index(calendar.periods[0]),
                     config.month_index(cfg.hasta))
    counts = {name: 0 for name in (*RAW_TABLES, *TRUTH_FILES)}
    months = {"meses_suministro": 0, "meses_con_anomalia": 0}
    with _Output(staging) as output, _chunks_written(cfg, calendar, network, staging, window) as chunks:
        for name, table in (("sector", sector_table(cfg, network)), ("tarifa", tarifa_table(cfg))):
            counts[name], suciedad = _deliver(cfg, staging, name, table, 0, window)
            output.truth("suciedad", suciedad)
        with tqdm(total=cfg.n_clientes, unit="clientes", desc="generando", file=sys.stderr,
                  disable=not progress) as bar:
            for chunk in chunks:  # in chunk order, so the truth files do not depend on the workers
                for name, rows in chunk.rows.items():
                    counts[name] += rows
                for suciedad in chunk.suciedad:
                    output.truth("suciedad", suciedad)
                output.truth("anomalias", chunk.anomalias)
                output.truth("legitimos", chunk.legitimos)
                output.truth("eventos_anomalia", chunk.eventos_anomalia)
                for key in months:
                    months[key] += chunk.stats[key]
                bar.update(chunk.clientes)
        counts["suciedad"] = output.rows["suciedad"]
        counts["anomalias"] = output.rows["anomalias"]
        counts["legitimos"] = output.rows["legitimos"]
        counts["eventos_anomalia"] = output.rows["eventos_anomalia"]
    return counts, months


@dataclass(frozen=True)
class _Window:
    """Deliveries as month indices: the first one of the lake, and the range this run writes."""

    first: int
    desde: int
    hasta: int


def _deliver(cfg: GeneratorConfig, staging: Path, tabla: str, table: pa.Table, chunk: int,
             window: _Window) -> tuple[int, pa.Table]:
    """Write a chunk's rows of one table, dirt included, as its deliveries in the window; return the rows of every
    delivery up to window.hasta and their dirt truth (with the delivery of each dirty row)."""
    rows, delivery = deliveries.delivered(tabla, table, window.first)
    dirtied = inject_dirt(cfg, tabla, rows, _dirt_rng(cfg, tabla, chunk))
    delivery_of_row = delivery[dirtied.origin]
    # The first chunk writes every delivery of the table, an empty one as its header: a month without new rows
    # still arrives, and a table without any row still has its files.
    for month, part in deliveries.by_delivery(dirtied.table, delivery_of_row, window.desde, window.hasta,
                                              every_month=chunk == 0):
        _write_part(staging, tabla, month, chunk, part)
    truth_delivery = delivery[dirtied.truth_origin]
    known = truth_delivery <= window.hasta
    truth = dirtied.truth.filter(pa.array(known)).append_column(
        "entrega", pa.array([config.period_from_index(int(month)) for month in truth_delivery[known]], pa.string()))
    return int((delivery_of_row <= window.hasta).sum()), truth


def consumo_esperado(cfg: GeneratorConfig) -> pd.DataFrame:
    """Intended consumption per (id_suministro, anio_mes) of every billed month, as the registers record it.

    consumo_kwh is what SILVER should recover from clean readings (anomalies included, integer register
    steps x factor); consumo_normal_kwh is what the supply really used; anomalia names the injected
    anomaly of that month, if any. Rebuilds the simulation in memory: meant for small configurations.
    """
    calendar = build_calendar(cfg)
    network = build_network(cfg, calendar)
    delivered = _delivered_columns(calendar, cfg)
    frames = []
    for chunk in range(cfg.n_bloques):
        pop = build_population(cfg, calendar, network, chunk)
        cons = simulate_consumption(cfg, calendar, pop)
        registers = build_registers(pop, cons)
        supply, month = np.nonzero(cons.closing[delivered])
        anomaly = cons.anomaly[supply, month]
        legitimo = cons.legitimo[supply, month]
        frames.append(pd.DataFrame({
            "id_suministro": supply_ids(pop).take(pa.array(supply)).to_pandas(),
            "anio_mes": np.array(calendar.periods)[month],
            "consumo_kwh": registers.recorded_kwh[supply, month].astype(float),
            "consumo_normal_kwh": cons.normal[supply, month],
            "dias": cons.days[supply, month],
            "anomalia": pd.Series(np.array(TIPOS_ANOMALIA, dtype=object)[np.maximum(anomaly, 0)]).where(anomaly >= 0),
            "legitimo": pd.Series(np.array(TIPOS_LEGITIMOS, dtype=object)[np.maximum(legitimo, 0)]).where(legitimo >= 0),
        }))
    return pd.concat(frames, ignore_index=True)


def _delivered_columns(calendar, cfg: GeneratorConfig) -> slice:
    """The calendar's months up to cfg.hasta (the simulation runs on to cfg.horizonte)."""
    return np.s_[:, :calendar.periods.index(cfg.hasta) + 1]


def _chunk_tables(cfg: GeneratorConfig, calendar, network, chunk: int):
    pop = build_population(cfg, calendar, network, chunk)
    cons = simulate_consumption(cfg, calendar, pop)
    registers = build_registers(pop, cons)
    events = cons.events
    wrong = events.of_type(TARIFA)
    raw = {
        "cliente": cliente_table(cfg, pop, network),
        "suministro": suministro_table(pop, network),
        "medidor": medidor_table(pop),
        "asignacion_tarifa": asignacion_table(pop, calendar, events.supply[wrong], events.start[wrong],
                                              events.end[wrong], events.wrong_option[wrong]),
        "acumulado": acumulado_table(cfg, calendar, pop, cons, registers),
        "inspeccion": inspeccion_table(cfg, calendar, pop, cons),
    }
    billed = np.s_[:, 1:calendar.periods.index(cfg.hasta) + 1]  # column 0: opening readings only
    stats = {"meses_suministro": int(cons.closing[billed].sum()),
             "meses_con_anomalia": int((cons.anomaly[billed] >= 0).sum())}
    known = {"anomalias": _known_anomalies(anomalias_table(events, pop, calendar), cfg.hasta),
             "legitimos": _known_anomalies(legitimos_table(cons.legitimate, pop, calendar), cfg.hasta)}
    return raw, known, stats, (pop, cons)


def _known_anomalies(anomalias: pa.Table, hasta: str) -> pa.Table:
    """The anomalies (or legitimate events) begun by ``hasta``, those still running then cut at ``hasta``."""
    begun = anomalias.filter(pc.less_equal(anomalias.column("anio_mes_inicio"), hasta))
    fin = begun.column("anio_mes_fin")
    cut = pc.if_else(pc.greater(fin, hasta), pa.scalar(hasta), fin)
    return begun.set_column(begun.schema.get_field_index("anio_mes_fin"), "anio_mes_fin", cut)


@dataclass
class _ChunkWritten:
    """What the parent needs of a chunk whose RAW part files a worker has written."""

    clientes: int
    rows: dict[str, int]
    suciedad: list[pa.Table]  # in RAW_TABLES order, then the smart meters' by month
    anomalias: pa.Table
    legitimos: pa.Table
    stats: dict[str, int]
    eventos_anomalia: pa.Table


def _write_chunk(cfg: GeneratorConfig, calendar, network, staging: Path, window: _Window,
                 chunk: int) -> _ChunkWritten:
    raw, events, stats, (pop, cons) = _chunk_tables(cfg, calendar, network, chunk)
    rows, suciedad = {}, []
    for name, table in raw.items():
        rows[name], truth = _deliver(cfg, staging, name, table, chunk, window)
        suciedad.append(truth)
    ami_rows, ami_truth, links = _deliver_smart_meters(cfg, calendar, network, staging, window, pop, cons)
    clientes = min(cfg.clientes_por_bloque, cfg.n_clientes - chunk * cfg.clientes_por_bloque)
    return _ChunkWritten(clientes, rows | ami_rows, suciedad + ami_truth, events["anomalias"], events["legitimos"], stats,
                         links)


def _deliver_smart_meters(cfg: GeneratorConfig, calendar, network, staging: Path, window: _Window, pop, cons):
    """Write a chunk's interval and event files of the window's months from ``cfg.intervalos_desde``; return the rows
    written per table, the dirt truth and the tamper links of every month up to window.hasta (months before the
    window are replayed without their intervals, for the truth only)."""
    rows = dict.fromkeys(AMI_TABLES, 0)
    truths, links = [], [pa.table({name: pa.array([], pa.string()) for name in ami.EVENTO_ANOMALIA_COLUMNS})]
    if cfg.intervalos_desde is None:
        return rows, truths, links[0]
    meters = ami.smart_meters(cfg, pop)
    first_column = config.month_index(calendar.periods[0])
    for month in range(max(config.month_index(cfg.intervalos_desde), window.first), window.hasta + 1):
        delivered = month >= window.desde
        data = ami.month_data(cfg, calendar, pop, cons, meters, network.n_sectors, month - first_column,
                              values=delivered)
        eventos = inject_dirt(cfg, "evento_medidor", data.eventos, rng_for(cfg, STREAM_AMI_DIRT, pop.chunk, month))
        if delivered:
            for tabla, table in (("lectura_intervalo", data.intervalos), ("evento_medidor", eventos.table)):
                if table.num_rows or pop.chunk == 0:  # the first chunk writes every month, an empty one as its header
                    _write_part(staging, tabla, month, pop.chunk, table)
                rows[tabla] += table.num_rows
        for truth in (data.suciedad, eventos.truth):
            truths.append(truth.append_column("entrega", pa.repeat(pa.scalar(config.period_from_index(month)),
                                                                   truth.num_rows)))
        links.append(data.eventos_anomalia)
    return rows, truths, pa.concat_tables(links)


@contextmanager
def _chunks_written(cfg: GeneratorConfig, calendar, network, staging: Path,
                    window: _Window) -> Iterator[Iterator[_ChunkWritten]]:
    """Every chunk written, yielded in chunk order; one worker process per core when there are several chunks.

    Each chunk draws from its own random streams, so the bytes do not depend on which process wrote it.
    Workers are forked before the parent runs any Arrow kernel, and inherit the calendar and the network.
    """
    job = partial(_write_chunk, cfg, calendar, network, staging, window)
    workers = min(os.cpu_count() or 1, cfg.n_bloques)
    if workers == 1:
        yield map(job, range(cfg.n_bloques))
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_die_with_parent,
                               initargs=(os.getpid(),))
    try:
        yield pool.map(job, range(cfg.n_bloques))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _die_with_parent(parent: int) -> None:
    """Worker start: if the generate process dies, even by SIGKILL, the kernel kills its workers too (Linux)."""
    prctl = getattr(ctypes.CDLL(None), "prctl", None)
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)


def _dirt_rng(cfg: GeneratorConfig, tabla: str, chunk: int) -> np.random.Generator:
    return rng_for(cfg, STREAM_DIRT, chunk, RAW_TABLES.index(tabla))


class _Output:
    """The staging folder: raw/<tabla>/ for the part files, and the two truth files, appended in order."""

    def __init__(self, staging: Path):
        self.staging = staging
        self.rows = {name: 0 for name in TRUTH_FILES}
        self._truth = {}

    def __enter__(self):
        for tabla in RAW_TABLES:
            (self.staging / "raw" / tabla).mkdir(parents=True)
        (self.staging / "truth").mkdir()
        for name, columns in TRUTH_FILES.items():
            sink = open(self.staging / "truth" / f"{name}.csv", "wb")
            sink.write(_header(columns))
            schema = pa.schema([(column, pa.string()) for column in columns])
            self._truth[name] = (sink, pcsv.CSVWriter(sink, schema, write_options=_CSV))
        return self

    def __exit__(self, *exc):
        for sink, writer in self._truth.values():
            writer.close()
            sink.close()
        return False

    def truth(self, name: str, table: pa.Table) -> None:
        # one chunk: Arrow 25's CSV writer writes garbage after an empty chunk whose offsets share the data buffer
        self._truth[name][1].write_table(table.combine_chunks())
        self.rows[name] += table.num_rows


def _write_part(staging: Path, tabla: str, delivery: int, chunk: int, table: pa.Table) -> None:
    """raw/<tabla>/entrega=YYYY-MM/part-NNNNN.csv in the staging folder."""
    folder = staging / "raw" / tabla / deliveries.folder(delivery)
    folder.mkdir(exist_ok=True)  # workers may create it at once
    path = folder / f"part-{chunk:05d}.csv"
    temporary = path.with_suffix(".csv.tmp")
    with open(temporary, "wb") as sink:
        sink.write(_header(column_names(tabla)))
        pcsv.write_csv(table, sink, _CSV)
    os.replace(temporary, path)


def _header(columns: list[str]) -> bytes:
    return (",".join(columns) + "\n").encode("utf-8")


def _publish(staging: Path, lake: Path) -> None:
    """Swap the staged raw/ and truth/ into the lake (each by one rename), then drop the old ones.

    run_generate removed any earlier .old-raw and .old-truth and checked that raw/ and truth/ hold only its files.
    """
    paths = LakePaths(lake)
    for target in (paths.raw, paths.truth):
        old = lake / f".old-{target.name}"
        if target.exists():
            os.replace(target, old)
        os.replace(staging / target.name, target)
        _remove(old)
    _remove(staging)


def _publish_deliveries(staging: Path, lake: Path, cfg: GeneratorConfig) -> None:
    """Move the staged deliveries into raw/ and the staged truth/ over the lake's, under a marker that lists them.

    A run killed in between leaves the marker: the pipeline refuses the incomplete RAW and the next generate
    removes what was moved before it writes the deliveries again.
    """
    paths = LakePaths(lake)
    moves = [(folder, paths.raw / folder.relative_to(staging / "raw"))
             for table in sorted((staging / "raw").iterdir()) for folder in sorted(table.iterdir())]
    present = [target.relative_to(lake).as_posix() for _, target in moves if target.exists()]
    if present:
        raise config.UsageError(f"raw/ already holds {', '.join(present)}, after the month its generacion.json "
                                f"records: it was not written by this generator; move it out of the lake")
    marker = {"hasta": cfg.hasta, "carpetas": [target.relative_to(lake).as_posix() for _, target in moves],
              "termina": f"python -m lds_utils generate --lake {lake} --hasta {cfg.hasta}"}
    _write_json(lake / config.DELIVERY_MARKER, marker)
    for folder, target in moves:
        target.parent.mkdir(exist_ok=True)
        os.replace(folder, target)
    paths.truth.mkdir(exist_ok=True)
    for name in TRUTH_FILES:
        os.replace(staging / "truth" / f"{name}.csv", paths.truth / f"{name}.csv")
    _remove(staging)


def _write_json(path: Path, content: dict) -> None:
    temporary = path.with_name(f"{path.name}.tmp")
    temporary.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _write_summary(lake: Path, cfg: GeneratorConfig, counts: dict[str, int], months: dict[str, int]) -> None:
    summary = {
        "version": lds_utils.__version__,
        "n_clientes": cfg.n_clientes,
        "seed": cfg.seed,
        "desde": cfg.desde,
        "hasta": cfg.hasta,
        "horizonte": cfg.horizonte,
        "desde_datos": cfg.desde_datos,
        "filas": counts,
        **months,
        "tasa_anomalias_realizada": round(months["meses_con_anomalia"] / max(months["meses_suministro"], 1), 5),
        "parametros": asdict(cfg),
    }
    _write_json(lake / GENERACION, summary)
