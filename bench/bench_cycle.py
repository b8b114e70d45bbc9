"""Benchmark of the monthly cycle: a month's RAW delivery arrives and ``mes`` publishes it (issue 21).

    .venv/bin/python bench/bench_cycle.py                    # the committed run: 1,300,000 customers
    .venv/bin/python bench/bench_cycle.py --clientes 15000 --clientes-crecimiento 5000 --out /tmp/ciclo.json

Steps, each a process of its own, measured by bench/bench_scale.py's helpers (wall time around the process, peak
memory of the process tree sampled every 20 ms):

a. Preparation (reported, not targets): ``generate --hasta 2025-11`` writes a lake whose RAW deliveries end at
   2025-11; ``pipeline`` builds every month; ``alertas --desde <first GOLD month> --hasta 2025-11`` builds the alert
   relations the book checks up to its month (an edition stops unless they match GOLD up to its period).
b. Arrival of the delivery (reported): ``generate --hasta 2025-12`` on the same lake adds the delivery 2025-12 (new
   files only). This lake is the snapshot S: 2025-11 published, the delivery 2025-12 arrived and not processed.
c. The cycle, ``--corridas`` times: S copied to a fresh folder (``cp -a``: the catalog is modified in place, so it
   is never hard-linked), then ``mes --period 2025-12`` as one process: its wall time and peak memory, the seconds
   it prints for each step (pipeline, alertas, libro), the peak memory of each step and the pipeline's per-layer log
   lines (BRONZE "loaded" ...). The figures are the median run's. The process is the command line's own ``mes``
   (``lds_utils.cli.main``), with the edition written under the work folder instead of the repository's _build/.
d. Today's way on the same snapshot, ``--corridas`` times: the BRONZE record (huella_bronze.json) removed, so the
   period run rebuilds BRONZE from every delivery, then the pipeline and the alerts of 2025-12 (the same two calls
   ``mes`` makes, timed the same way). The ratio to the cycle is reported.
e. The full rebuild on S: ``pipeline`` (every month) on a copy, for the issue's target (the committed full rebuild,
   generation and pipeline, 374.6 s at 1.3 M customers).
f. Growth with the months of history, at ``--clientes-crecimiento`` customers: for each end month of
   ``--meses-crecimiento`` a lake generated to the month before, built, extended by the month, then the cycle
   without the book (pipeline and alerts), ``--corridas-crecimiento`` times on fresh copies.

Writes ``bench/results/ciclo.json`` (machine, versions, commit, date, load, every figure, the targets) and prints a
table. The lakes live in ``--work`` (default: a temporary folder), removed at the end unless ``--keep``. Before each
copy the free space of the work folder's disk is checked against the size of what is copied.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import (RESULTS, SAMPLE_SECONDS, Run, by_layer, checked, git_commit, machine, pipeline_steps,
                         python_argv, run_step)

from lds_utils import config
from lds_utils.lake.engines import MEMORY_LIMIT
from lds_utils.lake.pipeline import BRONZE_STATE_NAME
from lds_utils.synthetic.generate import GENERACION

CLIENTES = 1_300_000
CLIENTES_CRECIMIENTO = 150_000
PERIODO = "2025-12"
MESES_CRECIMIENTO = ("2023-12", "2024-12", PERIODO)
CORRIDAS = 3
#: The issue's targets. The full rebuild's is the committed benchmark's end to end at 1.3 M customers (generation
#: and the whole pipeline, bench/results/escala.json of commit 753fb04, the figure when the issue was written).
TARGETS = {"ciclo_s": 30.0, "ciclo_pico_mb": 3 * 1024.0, "mes_s": 90.0, "reconstruccion_s": 374.6}
REFERENCIA_RECONSTRUCCION = {"commit": "753fb04", "archivo": "bench/results/escala.json", "clientes": 1_300_000,
                             "generate_s": 45.18, "pipeline_s": 329.38, "end_to_end_s": 374.56}
#: Room kept free beyond what a copy needs: the runs on a copy write new versions and DuckDB spills beside them.
DISK_MARGIN = 1.5
MARK = re.compile(r"^\[bench\] (?P<edge>inicio|fin) (?P<step>\w+)$")
BRONZE_LINE = re.compile(r"^\[bronze\] (?P<action>rebuilt|reused|loaded): (?P<reason>.*)$")
SECONDS_LINE = re.compile(r"^\s*segundos\s+(?P<steps>.+)$", re.M)


# -- lakes on disk -------------------------------------------------------------------------------------------
def disk_bytes(path: Path) -> int:
    """Bytes a folder takes on disk (what a copy needs), as du counts them (hard links once)."""
    out = subprocess.run(["du", "-s", "--block-size=1", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def require_room(where: Path, needed: int, what: str) -> None:
    free = free_bytes(where)
    if free < needed:
        raise SystemExit(f"error: {what} needs about {needed / 1e9:,.1f} GB free on the disk of {where} "
                         f"and {free / 1e9:,.1f} GB are free: free some space or give another --work")


def copy_lake(source: Path, target: Path) -> Path:
    """A whole copy (cp -a: nothing hard-linked, the catalog included) after checking the disk has room for it."""
    require_room(target.parent, int(disk_bytes(source) * DISK_MARGIN), f"copying {source}")
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


def raw_files(lake: Path) -> dict[str, int]:
    """Every RAW file under raw/ with its size."""
    raw = config.LakePaths(lake).raw
    return {path.relative_to(raw).as_posix(): path.stat().st_size for path in raw.rglob("*") if path.is_file()}


def data_lines(paths: list[Path]) -> int:
    """Records of CSV files (lines after the header; the generator writes no line break inside a field)."""
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
    return total


def summary_of(lake: Path) -> dict:
    return json.loads((lake / GENERACION).read_text(encoding="utf-8"))


# -- the measured commands -----------------------------------------------------------------------------------
def cli_argv(*args: str) -> list[str]:
    return python_argv("-m", "lds_utils", *args)


def generate(lake: Path, cap_mb: float, hasta: str, clientes: int | None = None) -> Run:
    """A new lake (with clientes) or, without, the same lake extended to hasta."""
    sizing = ["--clientes", str(clientes)] if clientes else []
    label = f"generate {clientes:,} to {hasta}" if clientes else f"generate: delivery {hasta} arrives"
    return checked(run_step(cli_argv("generate", *sizing, "--hasta", hasta, "--lake", str(lake), "--quiet"), cap_mb,
                            label), "generate")


def pipeline(lake: Path, cap_mb: float) -> Run:
    return checked(run_step(cli_argv("pipeline", "--lake", str(lake)), cap_mb, "pipeline, every month"), "pipeline")


def alertas_range(lake: Path, cap_mb: float, desde: str, hasta: str) -> Run:
    return checked(run_step(cli_argv("alertas", "--desde", desde, "--hasta", hasta, "--lake", str(lake)), cap_mb,
                            f"alertas {desde}..{hasta}"), "alertas")


def first_gold_month(lake: Path) -> str:
    from lds_utils.lake.engines import DuckDBEngine
    from lds_utils.lake.sql import load_sql

    with DuckDBEngine(lake, read_only=True) as engine:
        return str(engine.read_sql(load_sql("report", "gold_months"))["anio_mes"].iloc[0])


def cycle_run(lake: Path, cap_mb: float, period: str, build_root: Path | None, label: str) -> Run:
    """The cycle as one process: ``mes`` (with the book, edition under build_root), or without the book the same
    pipeline and alert calls ``mes`` makes, timed the same way."""
    argv = [sys.executable, __file__, "--ciclo-hijo", "--lake", str(lake), "--period", period]
    argv += ["--libro-en", str(build_root)] if build_root else []
    return checked(run_step(argv, cap_mb, label), label)


# -- reading a cycle run -------------------------------------------------------------------------------------
def marks(run: Run) -> dict[str, tuple[float, float]]:
    """Each step's start and end (seconds since the process started), from the child's marker lines."""
    starts, spans = {}, {}
    for at, line in run.log:
        match = MARK.match(line)
        if match and match["edge"] == "inicio":
            starts[match["step"]] = at
        elif match:
            spans[match["step"]] = (starts.pop(match["step"]), at)
    return spans


def printed_seconds(run: Run) -> dict[str, float]:
    """The ``segundos`` line of the summary: seconds of each step, measured by the process itself."""
    match = SECONDS_LINE.search(run.stdout)
    if not match:
        raise RuntimeError(f"no 'segundos' line in the output:\n{run.stdout[-2000:]}")
    return {name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+)", match["steps"])}


def cycle_figures(run: Run) -> dict:
    """One cycle run: wall, CPU, peak, each step's printed seconds and own peak, BRONZE's action and the
    pipeline's and the alerts' log lines."""
    spans = marks(run)
    segundos = printed_seconds(run)
    pipeline_end = spans["pipeline"][1]
    alert_start, alert_end = spans["alertas"]
    bronze = next((BRONZE_LINE.match(line) for _, line in run.log if BRONZE_LINE.match(line)), None)
    pipeline_log = dataclasses.replace(run, log=[(at, line) for at, line in run.log if at <= pipeline_end])
    alert_log = dataclasses.replace(run, log=[(at, line) for at, line in run.log if alert_start <= at <= alert_end])
    steps = pipeline_steps(pipeline_log)
    return {
        "seconds": round(run.seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2), "peak_mb": round(run.peak_mb, 1),
        "load_before": round(run.load_before, 2),
        "segundos": segundos,
        "pipeline_alertas_s": round(segundos["pipeline"] + segundos["alertas"], 2),
        "pico_por_paso_mb": {step: round(run.peak_between(start, end + SAMPLE_SECONDS), 1)
                             for step, (start, end) in spans.items()},
        "pico_pipeline_alertas_mb": round(run.peak_between(0.0, alert_end + SAMPLE_SECONDS), 1),
        "bronze": bronze["action"] if bronze else None,
        "bronze_motivo": bronze["reason"] if bronze else None,
        "capas": by_layer(steps),
        "pasos": steps,
        "pasos_alertas": [{key: step[key] for key in ("relation", "rows", "seconds")}
                          for step in pipeline_steps(alert_log)],
    }


def median_of(runs: list[dict], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 2)


def median_run(runs: list[dict], key: str) -> dict:
    """The run whose key is the median (the middle one of an odd number of runs)."""
    return sorted(runs, key=lambda run: run[key])[len(runs) // 2]


def summarise(runs: list[dict]) -> dict:
    """Medians of every figure over the runs, and the median run (by pipeline + alerts) for its layers."""
    typical = median_run(runs, "pipeline_alertas_s")
    steps = runs[0]["segundos"].keys()
    return {
        "seconds": median_of(runs, "seconds"), "cpu_seconds": median_of(runs, "cpu_seconds"),
        "peak_mb": median_of(runs, "peak_mb"), "pipeline_alertas_s": median_of(runs, "pipeline_alertas_s"),
        "pico_pipeline_alertas_mb": median_of(runs, "pico_pipeline_alertas_mb"),
        "segundos": {step: round(statistics.median(run["segundos"][step] for run in runs), 2) for step in steps},
        "pico_por_paso_mb": {step: round(statistics.median(run["pico_por_paso_mb"][step] for run in runs), 1)
                             for step in runs[0]["pico_por_paso_mb"]},
        "bronze": sorted({run["bronze"] for run in runs if run["bronze"]}),
        "capas": typical["capas"],
    }


# -- the steps of the benchmark ------------------------------------------------------------------------------
def prepare(work: Path, clientes: int, cap_mb: float, period: str) -> tuple[Path, dict]:
    """Steps a and b: a lake published to the month before period, then period's delivery arrives (snapshot S)."""
    before = config.shift_period(period, -1)
    lake = work / "instantanea"
    shutil.rmtree(lake, ignore_errors=True)
    gen = generate(lake, cap_mb, before, clientes)
    pipe = pipeline(lake, cap_mb)
    desde = first_gold_month(lake)
    alerts = alertas_range(lake, cap_mb, desde, before)
    raw_before = raw_files(lake)
    arrival = generate(lake, cap_mb, period)
    raw_after = raw_files(lake)
    new = sorted(set(raw_after) - set(raw_before))
    rewritten = sorted(path for path in raw_before if raw_after.get(path) != raw_before[path])
    raw = config.LakePaths(lake).raw
    summary = summary_of(lake)
    prepared = {
        "generate": _run_summary(gen),
        "pipeline": {**_run_summary(pipe), "capas": by_layer(pipeline_steps(pipe))},
        "alertas": {**_run_summary(alerts), "desde": desde, "hasta": before},
        "llegada_entrega": {
            **_run_summary(arrival), "periodo": period, "archivos_nuevos": len(new),
            "bytes_nuevos": sum(raw_after[path] for path in new),
            "lecturas_nuevas": data_lines([raw / path for path in new if path.startswith("acumulado/")]),
            "archivos_reescritos": rewritten,
        },
        "lago": {"clientes": clientes, "desde": summary.get("desde"), "desde_datos": summary.get("desde_datos"),
                 "hasta": summary.get("hasta"), "filas_lecturas": summary.get("filas", {}).get("acumulado"),
                 "bytes_instantanea": disk_bytes(lake), "bytes_raw": sum(raw_after.values())},
    }
    return lake, prepared


