"""Benchmark the RAW pre-check (lds_utils.lake.rawcheck) against DuckDB reading the same files.

    .venv/bin/python bench/bench_rawcheck.py --lake lake            # an existing lake, e.g. the full universe
    .venv/bin/python bench/bench_rawcheck.py --copies 8 --parts 4   # the default sample, acumulado enlarged

Without --lake it generates the default sample into a temporary lake and makes acumulado larger by writing
``--parts`` part files, each holding the sample's readings ``--copies`` times. Prints MB, seconds and MB/s
of the check and of ``select count(*)`` over the same files in DuckDB (the pipeline's own CSV reader).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from lds_utils import config
from lds_utils.config import LakePaths
from lds_utils.lake import rawcheck
from lds_utils.lake.schema import column_names
from lds_utils.synthetic.generate import GeneratorConfig, run_generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", default=None, help="check this lake as it is (default: an enlarged sample)")
    parser.add_argument("--copies", type=int, default=8, help="sample readings per enlarged part file")
    parser.add_argument("--parts", type=int, default=4, help="enlarged part files of acumulado")
    args = parser.parse_args(argv)

    lake = Path(args.lake) if args.lake else Path(tempfile.mkdtemp(prefix="bench_rawcheck_"))
    try:
        if not args.lake:
            _enlarged_sample(lake, args.copies, args.parts)
        files = {table: rawcheck.table_files(LakePaths(lake).raw_table(table), table) for table in config.RAW_TABLES}
        megabytes = sum(path.stat().st_size for paths in files.values() for path in paths) / 2**20
        started = time.perf_counter()
        checked = rawcheck.check_raw(lake)
        check_seconds = time.perf_counter() - started
        started = time.perf_counter()
        read = {table: _duckdb_count(paths, table) for table, paths in files.items()}
        duckdb_seconds = time.perf_counter() - started
    finally:
        if not args.lake:
            shutil.rmtree(lake, ignore_errors=True)
    rows = {table: sum(f.rows for f in raw_files) for table, raw_files in checked.items()}
    assert rows == read, f"the check and DuckDB disagree: {rows} vs {read}"
    print(f"raw files: {sum(len(p) for p in files.values())}, {megabytes:,.1f} MB, {sum(rows.values()):,} rows")
    print(f"rawcheck: {check_seconds:7.2f} s  {megabytes / check_seconds:8.1f} MB/s")
    print(f"duckdb  : {duckdb_seconds:7.2f} s  {megabytes / duckdb_seconds:8.1f} MB/s  (count(*) over the same files)")
    return 0


def _enlarged_sample(lake: Path, copies: int, parts: int) -> None:
    cfg = GeneratorConfig(n_clientes=config.DEFAULT_CLIENTES, seed=config.DEFAULT_SEED,
                          desde=config.DEFAULT_DESDE, hasta=config.DEFAULT_HASTA)
    run_generate(cfg, lake)
    folder = LakePaths(lake).raw_table("acumulado")
    (source,) = sorted(folder.glob("*.csv"))
    header, body = source.read_bytes().split(b"\n", 1)
    source.unlink()
    for part in range(parts):
        with open(folder / f"part-{part:05d}.csv", "wb") as sink:
            sink.write(header + b"\n")
            for _ in range(copies):
                sink.write(body)


def _duckdb_count(paths: list[Path], table: str) -> int:
    files = ", ".join(f"'{path}'" for path in paths)
    types = ", ".join(f"'{name}': 'VARCHAR'" for name in column_names(table))
    return duckdb.connect().execute(
        f"select count(*) from read_csv([{files}], header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, columns = {{{types}}})"
    ).fetchone()[0]


if __name__ == "__main__":
    raise SystemExit(main())
