"""Scale benchmark: the full universe end to end, a one-period run, GOLD + IQR against pandas, a scaling curve.

    .venv/bin/python bench/bench_scale.py                       # the committed run (about 20 minutes)
    .venv/bin/python bench/bench_scale.py --sizes 1500 15000 --out /tmp/escala.json   # a quick look

For every size of ``--sizes`` (default 1,500 / 15,000 / 150,000 / 1,300,000 customers, 2022-01..2025-12) it
generates a lake and runs the whole DuckDB pipeline, then times the GOLD step (theoretical bill, 12-month
history and the IQR fence, every month) twice on that lake: as the project runs it (the gold SQL files through the
DuckDB engine, the bills in slices of supplies as the pipeline computes them) and as an analyst would without the
project (pandas, with the test oracle, tests/oracle.py, reading and writing the same Parquet). On the largest size
it also runs the pipeline for its last month (``--period``), times a plain rewrite of its SILVER table and GOLD bills
(read the Parquet, write it again partitioned by month, no SQL logic: the floor the writing alone sets) and measures
the table sizes for the Athena cost estimate.

Every step runs in a process of its own. Its wall time is measured around the process; its peak memory is the
largest total resident memory of the process and its children, sampled every 20 ms (DuckDB's memory is native,
so Python's own counters would miss it), and never less than the kernel's maximum RSS of the process. Pipeline
layers get their own peaks from the same samples, cut at the pipeline's per-step log lines. A step that exceeds
``--memory-cap-gb`` is killed and reported as such (the pandas way is the one at risk).

Writes ``bench/results/escala.json`` (machine, versions, date, load, every figure) and, next to it,
``tamanos_<n>.json`` (the largest lake's table sizes, read by lds_utils.aws.cost), and prints a table.
The lakes live in a temporary folder (``--work``), removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from lds_utils import config
from lds_utils.aws import cost as aws_cost
from lds_utils.lake.engines import MEMORY_LIMIT, version_folders
from lds_utils.lake.graph import PARTITION_COLUMN
from lds_utils.lake.pipeline import ALL_MONTHS, BILLS, GOLD_RELATION, GraphRunner, Months, pipeline_parameters, relations
from lds_utils.synthetic.generate import GENERACION

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
SIZES = (1_500, 15_000, 150_000, 1_300_000)
SAMPLE_SECONDS = 0.02
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MB = 2**20
#: The one-month run lasts about 11 s: one sample is at the mercy of the machine's slow spells (18 s once, 10.4 to
#: 11.3 s by hand on the same lake), so it runs this many times and the median run is the figure.
INCREMENTAL_RUNS = 3
#: Below the full universe the GOLD step runs this many times each way, alternating project and pandas, and the
#: median run of each way is the figure: at 150 k customers single runs of the same code moved by 5 to 7 % within
#: an hour (project 12.1 to 12.9 s, pandas 49.6 to 52.6 s). The full universe runs it once (pandas cannot finish).
GOLD_RUNS = 3
TARGETS = {"e2e_s": 180, "e2e_peak_mb": 6 * 1024, "incremental_s": 15, "gold_speedup": 4, "gold_memory_ratio": 1 / 3}
PACKAGES = ("duckdb", "pandas", "numpy", "pyarrow", "sqlglot")
# Pipeline log lines: "[bronze] stg_acumulado    7,069,013 rows   14.42 s" (also the raw check line).
STEP_LINE = re.compile(r"^\[\s*(?P<layer>\w+)\]\s+(?P<relation>.+?)\s+(?:(?P<rows>[\d,]+) rows\s+)?(?P<s>[\d.]+) s$")


# -- running and watching one step -------------------------------------------------------------------------
@dataclass
class Run:
    """One process: wall and CPU seconds, peak memory, and what it printed."""

    seconds: float
    cpu_seconds: float
    peak_mb: float
    returncode: int
    killed_at_cap: bool
    stdout: str
    log: list[tuple[float, str]]  # (seconds since start, stderr line)
    samples: list[tuple[float, float]] = field(repr=False)  # (seconds since start, MB of the process tree)
    load_before: float = 0.0

    def peak_between(self, start: float, end: float) -> float:
        inside = [mb for at, mb in self.samples if start <= at <= end]
        return max(inside, default=0.0)


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:  # the process ended while we listed its tasks
        return found
    for task in tasks:
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:  # the task ended while we looked
            continue
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (MB)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE_BYTES
        except (OSError, IndexError):
            continue
        pending += _children(current)
    return total / MB


def run_step(argv: list[str], cap_mb: float, label: str) -> Run:
    """Run argv to completion while sampling its memory; kill it (and its children) above cap_mb."""
    print(f"  {label} ...", end="", flush=True, file=sys.stderr)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.PROJECT_ROOT,
                            start_new_session=True)
    log: list[tuple[float, str]] = []
    samples: list[tuple[float, float]] = []
    killed = threading.Event()
    out_chunks: list[str] = []
    readers = [threading.Thread(target=lambda: log.extend((time.perf_counter() - started, line.rstrip("\n"))
                                                           for line in proc.stderr)),
               threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()))]
    for reader in readers:
        reader.start()
    sampler = threading.Thread(target=_sample, args=(proc, started, samples, cap_mb, killed))
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for thread in (sampler, *readers):
        thread.join()
    peak = max(max((mb for _, mb in samples), default=0.0), usage.ru_maxrss / 1024)  # ru_maxrss is in KiB
    run = Run(seconds, usage.ru_utime + usage.ru_stime, peak, proc.returncode, killed.is_set(), "".join(out_chunks),
              log, samples, load)
    print(f" {seconds:,.1f} s, {peak:,.0f} MB{' (killed at the memory cap)' if run.killed_at_cap else ''}",
          file=sys.stderr)
    return run


def _sample(proc: subprocess.Popen, started: float, samples: list, cap_mb: float, killed: threading.Event) -> None:
    while proc.returncode is None:
        try:
            os.kill(proc.pid, 0)
        except ProcessLookupError:
            return
        mb = tree_rss_mb(proc.pid)
        if mb == 0.0:  # gone (a zombie has no resident memory)
            return
        samples.append((time.perf_counter() - started, mb))
        if mb > cap_mb and not killed.is_set():
            killed.set()
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(SAMPLE_SECONDS)


def checked(run: Run, what: str) -> Run:
    if run.returncode != 0 and not run.killed_at_cap:
        tail = "\n".join(line for _, line in run.log[-15:])
        raise RuntimeError(f"{what} failed with exit code {run.returncode}:\n{tail}")
    return run


# -- the measured steps ------------------------------------------------------------------------------------
def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


def generate(lake: Path, n: int, cap_mb: float) -> Run:
    argv = python_argv("-m", "lds_utils", "generate", "--clientes", str(n), "--lake", str(lake), "--quiet",
                       "--intervalos-desde", "ninguno")  # smart-meter data: bench/bench_intervals.py
    return checked(run_step(argv, cap_mb, f"generate {n:,}"), "generate")


def pipeline(lake: Path, cap_mb: float, period: str | None = None) -> Run:
    argv = python_argv("-m", "lds_utils", "pipeline", "--lake", str(lake), *(["--period", period] if period else []))
    return checked(run_step(argv, cap_mb, f"pipeline {period or 'all months'}"), "pipeline")


def pipeline_steps(run: Run) -> list[dict]:
    """Each pipeline step of the log: layer, relation, rows, seconds and its own peak memory."""
    steps, previous_end = [], 0.0
    for at, line in run.log:
        match = STEP_LINE.match(line)
        if not match:
            continue
        rows = match["rows"]
        relation = "raw_files" if match["layer"] == "check" else match["relation"]
        steps.append({"layer": match["layer"], "relation": relation,
                      "rows": int(rows.replace(",", "")) if rows else None, "seconds": float(match["s"]),
                      "peak_mb": round(run.peak_between(previous_end, at + SAMPLE_SECONDS), 1)})
        previous_end = at
    return steps


def by_layer(steps: list[dict]) -> dict[str, dict]:
    """Seconds and peak memory per layer; the KPI views are their own group."""
    layers: dict[str, dict] = {}
    for step in steps:
        name = "views" if step["relation"].startswith("vw_") else step["layer"]
        layer = layers.setdefault(name, {"seconds": 0.0, "peak_mb": 0.0})
        layer["seconds"] = round(layer["seconds"] + step["seconds"], 2)
        layer["peak_mb"] = max(layer["peak_mb"], step["peak_mb"])
    return layers


def gold_both_ways(lake: Path, cap_mb: float, runs: int = 1) -> dict:
    """The GOLD + IQR step as the project runs it and the pandas way, on the same lake, runs times each way
    (alternating): the median run of each way is its figure."""
    project_runs, pandas_runs = [], []
    for _ in range(runs):
        project_runs.append(checked(run_step(python_argv(__file__, "--gold-step", "project", "--lake", str(lake)),
                                             cap_mb, "GOLD + IQR, project (DuckDB SQL)"), "GOLD step"))
        pandas_runs.append(checked(run_step(python_argv(__file__, "--gold-step", "pandas", "--lake", str(lake)),
                                            cap_mb, "GOLD + IQR, pandas"), "pandas GOLD step"))
    project, pandas_way = median_run(project_runs), median_run(pandas_runs)
    result = {"project": _gold_summary(project, project_runs), "pandas": _gold_summary(pandas_way, pandas_runs)}
    if not pandas_way.killed_at_cap:
        result["speedup"] = round(pandas_way.seconds / project.seconds, 2)
        result["memory_ratio"] = round(project.peak_mb / pandas_way.peak_mb, 3)
        result["same_result"] = result["project"]["output"] == result["pandas"]["output"]
    return result


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def _gold_summary(run: Run, runs: list[Run]) -> dict:
    output = json.loads(run.stdout) if run.returncode == 0 and run.stdout.strip() else None
    return {**_run_summary(run), "killed_at_memory_cap": run.killed_at_cap, "output": output,
            "runs_s": [round(each.seconds, 2) for each in runs]}


# -- the GOLD step itself (run in a child process by gold_both_ways) ---------------------------------------
def gold_step_project(lake: Path) -> dict:
    from lds_utils.lake.engines import DuckDBEngine

    with DuckDBEngine(lake) as engine:
        runner = GraphRunner(engine, pipeline_parameters())
        runner.build(relations(["gold"]), Months.every())  # the alert relations are built on request only
        rows = next(step.rows for step in runner.results if step.relation == BILLS)
        atypical = engine.read_sql(f"select count_if(es_atipico) as n from gold_db.{GOLD_RELATION}")["n"].iloc[0]
    return {"rows": int(rows), "atipicos": int(atypical)}


def gold_step_pandas(lake: Path, out: Path) -> dict:
    """What an analyst would write without the project: read Parquet, bill, 12-month median, fence, write."""
    import numpy as np
    import pandas as pd

    from lds_utils.detection import detect
    from tests import oracle

    silver_columns = ["id_suministro", "anio_mes", "consumo_kwh", "consumo_kwh_hp", "demanda_max_kw",
                      "dias_facturados", "fecha_ultima_lectura", "es_estimada", "n_retrocesos", "pct_error",
                      "n_diferencias", "anio", "mes"]
    silver = pd.read_parquet(_current_version(lake, "silver", "silver_consumo_mensual"), columns=silver_columns)
    silver["anio_mes"] = silver["anio_mes"].astype(str)
    bronze = {table: pd.read_parquet(_current_version(lake, "bronze", f"bronze_{table}"), columns=columns)
              for table, columns in oracle.BRONZE_COLUMNS.items() if table not in ("acumulado", "medidor")}
    bills = oracle.bill_reference(silver, bronze, *ALL_MONTHS)
    history = detect.own_history(bills, "facturacion_teorica")
    bills["meses_historia"] = history["meses"]
    bills["facturacion_referencia"] = history["mediana"]
    bills["valor_evaluado"] = np.log(bills["facturacion_teorica"] / bills["facturacion_referencia"])
    gold = oracle.fence_reference(bills)
    gold["umbral_soles"] = gold["facturacion_referencia"] * np.exp(gold["umbral_atipico"])
    gold.to_parquet(out, partition_cols=[PARTITION_COLUMN], compression="snappy", index=False)
    return {"rows": int(len(gold)), "atipicos": int(gold["es_atipico"].sum())}


def write_floor(lake: Path, cap_mb: float) -> dict:
    """Rewrite the finished SILVER and GOLD bills as they are: the Parquet reading and writing no SQL avoids."""
    floor = {}
    for layer, table in [(relation.layer, relation.name) for relation in relations() if relation.sliced]:
        run = checked(run_step(python_argv(__file__, "--rewrite", f"{layer}/{table}", "--lake", str(lake)), cap_mb,
                               f"rewrite {table}"), f"rewrite of {table}")
        floor[table] = {**_run_summary(run), **json.loads(run.stdout)}
    return floor


def rewrite_table(lake: Path, layer: str, table: str) -> dict:
    """Copy a monthly table, read through the catalog, into a scratch folder partitioned by month like the pipeline."""
    from lds_utils.lake.engines import DuckDBEngine

    scratch = lake / "bench_rewrite"
    shutil.rmtree(scratch, ignore_errors=True)
    with DuckDBEngine(lake, read_only=True) as engine:
        engine.con.execute("set preserve_insertion_order = false")
        rows = engine.con.execute(
            f"copy (select * from {layer}_db.{table}) to '{scratch}' "
            f"(format parquet, compression snappy, partition_by ({PARTITION_COLUMN}))"
        ).fetchone()[0]
    shutil.rmtree(scratch)
    return {"rows": int(rows)}


def _current_version(lake: Path, layer: str, table: str) -> Path:
    versions = version_folders(lake / layer / table)
    if not versions:
        raise FileNotFoundError(f"no version of {layer}/{table} in {lake}")
    return versions[-1]


# -- one size, the whole run -------------------------------------------------------------------------------
def bench_size(n: int, work: Path, cap_mb: float, largest: bool, keep: bool, results: Path) -> dict:
    lake = work / f"lago_{n}"
    gen = generate(lake, n, cap_mb)
    pipe = pipeline(lake, cap_mb)
    steps = pipeline_steps(pipe)
    summary = json.loads((lake / GENERACION).read_text(encoding="utf-8"))
    result = {
        "clientes": n,
        "filas_raw": sum(summary["filas"][table] for table in config.RAW_TABLES),
        "filas_lecturas": summary["filas"]["acumulado"],
        "filas_gold": next(s["rows"] for s in steps if s["relation"] == BILLS),
        "generate": _run_summary(gen),
        "pipeline": {**_run_summary(pipe), "layers": by_layer(steps), "steps": steps},
        "end_to_end": {"seconds": round(gen.seconds + pipe.seconds, 2),
                       "cpu_seconds": round(gen.cpu_seconds + pipe.cpu_seconds, 2),
                       "peak_mb": round(max(gen.peak_mb, pipe.peak_mb), 1)},
        "gold_step": gold_both_ways(lake, cap_mb, runs=1 if largest else GOLD_RUNS),
    }
    if largest:
        last_month = summary["hasta"]
        runs = [pipeline(lake, cap_mb, period=last_month) for _ in range(INCREMENTAL_RUNS)]
        typical = median_run(runs)
        result["incremental"] = {"period": last_month, **_run_summary(typical),
                                 "layers": by_layer(pipeline_steps(typical)),
                                 "runs_s": [round(run.seconds, 2) for run in runs]}
        result["piso_escritura"] = write_floor(lake, cap_mb)
        sizes = aws_cost.save_measurement(aws_cost.measure(lake, n), results / f"tamanos_{n}.json")
        result["medicion_tamanos"] = str(sizes.relative_to(config.PROJECT_ROOT) if sizes.is_relative_to(
            config.PROJECT_ROOT) else sizes)
    if not keep:
        shutil.rmtree(lake, ignore_errors=True)
    return result


def _run_summary(run: Run) -> dict:
    return {"seconds": round(run.seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2),
            "peak_mb": round(run.peak_mb, 1), "load_before": round(run.load_before, 2)}


# -- context, targets, table -------------------------------------------------------------------------------
def machine() -> dict:
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    return {
        "cpu": cpu.group(1).strip() if cpu else platform.processor(),
        "nucleos": os.cpu_count(),
        "memoria_gb": round(int(memory.group(1)) / 2**20, 1) if memory else None,
        "sistema": platform.platform(),
        "python": platform.python_version(),
        "versiones": {package: metadata.version(package) for package in PACKAGES},
    }


def git_commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=config.PROJECT_ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "lds_utils", "sql"], capture_output=True,
                           text=True, cwd=config.PROJECT_ROOT).stdout.strip()
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


def targets(runs: list[dict]) -> dict:
    """Each target with its measured value and the size it was measured at.

    The GOLD comparison is judged at the largest size where the pandas way finished within the memory cap.
    """
    largest = runs[-1]
    compared = [run for run in runs if "speedup" in run["gold_step"]]
    gold = compared[-1] if compared else {"clientes": None, "gold_step": {}}
    checks = {
        "e2e_s": (largest["end_to_end"]["seconds"], "<", largest["clientes"]),
        "e2e_peak_mb": (largest["end_to_end"]["peak_mb"], "<", largest["clientes"]),
        "incremental_s": (largest["incremental"]["seconds"], "<", largest["clientes"]),
        "gold_speedup": (gold["gold_step"].get("speedup"), ">=", gold["clientes"]),
        "gold_memory_ratio": (gold["gold_step"].get("memory_ratio"), "<=", gold["clientes"]),
    }
    return {name: {"value": value, "target": TARGETS[name], "comparison": op, "clientes": clientes,
                   "met": value is not None and (value < TARGETS[name] if op == "<" else
                                                 value >= TARGETS[name] if op == ">=" else value <= TARGETS[name])}
            for name, (value, op, clientes) in checks.items()}


def _print_row(label: str, figures: dict) -> None:
    cpu = f"{figures['cpu_seconds']:.1f}" if "cpu_seconds" in figures else ""
    print(f"{label:<28}{figures['seconds']:>10.1f}{cpu:>10}{figures['peak_mb']:>10,.0f}")


def _seconds(times: list[float]) -> str:
    return ", ".join(f"{seconds:.1f}" for seconds in times)


def print_table(result: dict) -> None:
    largest = result["corridas"][-1]
    print(f"\nScale benchmark, {result['fecha']}, {result['maquina']['cpu']} ({result['maquina']['nucleos']} cores, "
          f"{result['maquina']['memoria_gb']} GB), load {result['carga_inicial']} -> {result['carga_final']}, "
          f"commit {result['commit']}, DuckDB memory cap {result['tope_memoria_duckdb']}")
    print(f"\nFull run: {largest['clientes']:,} customers, {largest['filas_lecturas']:,} readings, "
          f"{largest['filas_gold']:,} GOLD rows")
    print(f"{'step':<28}{'wall s':>10}{'CPU s':>10}{'peak MB':>10}")
    _print_row("generate", largest["generate"])
    for name, layer in largest["pipeline"]["layers"].items():
        _print_row(f"  pipeline {name}", layer)
    _print_row("pipeline (process)", largest["pipeline"])
    _print_row("end to end", largest["end_to_end"])
    _print_row(f"incremental {largest['incremental']['period']}", largest["incremental"])
    if "runs_s" in largest["incremental"]:
        print(f"  (the median of {len(largest['incremental']['runs_s'])} runs: "
              f"{_seconds(largest['incremental']['runs_s'])} s)")
    for table, floor in largest.get("piso_escritura", {}).items():
        _print_row(f"rewrite only: {table.split('_')[0]}", floor)
    print(f"\nGOLD + IQR step, every month  {'wall s':>10}{'CPU s':>10}{'peak MB':>10}{'rows':>14}{'atypical':>10}")
    for size in result["corridas"]:
        for way in ("project", "pandas"):
            step = size["gold_step"][way]
            out = step["output"] or {}
            status = " killed at the memory cap" if step["killed_at_memory_cap"] else ""
            print(f"  {size['clientes']:>9,} {way:<18}{step['seconds']:>10.1f}{step['cpu_seconds']:>10.1f}"
                  f"{step['peak_mb']:>10,.0f}{out.get('rows', 0):>14,}{out.get('atipicos', 0):>10,}{status}")
        gold = size["gold_step"]
        runs = {way: gold[way].get("runs_s", []) for way in ("project", "pandas")}
        if len(runs["project"]) > 1:
            listed = "; ".join(f"{way} {_seconds(times)}" for way, times in runs.items())
            print(f"  {'':>9} (the median of the runs: {listed} s)")
        if "speedup" in gold:
            print(f"  {'':>9} pandas / project: {gold['speedup']:.1f}x time, project memory "
                  f"{gold['memory_ratio']:.2f} of pandas, same result: {gold['same_result']}")
    print(f"\nScaling curve{'':<5}{'readings':>14}{'generate s':>12}{'pipeline s':>12}{'total s':>10}"
          f"{'peak MB':>10}{'us/reading':>12}")
    for size in result["corridas"]:
        e2e = size["end_to_end"]
        print(f"  {size['clientes']:>12,}{size['filas_lecturas']:>14,}{size['generate']['seconds']:>12.1f}"
              f"{size['pipeline']['seconds']:>12.1f}{e2e['seconds']:>10.1f}{e2e['peak_mb']:>10,.0f}"
              f"{1e6 * e2e['seconds'] / size['filas_lecturas']:>12.2f}")
    print("\nTargets")
    for name, check in result["objetivos"].items():
        print(f"  {name:<20} {check['value']!s:>10} {check['comparison']} {check['target']:<10g}"
              f"{'met' if check['met'] else 'NOT met':<9} at {check['clientes'] or 0:,} customers")


# -- command line ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="customers per run (ascending)")
    parser.add_argument("--out", default=str(RESULTS / "escala.json"), help="result JSON")
    parser.add_argument("--work", default=None, help="folder for the lakes (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the lakes")
    parser.add_argument("--memory-cap-gb", type=float, default=12.0, help="kill a step above this memory")
    parser.add_argument("--gold-step", choices=("project", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--rewrite", help=argparse.SUPPRESS)
    parser.add_argument("--lake", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gold_step:
        return _gold_step_child(args.gold_step, Path(args.lake))
    if args.rewrite:
        print(json.dumps(rewrite_table(Path(args.lake), *args.rewrite.split("/"))))
        return 0

    sizes = sorted(args.sizes)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench_scale_"))
    started = time.perf_counter()
    result = {"fecha": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "maquina": machine(),
              "commit": git_commit(), "carga_inicial": [round(load, 2) for load in os.getloadavg()],
              "tope_memoria_duckdb": MEMORY_LIMIT, "tope_memoria_benchmark_mb": args.memory_cap_gb * 1024,
              "corridas": []}
    try:
        for n in sizes:
            print(f"{n:,} customers", file=sys.stderr)
            result["corridas"].append(bench_size(n, work, args.memory_cap_gb * 1024, n == sizes[-1], args.keep,
                                                 Path(args.out).parent))
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    out = write_result(result, started, targets(result["corridas"]), Path(args.out))
    print_table(result)
    print(f"\nwritten: {out}")
    return 0


def write_result(result: dict, started: float, objetivos: dict, out: Path) -> Path:
    """Close the result (load at the end, duration, targets) and write it as JSON to out."""
    result["carga_final"] = [round(load, 2) for load in os.getloadavg()]
    result["duracion_s"] = round(time.perf_counter() - started, 1)
    result["objetivos"] = objetivos
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def _gold_step_child(way: str, lake: Path) -> int:
    if way == "project":
        output = gold_step_project(lake)
    else:
        out = lake / "bench_pandas_gold"
        shutil.rmtree(out, ignore_errors=True)
        output = gold_step_pandas(lake, out)
        shutil.rmtree(out, ignore_errors=True)
    print(json.dumps(output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