def measure_cycle(snapshot: Path, work: Path, cap_mb: float, period: str, runs: int) -> dict:
    """Step c: mes on fresh copies of the snapshot."""
    figures = []
    for index in range(runs):
        copy = copy_lake(snapshot, work / "copia")
        build_root = work / "libro"
        shutil.rmtree(build_root, ignore_errors=True)
        run = cycle_run(copy, cap_mb, period, build_root, f"mes {period}, run {index + 1}")
        figures.append({**cycle_figures(run), "bytes_despues": disk_bytes(copy)})
        shutil.rmtree(copy)
        shutil.rmtree(build_root, ignore_errors=True)
    return {"corridas": figures, "mediana": summarise(figures)}


def measure_today(snapshot: Path, work: Path, cap_mb: float, period: str, runs: int) -> dict:
    """Step d: BRONZE rebuilt from every delivery (its record removed), then the month's pipeline and alerts."""
    figures = []
    for index in range(runs):
        copy = copy_lake(snapshot, work / "copia")
        (copy / BRONZE_STATE_NAME).unlink()
        run = cycle_run(copy, cap_mb, period, None, f"BRONZE rebuilt, then {period}, run {index + 1}")
        figures.append(cycle_figures(run))
        shutil.rmtree(copy)
    return {"corridas": figures, "mediana": summarise(figures)}


