"""Benchmark the synthetic data generator: wall time, peak memory, rows and bytes per table.

    .venv/bin/python bench/bench_generate.py --clientes 1300000

Generates into a temporary lake (removed afterwards unless --lake is given) and prints the figures.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lds_utils import config
from lds_utils.cli import NO_INTERVALS
from lds_utils.config import AMI_TABLES, RAW_TABLES
from lds_utils.synthetic.generate import GeneratorConfig, run_generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clientes", type=int, default=config.DEFAULT_CLIENTES)
    parser.add_argument("--seed", type=int, default=config.DEFAULT_SEED)
    parser.add_argument("--desde", default=config.DEFAULT_DESDE)
    parser.add_argument("--hasta", default=config.DEFAULT_HASTA)
    parser.add_argument("--intervalos-desde", default=GeneratorConfig.intervalos_desde,
                        help="first month of smart-meter data, or 'ninguno' (default %(default)s)")
    parser.add_argument("--lake", default=None, help="keep the lake here (default: a temporary folder)")
    parser.add_argument("--progress", action="store_true", help="show the progress bar")
    args = parser.parse_args(argv)

    intervalos_desde = None if args.intervalos_desde == NO_INTERVALS else args.intervalos_desde
    cfg = GeneratorConfig(n_clientes=args.clientes, seed=args.seed, desde=args.desde, hasta=args.hasta,
                          intervalos_desde=intervalos_desde)
    lake = Path(args.lake) if args.lake else Path(tempfile.mkdtemp(prefix="bench_generate_"))
    try:
        start = time.perf_counter()
        counts = run_generate(cfg, lake, progress=args.progress)
        seconds = time.perf_counter() - start
        # the largest process: this one, or one of the workers that write the chunks (Linux reports KiB)
        peak_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
        report(cfg, lake, counts, seconds, peak_mb)
    finally:
        if not args.lake:
            shutil.rmtree(lake, ignore_errors=True)
    return 0


def report(cfg: GeneratorConfig, lake: Path, counts: dict[str, int], seconds: float, peak_mb: float) -> None:
    print(f"generate: {cfg.n_clientes:,} clientes, {len(cfg.periodos)} meses, {cfg.n_bloques} bloques")
    print(f"wall time: {seconds:,.1f} s   peak RSS: {peak_mb:,.0f} MB")
    print(f"{'table':<20}{'rows':>16}{'MB':>12}")
    folders = {name: lake / "raw" / name for name in (*RAW_TABLES, *AMI_TABLES)}
    folders.update({name: lake / "truth" / f"{name}.csv" for name in ("anomalias", "suciedad")})
    total_rows = total_bytes = 0
    for name, path in folders.items():
        size = sum(f.stat().st_size for f in path.rglob("*.csv")) if path.is_dir() else path.stat().st_size
        total_rows += counts[name]
        total_bytes += size
        print(f"{name:<20}{counts[name]:>16,}{size / 2**20:>12,.1f}")
    print(f"{'total':<20}{total_rows:>16,}{total_bytes / 2**20:>12,.1f}")
    print(f"rows per second: {total_rows / seconds:,.0f}")


if __name__ == "__main__":
    sys.exit(main())
