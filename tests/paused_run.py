"""Run ``python -m lds_utils`` but stop for good at one chosen point of the DuckDB engine's work.

``python tests/paused_run.py POINT RELATION -- CLI ARGS`` runs the CLI with one DuckDB engine method
wrapped: once that method has finished for RELATION, the process prints ``PAUSED`` on stderr and sleeps,
so a test can SIGKILL it at exactly that point instead of guessing with timers. POINT is one of:

- ``register_raw``: the RAW view of a table was created (inside the run's catalog transaction);
- ``_copy``: the relation's Parquet files are complete in its staging folder, not yet renamed;
- ``_point_view``: the new version folder exists and the catalog view points at it, uncommitted;
- ``create_view``: a KPI view was replaced, uncommitted.
"""

from __future__ import annotations

import sys
import time

from lds_utils import cli
from lds_utils.lake.engines import DuckDBEngine

#: The argument of each wrapped method (after self) that names the relation it works on.
POINTS = {
    "register_raw": lambda args: args[0],
    "_copy": lambda args: args[2].parent.name,  # staging folder lake/<layer>/<table>/.tmp-*
    "_point_view": lambda args: args[1],
    "create_view": lambda args: args[1],
}


def pause_after(point: str, relation: str) -> None:
    original = getattr(DuckDBEngine, point)
    relation_of = POINTS[point]

    def paused(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        if relation_of(args) == relation:
            print(f"PAUSED after {point} of {relation}", file=sys.stderr, flush=True)
            while True:
                time.sleep(60)
        return result

    setattr(DuckDBEngine, point, paused)


if __name__ == "__main__":
    point, relation, separator, *cli_args = sys.argv[1:]
    assert separator == "--", "usage: paused_run.py POINT RELATION -- CLI ARGS"
    pause_after(point, relation)
    raise SystemExit(cli.main(cli_args))