def measure_rebuild(snapshot: Path, work: Path, cap_mb: float, prepared: dict) -> dict:
    """Step e: the whole pipeline on a copy of the snapshot (every delivery, every month)."""
    copy = copy_lake(snapshot, work / "copia")
    run = pipeline(copy, cap_mb)
    shutil.rmtree(copy)
    generation = prepared["generate"]["seconds"] + prepared["llegada_entrega"]["seconds"]
    return {"pipeline": {**_run_summary(run), "capas": by_layer(pipeline_steps(run))},
            "generate_s": round(generation, 2), "end_to_end_s": round(generation + run.seconds, 2),
            "referencia": REFERENCIA_RECONSTRUCCION}


def measure_growth(work: Path, clientes: int, cap_mb: float, months: list[str], runs: int, keep: bool) -> dict:
    """Step f: the cycle without the book for each end month, on a lake generated to the month before."""
    points = []
    for month in months:
        print(f"growth: {clientes:,} customers, cycle of {month}", file=sys.stderr)
        lake = work / f"crecimiento_{month}"
        shutil.rmtree(lake, ignore_errors=True)
        generate(lake, cap_mb, config.shift_period(month, -1), clientes)
        pipeline(lake, cap_mb)
        generate(lake, cap_mb, month)
        summary = summary_of(lake)
        figures = []
        for index in range(runs):
            copy = copy_lake(lake, work / "copia")
            figures.append(cycle_figures(cycle_run(copy, cap_mb, month, None, f"cycle {month}, run {index + 1}")))
            shutil.rmtree(copy)
        if not keep:
            shutil.rmtree(lake)
        desde_datos = summary.get("desde_datos") or summary["desde"]
        points.append({"periodo": month, "meses_datos": len(config.period_range(desde_datos, month)),
                       "meses_informe": len(config.period_range(summary["desde"], month)),
                       "filas_lecturas": summary.get("filas", {}).get("acumulado"),
                       "corridas_s": [run["pipeline_alertas_s"] for run in figures],
                       "mediana": summarise(figures)})
    return {"clientes": clientes, "puntos": points}


