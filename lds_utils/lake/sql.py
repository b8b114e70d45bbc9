"""SQL files: loading, parameter discovery and Trino -> DuckDB transpilation.

The files under ``sql/<layer>/<relation>.sql`` hold one SELECT each in Athena engine v3 (Trino) dialect, with
values as ``:name`` placeholders. Athena runs the text as written; DuckDB runs sqlglot's transpilation. Engine
differences live here and in ``engines``, never in the SQL files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from lds_utils.config import SQL_ROOT, UsageError

_IDENTIFIER_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")


def check_identifier(name: str) -> str:
    """Allow only plain lower-case identifiers (tables, schemas, columns) into generated SQL."""
    if not isinstance(name, str) or not _IDENTIFIER_RE.fullmatch(name):
        raise UsageError(f"invalid SQL identifier {name!r}")
    return name


def sql_path(layer: str, relation: str) -> Path:
    check_identifier(layer)
    check_identifier(relation)
    path = SQL_ROOT / layer / f"{relation}.sql"
    if not path.is_file():
        raise UsageError(f"no SQL file for {layer}/{relation}")
    return path


@lru_cache(maxsize=None)
def load_sql(layer: str, relation: str) -> str:
    """The Trino SELECT of a relation, as stored (header comment included)."""
    return sql_path(layer, relation).read_text(encoding="utf-8")


def all_sql_files() -> list[Path]:
    return sorted(SQL_ROOT.glob("*/*.sql"))


def parse_trino(sql: str) -> exp.Expression:
    """Parse one Trino statement; raises sqlglot.ParseError on invalid SQL. The tree is the caller's to change."""
    return parsed(sql).copy()


@lru_cache(maxsize=512)
def parsed(sql: str) -> exp.Expression:
    """The parsed tree of one Trino statement, shared by every caller of the same text: read it, never change it
    (parse_trino gives a tree to change). A run asks for the same texts several times (the graph's declarations,
    the inlining of ephemeral relations, the parameters, the transpilation): parsing each once, and transpiling on
    one copy of the tree, took the preparation of every relation's statements from 3.1 to 1.5 s."""
    statements = [s for s in sqlglot.parse(sql, read="trino") if s is not None]
    if len(statements) != 1:
        raise ValueError(f"expected exactly one statement, found {len(statements)}")
    return statements[0]


@lru_cache(maxsize=512)
def placeholders(sql: str) -> frozenset[str]:
    """Names of the ``:name`` parameters a statement uses."""
    return frozenset(node.name for node in parsed(sql).find_all(exp.Placeholder) if node.name)


def bind_params(sql: str, params: dict | None) -> dict:
    """The subset of params a statement uses; error if one it needs is missing."""
    needed = placeholders(sql)
    params = params or {}
    missing = needed - params.keys()
    if missing:
        raise UsageError(f"missing SQL parameters: {', '.join(sorted(missing))}")
    return {name: params[name] for name in needed}


#: What makes a CTE costly to compute twice: it sorts or aggregates rather than streams.
_BLOCKING = (exp.Window, exp.AggFunc, exp.Group, exp.Distinct)


#: Trino has no median of an array, so the SQL takes the middle of the sorted array (or the mean of the middle
#: two): this CASE, with any array expression for ``x``. DuckDB's list_median gives the same number without
#: sorting each array.
SORTED_ARRAY_MEDIAN = """
case
    when cardinality(x) = 0 then null
    when cardinality(x) % 2 = 1 then element_at(array_sort(x), cast((cardinality(x) + 1) / 2 as integer))
    else (
        element_at(array_sort(x), cast(cardinality(x) / 2 as integer))
        + element_at(array_sort(x), cast(cardinality(x) / 2 as integer) + 1)
    ) / 2
end
"""
_MEDIAN_TEMPLATE = sqlglot.parse_one(SORTED_ARRAY_MEDIAN, read="trino")


def _median_of(array: exp.Expression) -> exp.Expression:
    return _MEDIAN_TEMPLATE.transform(
        lambda node: array.copy() if isinstance(node, exp.Column) and node.name == "x" else node
    )


