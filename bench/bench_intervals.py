"""Benchmark the smart meters' data per month: generation, the pipeline's interval steps, sizes and Athena's scan.

    .venv/bin/python bench/bench_intervals.py                         # the committed run: 100,000 customers
    .venv/bin/python bench/bench_intervals.py --clientes 15000 --out /tmp/intervalos.json   # a quick look

On one lake of ``--clientes`` customers generated to ``--hasta`` with ``--meses`` months of smart-meter data
(the default configured share: the demand options and the residential pilot), it times, each step a process of
its own (bench_scale.run_step: wall time, CPU, peak memory of the process tree):

a. the generation, and the same generation without smart-meter data: the difference, per month of interval data,
   is what the intervals and events cost to generate;
b. the whole pipeline, with the interval steps on their own (RAW registration, BRONZE typing of the intervals and
   events, silver_intervalo_mensual);
c. a period run of the last month after its delivery arrived (the lake extended by one month of data): the monthly
   cycle's interval steps.

It then reads the sizes: the month's RAW CSV of intervals (what BRONZE reads in full on Athena: CSV has no column
pruning) and the Parquet it becomes, and states the scan and the cost per month on Athena at this size and scaled
to 1,300,000 customers (the share of smart meters is a share of customers, so the figures scale with them).
Writes ``bench/results/intervalos.json`` and prints a summary. The lake lives in ``--work`` (removed unless
``--keep``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench_scale import RESULTS, Run, checked, git_commit, machine, pipeline_steps, python_argv, run_step, write_result

from lds_utils import config
from lds_utils.aws import cost as aws_cost
from lds_utils.config import AMI_TABLES, LakePaths
from lds_utils.lake import rawcheck

#: The pipeline steps that read the smart meters' data.
INTERVAL_STEPS = ("lectura_intervalo", "evento_medidor", "stg_lectura_intervalo", "bronze_lectura_intervalo",
                  "stg_evento_medidor_tipado", "stg_evento_medidor", "bronze_evento_medidor",
                  "silver_intervalo_mensual")
UNIVERSE = aws_cost.UNIVERSE_CLIENTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clientes", type=int, default=100_000)
    parser.add_argument("--hasta", default=config.DEFAULT_HASTA)
    parser.add_argument("--meses", type=int, default=2, help="months of smart-meter data, ending at --hasta")
    parser.add_argument("--memory-cap-gb", type=float, default=20.0)
    parser.add_argument("--work", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", default=str(RESULTS / "intervalos.json"))
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cap_mb = args.memory_cap_gb * 1024
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_intervals_"))
    antes = config.shift_period(args.hasta, -1)
    desde = config.shift_period(args.hasta, 1 - args.meses)
    try:
        sin = _generate(work / "sin_intervalos", args.clientes, antes, "ninguno", cap_mb)  # the same months
        lake = work / "lago"
        con = _generate(lake, args.clientes, antes, desde, cap_mb)  # to the month before, then the last month arrives
        completo = checked(run_step(python_argv("-m", "lds_utils", "pipeline", "--lake", str(lake)), cap_mb,
                                    "pipeline all months"), "pipeline")
        llegada = _generate(lake, None, args.hasta, None, cap_mb)
        mensual = checked(run_step(python_argv("-m", "lds_utils", "pipeline", "--lake", str(lake), "--period",
                                               args.hasta), cap_mb, f"pipeline {args.hasta}"), "pipeline")
        generado = json.loads((lake / "generacion.json").read_text(encoding="utf-8"))
        result = {
            "fecha": dt.date.today().isoformat(), "commit": git_commit(), "maquina": machine(),
            "clientes": args.clientes, "meses_intervalos": [desde, args.hasta],
            "filas": {table: generado["filas"][table] for table in AMI_TABLES},
            "generacion": {"sin_intervalos": _summary(sin), "con_intervalos_hasta_mes_anterior": _summary(con),
                           "llegada_del_mes": _summary(llegada)},
            "pipeline_completo": _interval_steps(completo),
            "pipeline_del_mes": _interval_steps(mensual),
            "athena_por_mes": _athena_per_month(lake, args.hasta, args.clientes),
        }
        out = write_result(result, started, {}, Path(args.out))
        _print(result)
        print(f"\nwritten: {out}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _generate(lake: Path, clientes: int | None, hasta: str, intervalos_desde: str | None, cap_mb: float) -> Run:
    sizing = ["--clientes", str(clientes)] if clientes else []
    since = ["--intervalos-desde", intervalos_desde] if intervalos_desde else []
    label = f"generate {clientes:,} to {hasta} ({intervalos_desde})" if clientes else f"delivery {hasta} arrives"
    return checked(run_step(python_argv("-m", "lds_utils", "generate", *sizing, *since, "--hasta", hasta, "--lake",
                                        str(lake), "--quiet"), cap_mb, label), "generate")


def _summary(run: Run) -> dict:
    return {"seconds": round(run.seconds, 2), "cpu_seconds": round(run.cpu_seconds, 2), "peak_mb": round(run.peak_mb)}


def _interval_steps(run: Run) -> dict:
    steps = [step for step in pipeline_steps(run) if step["relation"] in INTERVAL_STEPS]
    return {"total_s": round(run.seconds, 2), "peak_mb": round(run.peak_mb), "pasos_intervalos": steps,
            "pasos_intervalos_s": round(sum(step["seconds"] for step in steps), 2)}


def _athena_per_month(lake: Path, month: str, clientes: int) -> dict:
    """What a monthly run scans of the smart meters' data: the month's RAW CSV (BRONZE reads it whole) and, for
    SILVER, two months of the typed intervals (their Parquet, an upper bound: every column)."""
    paths = LakePaths(lake)
    csv = sum(path.stat().st_size for table in AMI_TABLES
              for path in rawcheck.table_files(paths.raw_table(table), table) if f"entrega={month}" in str(path))
    typed = aws_cost.lake_sizes(lake)["bronze"]
    parquet = sum(_bytes_of(typed.get(name)) for name in ("stg_lectura_intervalo", "stg_evento_medidor_tipado"))
    months = len(generated_months(lake))
    scanned = csv + 2 * parquet / max(months, 1)
    scale = UNIVERSE / clientes
    return {"csv_del_mes_bytes": csv, "parquet_por_mes_bytes": round(parquet / max(months, 1)),
            "bytes_escaneados": round(scanned), "usd": round(scanned / aws_cost.TB * aws_cost.ATHENA_USD_PER_TB, 4),
            "bytes_escaneados_1300000": round(scanned * scale),
            "usd_1300000": round(scanned * scale / aws_cost.TB * aws_cost.ATHENA_USD_PER_TB, 4)}


def _bytes_of(size) -> float:
    if size is None:
        return 0.0
    return float(sum(size.values())) if isinstance(size, dict) else float(size)


def generated_months(lake: Path) -> list[str]:
    folder = LakePaths(lake).raw_table("lectura_intervalo")
    return sorted(path.name.removeprefix("entrega=") for path in folder.iterdir() if path.is_dir())


def _print(result: dict) -> None:
    gen = result["generacion"]
    per_month = gen["con_intervalos_hasta_mes_anterior"]
    print(f"\n{result['clientes']:,} customers, smart-meter data {result['meses_intervalos'][0]}.."
          f"{result['meses_intervalos'][1]}: {result['filas']['lectura_intervalo']:,} intervals, "
          f"{result['filas']['evento_medidor']:,} events")
    print(f"generate without intervals {gen['sin_intervalos']['seconds']:.1f} s; with them to the month before "
          f"{per_month['seconds']:.1f} s (peak {per_month['peak_mb']:,} MB); the month's delivery "
          f"{gen['llegada_del_mes']['seconds']:.1f} s (peak {gen['llegada_del_mes']['peak_mb']:,} MB)")
    for name in ("pipeline_completo", "pipeline_del_mes"):
        run = result[name]
        print(f"{name}: {run['total_s']:.1f} s, of which interval steps {run['pasos_intervalos_s']:.1f} s "
              f"(peak {run['peak_mb']:,} MB)")
        for step in run["pasos_intervalos"]:
            print(f"    {step['layer']:>6} {step['relation']:<28} {step['seconds']:7.2f} s {step['peak_mb']:>8,.0f} MB")
    athena = result["athena_por_mes"]
    print(f"Athena per month: {athena['bytes_escaneados'] / 1e9:.2f} GB, USD {athena['usd']:.4f}; at 1,300,000 "
          f"customers {athena['bytes_escaneados_1300000'] / 1e9:.1f} GB, USD {athena['usd_1300000']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