def _run_summary(run: Run) -> dict:
    return {"seconds": round(run.seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2),
            "peak_mb": round(run.peak_mb, 1), "load_before": round(run.load_before, 2)}


# -- targets and the table -----------------------------------------------------------------------------------
def targets(result: dict) -> dict:
    """Each target with its measured value and the customers it was measured with. The full rebuild is judged only
    at the size of the committed figure it is compared with."""
    cycle, clientes = result["ciclo"]["mediana"], result["preparacion"]["lago"]["clientes"]
    checks = {
        "ciclo_s": cycle["pipeline_alertas_s"],
        "ciclo_pico_mb": cycle["peak_mb"],
        "mes_s": cycle["seconds"],
    }
    if "reconstruccion" in result and clientes == REFERENCIA_RECONSTRUCCION["clientes"]:
        checks["reconstruccion_s"] = result["reconstruccion"]["end_to_end_s"]
    return {name: {"value": value, "target": TARGETS[name], "comparison": "<=", "clientes": clientes,
                   "met": value <= TARGETS[name]}
            for name, value in checks.items()}


def _row(label: str, seconds: float, peak: float | None = None, extra: str = "") -> None:
    peak_text = f"{peak:>10,.0f}" if peak is not None else f"{'':>10}"
    print(f"  {label:<50}{seconds:>10.1f}{peak_text}  {extra}")


