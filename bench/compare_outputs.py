"""Fingerprint what a lake and a book edition show, to prove a restructuring changed no output.

    .venv/bin/python bench/compare_outputs.py snapshot --lake L [--book _build/versions/2025-12] > after.json
    .venv/bin/python bench/compare_outputs.py diff before.json after.json

``snapshot`` opens the lake's catalog read-only and records, for every relation of bronze_db, silver_db and
gold_db, its row count and a SHA-256 of its rows sorted as text (the Parquet bytes may differ between runs, the
rows may not); for a book edition it records the visible text of every HTML page and a SHA-256 of every image.
``diff`` prints what differs and exits 1 if anything does. Build metadata differs by nature (the version, the
commit, the build time, the reproducibility page's step durations): those lines are reported apart and not
counted as differences.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb

DATABASES = ("bronze_db", "silver_db", "gold_db")
#: The reproducibility page's table of step durations: build metadata from this heading on.
DURATIONS_HEADING = "Duración de cada paso"
#: Text lines that carry build metadata rather than results.
METADATA = re.compile(r"\b(v?\d+\.\d+\.\d+\+\w+|commit|construid|generado el|\d{4}-\d\d-\d\dT\d\d:|segundos|\d+(\.\d+)? s\b)",
                      re.IGNORECASE)


def relation_fingerprints(lake: Path) -> dict[str, dict]:
    con = duckdb.connect(str(lake / "catalog.duckdb"), read_only=True)
    relations = con.execute(
        "select table_schema, table_name from information_schema.tables where table_schema in (?, ?, ?) "
        "order by 1, 2", list(DATABASES)).fetchall()
    found = {}
    for schema, name in relations:
        columns = [row[0] for row in con.execute(f"describe {schema}.{name}").fetchall()]
        text = ", ".join(f"coalesce(cast({column} as varchar), '<null>')" for column in sorted(columns))
        digest, rows = con.execute(
            f"select coalesce(md5(string_agg(r, '\n' order by r)), ''), count(*) from "
            f"(select concat_ws('|', {text}) as r from {schema}.{name})").fetchone()
        found[f"{schema}.{name}"] = {"rows": rows, "sha": digest, "columns": sorted(columns)}
    con.close()
    return found


class _Text(HTMLParser):
    """What a page shows as results: its text without script and style bodies, nor the source of its code cells
    (code, not output: a renamed function changes it), one line per block."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self._skip = 0
        self._cell_input_depth: int | None = None  # div depth inside a code cell's source
        self._divs = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "div":
            self._divs += 1
            if self._cell_input_depth is None and "cell_input" in (dict(attrs).get("class") or "").split():
                self._cell_input_depth = self._divs
                self._skip += 1
        if tag in ("p", "div", "tr", "li", "h1", "h2", "h3", "h4", "br", "table", "pre"):
            self.lines.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag == "div":
            if self._cell_input_depth == self._divs:
                self._cell_input_depth = None
                self._skip -= 1
            self._divs -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.lines.append(" ".join(data.split()))


def page_text(path: Path) -> list[str]:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    joined = "\n".join(parser.lines)
    lines = [line.strip() for line in re.split(r"\n+", joined) if line.strip()]
    return lines[:lines.index(DURATIONS_HEADING)] if DURATIONS_HEADING in lines else lines


def book_fingerprints(edition: Path) -> dict[str, dict]:
    pages = {str(p.relative_to(edition)): page_text(p) for p in sorted(edition.rglob("*.html"))
             if "_sources" not in p.parts}
    images = {str(p.relative_to(edition)): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(edition.rglob("*.png"))}
    return {"pages": pages, "images": images}


def snapshot(lake: Path, book: Path | None) -> dict:
    return {"relations": relation_fingerprints(lake), "book": book_fingerprints(book) if book else None}


def diff(before: dict, after: dict) -> int:
    differences = 0
    old, new = before["relations"], after["relations"]
    for name in sorted(set(old) | set(new)):
        if name not in new or name not in old:
            print(f"relation {name}: only {'before' if name in old else 'after'}")
            differences += 1
        elif old[name] != new[name]:
            print(f"relation {name}: rows {old[name]['rows']} -> {new[name]['rows']}, "
                  f"columns equal: {old[name]['columns'] == new[name]['columns']}, content differs")
            differences += 1
    if before["book"] and after["book"]:
        differences += _diff_book(before["book"], after["book"])
    print(f"{differences} difference(s)")
    return 1 if differences else 0


def _diff_book(old: dict, new: dict) -> int:
    differences = 0
    for page in sorted(set(old["pages"]) | set(new["pages"])):
        a, b = old["pages"].get(page), new["pages"].get(page)
        if a is None or b is None:
            print(f"page {page}: only {'before' if b is None else 'after'}")
            differences += 1
            continue
        removed = [line for line in a if line not in b]
        added = [line for line in b if line not in a]
        metadata = [line for line in removed + added if METADATA.search(line)]
        real = [line for line in removed + added if not METADATA.search(line)]
        if metadata:
            print(f"page {page}: {len(metadata)} metadata line(s) differ, e.g. {metadata[0][:120]}")
        for line in real:
            print(f"page {page}: {'-' if line in removed else '+'} {line[:200]}")
        differences += len(real)
    for image in sorted(set(old["images"]) | set(new["images"])):
        if old["images"].get(image) != new["images"].get(image):
            print(f"image {image} differs")
            differences += 1
    return differences


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("snapshot")
    take.add_argument("--lake", required=True, type=Path)
    take.add_argument("--book", type=Path, default=None, help="a built edition, e.g. _build/versions/2025-12")
    compare = commands.add_parser("diff")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        json.dump(snapshot(args.lake, args.book), sys.stdout, ensure_ascii=False, indent=1)
        return 0
    return diff(json.loads(args.before.read_text()), json.loads(args.after.read_text()))


if __name__ == "__main__":
    sys.exit(main())