def _native_array_median(node: exp.Expression) -> exp.Expression:
    """SORTED_ARRAY_MEDIAN of an array -> DuckDB's list_median, where the two agree.

    list_median skips NULL elements, which the sorted array counts: an array holding a NULL keeps the sorting
    form (the ELSE branch), so the result is the same for every array.
    """
    if not isinstance(node, exp.Case):
        return node
    sizes = list(node.find_all(exp.ArraySize))
    if not sizes or node != _median_of(sizes[0].this):
        return node
    array = sizes[0].this
    without_nulls = exp.EQ(this=exp.Anonymous(this="list_count", expressions=[array.copy()]),
                           expression=exp.ArraySize(this=array.copy()))
    native = exp.Anonymous(this="list_median", expressions=[array.copy()])
    return exp.Case(ifs=[exp.If(this=without_nulls, true=native)], default=node.copy())


#: DuckDB's stand-in for Trino's xxhash64(to_utf8(x)), which it lacks. Any 64-bit hash of the text serves: the SQL
#: groups and joins on it to find candidates, and decides on the text itself.
DUCKDB_TEXT_HASH = "hash"


def _native_text_hash(node: exp.Expression) -> exp.Expression:
    """xxhash64(to_utf8(x)) -> DuckDB's hash(x), a 64-bit hash of the same text."""
    if (isinstance(node, exp.Anonymous) and node.name.lower() == "xxhash64" and len(node.expressions) == 1
            and isinstance(node.expressions[0], exp.Encode)):
        return exp.Anonymous(this=DUCKDB_TEXT_HASH, expressions=[node.expressions[0].this.copy()])
    return node


@lru_cache(maxsize=256)
def to_duckdb(sql: str) -> str:
    """Transpile a Trino statement to DuckDB (placeholders become ``$name``).

    A CTE whose own body only scans, joins, filters and projects is marked NOT MATERIALIZED. DuckDB otherwise
    materialises every CTE referenced twice, and the chain that builds the wide GOLD bill rows is referenced
    by the history window and by the final join: holding all its rows and columns spilled gigabytes at full
    scale, while streaming them twice costs two cheap scans (a one-month GOLD run on 1.3 M customers: 18.8 s
    -> 12.4 s, no spill). CTEs with a window, an aggregate or DISTINCT keep DuckDB's choice. Results do not
    change: the SQL has no volatile functions. DuckDB 2.0 ignores the mark on a CTE that reaches a CSV scan
    (the RAW tables) twice and keeps it whole, so stg_acumulado reaches each scan of the readings once.

    A CTE of that kind that takes medians of arrays (SORTED_ARRAY_MEDIAN: a sort or list_median per row) and that the
    statement reaches along more than one path is marked MATERIALIZED instead: DuckDB 2.0 computes it once and
    streams its rows to each consumer, where inlined it computed the medians once per path (gold_senales_mes at
    1.3 M customers: its history's medians twice, 2.7 of 17 CPU-seconds; 10.6 -> 7.7 s for a month).
    """
    tree = parsed(sql)
    with_medians = {cte.alias for cte in tree.find_all(exp.CTE) if _takes_array_medians(cte.this)}
    tree = tree.transform(_native_array_median).transform(_native_text_hash, copy=False)  # one copy of the tree
    paths = _paths_to_ctes(tree)
    for cte in tree.find_all(exp.CTE):
        body = cte.this
        unions_distinct = any(union.args.get("distinct") for union in body.find_all(exp.Union))
        if not body.find(*_BLOCKING) and not unions_distinct:
            cte.set("materialized", cte.alias in with_medians and paths.get(cte.alias, 0) > 1)
    return tree.sql(dialect="duckdb")


def _takes_array_medians(body: exp.Expression) -> bool:
    """Whether the body holds a SORTED_ARRAY_MEDIAN (what _native_array_median rewrites)."""
    return any(_native_array_median(case) is not case for case in body.find_all(exp.Case))


def _paths_to_ctes(tree: exp.Expression) -> dict[str, int]:
    """For each CTE of the statement's WITH: along how many paths of references the final SELECT reaches it (a CTE
    read twice by a CTE that is read twice: four). A CTE reads only the CTEs defined before it."""
    ctes = list(tree.find_all(exp.CTE))
    names = {cte.alias for cte in ctes}

    def reads(node: exp.Expression) -> list[str]:
        return [table.name for table in node.find_all(exp.Table) if not table.db and table.name in names]

    paths = dict.fromkeys(names, 0)
    with_ = tree.args.get("with_")
    final_select = [child for child in tree.iter_expressions() if child is not with_]  # no copy without the WITH
    for name in (name for child in final_select for name in reads(child)):
        paths[name] += 1
    for cte in reversed(ctes):
        for name in reads(cte.this):
            paths[name] += paths[cte.alias]
    return paths