def print_table(result: dict) -> None:
    prepared, lake = result["preparacion"], result["preparacion"]["lago"]
    print(f"\nMonthly cycle benchmark, {result['fecha']}, {result['maquina']['cpu']} "
          f"({result['maquina']['nucleos']} cores, {result['maquina']['memoria_gb']} GB), load "
          f"{result['carga_inicial']} -> {result['carga_final']}, commit {result['commit']}")
    print(f"Lake: {lake['clientes']:,} customers, {lake['filas_lecturas'] or 0:,} readings to {lake['hasta']}, "
          f"snapshot {lake['bytes_instantanea'] / 1e9:.2f} GB (RAW {lake['bytes_raw'] / 1e9:.2f} GB)")
    print(f"\n  {'step':<50}{'wall s':>10}{'peak MB':>10}")
    print("preparation (reported, not targets)")
    _row(f"generate to {prepared['alertas']['hasta']}", prepared["generate"]["seconds"], prepared["generate"]["peak_mb"])
    _row("pipeline, every month", prepared["pipeline"]["seconds"], prepared["pipeline"]["peak_mb"])
    _row(f"alertas {prepared['alertas']['desde']}..{prepared['alertas']['hasta']}", prepared["alertas"]["seconds"],
         prepared["alertas"]["peak_mb"])
    arrival = prepared["llegada_entrega"]
    _row(f"delivery {arrival['periodo']} arrives (generate)", arrival["seconds"], arrival["peak_mb"],
         f"{arrival['archivos_nuevos']} new files, {arrival['lecturas_nuevas']:,} readings, "
         f"{len(arrival['archivos_reescritos'])} earlier files rewritten")
    cycle = result["ciclo"]["mediana"]
    runs = result["ciclo"]["corridas"]
    print(f"cycle: mes --period {result['periodo']} (median of {len(runs)} runs; BRONZE {', '.join(cycle['bronze'])})")
    for step, seconds in cycle["segundos"].items():
        _row(f"  {step}", seconds, cycle["pico_por_paso_mb"].get(step))
    _row("pipeline + alertas", cycle["pipeline_alertas_s"], cycle["pico_pipeline_alertas_mb"],
         "runs " + ", ".join(f"{run['pipeline_alertas_s']:.1f}" for run in runs))
    _row("mes (process)", cycle["seconds"], cycle["peak_mb"], "runs " + ", ".join(f"{run['seconds']:.1f}" for run in runs))
    for layer, figures in cycle["capas"].items():
        _row(f"    pipeline layer {layer}", figures["seconds"], figures["peak_mb"])
    today = result["hoy"]["mediana"]
    print(f"today's way: BRONZE rebuilt, then {result['periodo']} (median of {len(result['hoy']['corridas'])} runs)")
    for step, seconds in today["segundos"].items():
        _row(f"  {step}", seconds, today["pico_por_paso_mb"].get(step))
    _row("pipeline + alertas", today["pipeline_alertas_s"], today["pico_pipeline_alertas_mb"],
         f"{result['razon_hoy_ciclo']:.1f}x the cycle")
    if "reconstruccion" in result:
        rebuild = result["reconstruccion"]
        print("full rebuild on the snapshot")
        _row("pipeline, every month", rebuild["pipeline"]["seconds"], rebuild["pipeline"]["peak_mb"],
             f"committed {rebuild['referencia']['pipeline_s']} s")
        _row("generation + pipeline", rebuild["end_to_end_s"], None,
             f"committed {rebuild['referencia']['end_to_end_s']} s")
    if "crecimiento" in result:
        growth = result["crecimiento"]
        print(f"growth with history, {growth['clientes']:,} customers (pipeline + alertas, no book)")
        for point in growth["puntos"]:
            _row(f"  {point['periodo']} ({point['meses_datos']} months of data, "
                 f"{point['filas_lecturas'] or 0:,} readings)", point["mediana"]["pipeline_alertas_s"],
                 point["mediana"]["pico_pipeline_alertas_mb"],
                 "runs " + ", ".join(f"{seconds:.1f}" for seconds in point["corridas_s"]))
    print("\nTargets")
    for name, check in result["objetivos"].items():
        print(f"  {name:<20} {check['value']:>10,.1f} {check['comparison']} {check['target']:<10,.1f}"
              f"{'met' if check['met'] else 'NOT met'}")


