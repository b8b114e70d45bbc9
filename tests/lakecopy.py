"""Copies of the session's sample lake for tests that damage its input or kill runs on it.

``copy_raw`` copies raw/ only, for tests that need a lake built by their own run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from lds_utils import cli
from lds_utils.config import DATABASES, LakePaths
from lds_utils.lake import rawcheck
from lds_utils.lake.registry import open_engine
from lds_utils.synthetic.generate import GENERACION

BUILT_LAYERS = ("bronze", "silver", "gold")


def copy_raw(source: Path, target: Path) -> Path:
    """A new lake at target with source's raw/ and generacion.json: nothing built yet."""
    shutil.copytree(LakePaths(source).raw, LakePaths(target).raw)
    shutil.copy2(source / GENERACION, target / GENERACION)
    return target


def raw_file(lake: Path, table: str) -> Path:
    """The largest file of a raw table (of its deliveries, the one with most rows)."""
    return max(rawcheck.table_files(LakePaths(lake).raw_table(table), table), key=lambda path: path.stat().st_size)


def delivery_file(lake: Path, table: str, entrega: str) -> Path:
    """The first part file of one delivery of a raw table."""
    return sorted((LakePaths(lake).raw_table(table) / f"entrega={entrega}").glob("*.csv"))[0]


def rewrite_lines(path: Path, change) -> None:
    """Replace the file's lines (without line breaks) by change(lines); LF endings, UTF-8."""
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(change(lines)) + "\n", encoding="utf-8")


def snapshot(lake: Path, databases=tuple(DATABASES.values())) -> dict[str, tuple[int, int]]:
    """Rows and an order-independent checksum of every table and view of the given catalog databases."""
    with open_engine("duckdb", lake, read_only=True) as engine:
        relations = engine.read_sql(
            "select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join(repr(database) for database in databases)})"
        )
        return {
            f"{schema}.{name}": tuple(int(value) for value in engine.con.execute(
                f"select count(*), coalesce(sum(hash(t)), 0) from {schema}.{name} as t").fetchone())
            for schema, name in zip(relations["table_schema"], relations["table_name"])
        }


def leftovers(lake: Path) -> list[str]:
    """Anything in a table folder besides its one current version (staging folders, old versions); the alert lists'
    folder (gold/alertas/) is no table folder."""
    paths = LakePaths(lake)
    found = []
    for layer in BUILT_LAYERS:
        for table_dir in sorted(p for p in paths.layer(layer).iterdir() if p.is_dir() and p != paths.gold / "alertas"):
            entries = sorted(entry.name for entry in table_dir.iterdir())
            if len(entries) != 1 or not entries[0].startswith("v"):
                found.append(f"{layer}/{table_dir.name}: {entries}")
    return found


def file_digests(lake: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file in the lake but the lock file, by relative path."""
    return {
        str(path.relative_to(lake)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(lake.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def cp_a(source: Path, target: Path) -> Path:
    """A copy of a lake made as a user makes one: ``cp -a`` (hard links, modes and times kept)."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


def run_cli(capsys, *args) -> tuple[int, str]:
    """A command as the user types it: its exit code and the last line of its stderr (after the progress lines, the
    one line of a failure; never a traceback)."""
    capsys.readouterr()
    code = cli.main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, (err.strip().splitlines() or [""])[-1]