# -- the cycle's own process (step c, d and f) -----------------------------------------------------------------
def _marked(function, step: str):
    def wrapper(*args, **kwargs):
        print(f"[bench] inicio {step}", file=sys.stderr, flush=True)
        try:
            return function(*args, **kwargs)
        finally:
            print(f"[bench] fin {step}", file=sys.stderr, flush=True)
    return wrapper


def cycle_child(lake: str, period: str, build_root: str | None) -> int:
    """With build_root: the command line's ``mes`` (the edition under build_root). Without: the pipeline and the
    alerts of the month as ``mes`` runs and times them. Each step between marker lines on stderr."""
    from lds_utils import cli
    from lds_utils.detection import alerts
    from lds_utils.lake import pipeline as pipeline_module
    from lds_utils.reporting import book, cycle

    pipeline_module.run_pipeline = _marked(pipeline_module.run_pipeline, "pipeline")
    alerts.run_alertas = _marked(alerts.run_alertas, "alertas")
    book.build_book = _marked(book.build_book, "libro")
    if build_root:
        run_month = cycle.run_month
        cycle.run_month = lambda *args, **kwargs: run_month(*args, build_root=Path(build_root), **kwargs)
        return cli.main(["mes", "--period", period, "--lake", lake])
    segundos = {}
    for step, call in (("pipeline", lambda: pipeline_module.run_pipeline(Path(lake), period=period)),
                       ("alertas", lambda: alerts.run_alertas(Path(lake), period))):
        started = time.perf_counter()
        call()
        segundos[step] = round(time.perf_counter() - started, 2)
    print("  segundos     " + ", ".join(f"{step} {seconds:.1f}" for step, seconds in segundos.items()))
    return 0


# -- command line --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clientes", type=int, default=CLIENTES, help="customers of the cycle's lake")
    parser.add_argument("--clientes-crecimiento", type=int, default=CLIENTES_CRECIMIENTO,
                        help="customers of the growth lakes (0: no growth step)")
    parser.add_argument("--meses-crecimiento", nargs="+", default=list(MESES_CRECIMIENTO),
                        help="end months of the growth step")
    parser.add_argument("--corridas", type=int, default=CORRIDAS, help="runs of the cycle and of today's way")
    parser.add_argument("--corridas-crecimiento", type=int, default=CORRIDAS, help="runs of each growth month")
    parser.add_argument("--sin-reconstruccion", action="store_true", help="skip the full rebuild on the snapshot")
    parser.add_argument("--out", default=str(RESULTS / "ciclo.json"), help="result JSON")
    parser.add_argument("--work", default=None, help="folder for the lakes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the snapshot and the growth lakes (never the copies)")
    parser.add_argument("--memory-cap-gb", type=float, default=12.0, help="kill a step above this memory")
    parser.add_argument("--ciclo-hijo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lake", help=argparse.SUPPRESS)
    parser.add_argument("--period", default=PERIODO, help=argparse.SUPPRESS)
    parser.add_argument("--libro-en", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ciclo_hijo:
        return cycle_child(args.lake, args.period, args.libro_en)

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench_ciclo_"))
    work.mkdir(parents=True, exist_ok=True)
    cap_mb = args.memory_cap_gb * 1024
    started = time.perf_counter()
    print(f"work folder {work}: {free_bytes(work) / 1e9:,.1f} GB free", file=sys.stderr)
    result = {"fecha": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "maquina": machine(),
              "commit": git_commit(), "carga_inicial": [round(load, 2) for load in os.getloadavg()],
              "tope_memoria_duckdb": MEMORY_LIMIT, "tope_memoria_benchmark_mb": cap_mb, "periodo": args.period}
    try:
        print(f"{args.clientes:,} customers: preparation", file=sys.stderr)
        snapshot, result["preparacion"] = prepare(work, args.clientes, cap_mb, args.period)
        print("the cycle", file=sys.stderr)
        result["ciclo"] = measure_cycle(snapshot, work, cap_mb, args.period, args.corridas)
        print("today's way", file=sys.stderr)
        result["hoy"] = measure_today(snapshot, work, cap_mb, args.period, args.corridas)
        result["razon_hoy_ciclo"] = round(result["hoy"]["mediana"]["pipeline_alertas_s"]
                                          / result["ciclo"]["mediana"]["pipeline_alertas_s"], 2)
        if not args.sin_reconstruccion:
            print("full rebuild", file=sys.stderr)
            result["reconstruccion"] = measure_rebuild(snapshot, work, cap_mb, result["preparacion"])
        if not args.keep:
            shutil.rmtree(snapshot)
        if args.clientes_crecimiento:
            result["crecimiento"] = measure_growth(work, args.clientes_crecimiento, cap_mb,
                                                   sorted(args.meses_crecimiento), args.corridas_crecimiento, args.keep)
    finally:
        if not args.keep:
            for leftover in ("instantanea", "copia", "libro", *(f"crecimiento_{m}" for m in args.meses_crecimiento)):
                shutil.rmtree(work / leftover, ignore_errors=True)
            if not args.work:
                shutil.rmtree(work, ignore_errors=True)
    result["carga_final"] = [round(load, 2) for load in os.getloadavg()]
    result["duracion_s"] = round(time.perf_counter() - started, 1)
    result["objetivos"] = targets(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(result)
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
