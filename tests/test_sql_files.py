"""Every SQL file is one Trino SELECT with a header, bound parameters and no DuckDB-only constructs."""

import re

import pytest
import sqlglot
from sqlglot import exp

from lds_utils.lake import sql as sqlmod

SQL_FILES = sqlmod.all_sql_files()

# Functions DuckDB accepts but Athena engine v3 (Trino) does not (or means something else by).
DUCKDB_ONLY_FUNCTIONS = {
    "strftime", "strptime", "regexp_matches", "list_value", "list_aggregate", "epoch_ms", "read_parquet",
    "read_csv", "read_csv_auto", "struct_pack", "datediff", "date_sub", "quantile_cont", "quantile_disc",
    "median", "approx_quantile", "string_agg", "ifnull", "nvl", "iff", "printf", "list", "unnest_list", "hash",
}


def _code_without_comments_and_strings(text: str) -> str:
    code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    return re.sub(r"'(?:[^']|'')*'", "''", code)


def _called_functions(code: str) -> set[str]:
    return {name.lower() for name in re.findall(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", code)}


def test_there_are_sql_files_for_every_layer():
    layers = {path.parent.name for path in SQL_FILES}
    assert {"bronze", "silver", "gold"} <= layers


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_is_one_trino_select(path):
    text = path.read_text(encoding="utf-8")
    tree = sqlmod.parse_trino(text)
    assert isinstance(tree, (exp.Select, exp.Union, exp.Query)), f"{path.name} is not a SELECT"
    # The Trino text round-trips through sqlglot's Trino generator and parses again.
    sqlglot.parse_one(tree.sql(dialect="trino"), read="trino")
    # And it transpiles for the embedded engine.
    assert sqlmod.to_duckdb(text)


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_has_header_with_grain_and_inputs(path):
    header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("--")]
    joined = " ".join(header).lower()
    assert header and path.stem in header[0], "first line names the relation"
    assert "grain" in joined and "input" in joined


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_duckdb_only_constructs(path):
    text = path.read_text(encoding="utf-8")
    code = _code_without_comments_and_strings(text)
    assert not (_called_functions(code) & DUCKDB_ONLY_FUNCTIONS)
    assert "::" not in code, "use cast(x as t), not x::t"
    assert not re.search(r"\bqualify\b", code, re.IGNORECASE)
    assert not re.search(r"\bapprox_(percentile|distinct)\b", code, re.IGNORECASE), "results must be exact"
    assert "$" not in code, "parameters are :name placeholders"


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_values_are_bound_not_formatted(path):
    code = _code_without_comments_and_strings(path.read_text(encoding="utf-8"))
    assert "{" not in code and "%s" not in code, "no Python formatting in SQL files"


def test_duckdb_only_function_is_caught():
    code = _code_without_comments_and_strings("select strftime(current_date, '%Y') as y -- median(x)")
    assert _called_functions(code) & DUCKDB_ONLY_FUNCTIONS == {"strftime"}


def test_duckdb_streams_ctes_that_neither_sort_nor_aggregate():
    """Only CTEs without windows, aggregates or DISTINCT are inlined; the others keep DuckDB's materialisation."""
    duckdb_sql = sqlmod.to_duckdb(
        "with base as (select a, b from t where a > 0), "
        "ventana as (select a, row_number() over (partition by a order by b) as n from base), "
        "suma as (select a, sum(b) as s from base group by a), "
        "distintos as (select a from base union select b from base) "
        "select * from ventana join suma on ventana.a = suma.a join distintos on distintos.a = suma.a"
    )
    inlined = set(re.findall(r"(\w+) AS NOT MATERIALIZED", duckdb_sql))
    assert inlined == {"base"}


def test_a_cte_of_array_medians_reached_twice_is_computed_once():
    """Inlined, its medians would be computed once per path: DuckDB streams a MATERIALIZED CTE to each consumer."""
    mediana = sqlmod.SORTED_ARRAY_MEDIAN.replace("x", "valores")
    statement = (
        "with grupos as (select g, array_agg(v) as valores from t group by g), "
        f"medianas as (select g, {mediana} as m from grupos), "
        f"una_vez as (select g, {mediana} as m from grupos), "
        "ambas as (select g, m from medianas), "
        "arriba as (select a.g, a.m from ambas as a join ambas as b on a.g = b.g) "
        "select arriba.g, arriba.m, una_vez.m as n from arriba join una_vez on arriba.g = una_vez.g order by 1"
    )
    duckdb_sql = sqlmod.to_duckdb(statement)
    assert re.findall(r"(\w+) AS MATERIALIZED", duckdb_sql) == ["medianas"]
    assert set(re.findall(r"(\w+) AS NOT MATERIALIZED", duckdb_sql)) == {"una_vez", "ambas", "arriba"}
    import duckdb

    con = duckdb.connect()
    con.execute("create table t as select i % 3 as g, i * 1.5e0 as v from range(10) as r(i)")
    assert con.execute(duckdb_sql).fetchall() == [(0, 6.75, 6.75), (1, 6.0, 6.0), (2, 7.5, 7.5)]


def test_paths_to_ctes_multiply_along_references():
    tree = sqlmod.parse_trino("with a as (select 1 as x), b as (select * from a join a as a2 on true), "
                              "c as (select * from b), d as (select 2 as y) select * from b join c on true join b as b2 on true")
    assert sqlmod._paths_to_ctes(tree) == {"a": 6, "b": 3, "c": 1, "d": 0}


def test_a_parsed_statement_is_shared_and_a_tree_to_change_is_not():
    """parsed() hands every caller the one tree of a text; parse_trino hands out a copy, so a caller that changes
    its tree (the inlining of ephemeral relations, Athena's renamed databases) leaves the shared one as it was."""
    text = "select a from bronze_db.t where b = :b"
    assert sqlmod.parsed(text) is sqlmod.parsed(text)
    changed = sqlmod.parse_trino(text)
    for table in changed.find_all(exp.Table):
        table.set("db", exp.to_identifier("otra_db"))
    assert "otra_db" in changed.sql(dialect="trino")
    assert sqlmod.parsed(text).sql(dialect="trino") == "SELECT a FROM bronze_db.t WHERE b = :b"
    assert sqlmod.placeholders(text) == {"b"}


def test_inlined_ctes_give_the_same_rows():
    import duckdb

    statement = ("with cuadrado as (select i, i * i as c from range(10) as t(i)) "
                 "select a.i, b.c from cuadrado as a join cuadrado as b on a.i = b.i order by a.i")
    con = duckdb.connect()
    assert "NOT MATERIALIZED" in sqlmod.to_duckdb(statement)
    assert con.execute(sqlmod.to_duckdb(statement)).fetchall() == [(i, i * i) for i in range(10)]


def _trino_sorted_median(values):
    """What Trino returns for SORTED_ARRAY_MEDIAN: array_sort puts NULLs last and cardinality counts them."""
    if values is None:
        return None
    ordered = sorted(v for v in values if v is not None) + [v for v in values if v is None]
    n = len(ordered)
    if n == 0:
        return None
    if n % 2 == 1:
        return ordered[(n + 1) // 2 - 1]
    low, high = ordered[n // 2 - 1], ordered[n // 2]
    return None if low is None or high is None else (low + high) / 2


def test_duckdb_takes_the_median_of_a_sorted_array_without_sorting():
    import duckdb
    import numpy as np

    statement = f"select id, {sqlmod.SORTED_ARRAY_MEDIAN} as mediana from t"
    duckdb_sql = sqlmod.to_duckdb(statement)
    assert "LIST_MEDIAN(x)" in duckdb_sql and "LIST_SORT(x)" in duckdb_sql

    rng = np.random.default_rng(7)
    arrays = [None, [], [5.0], [2.0, 1.0], [3.0, 3.0, 1.0], [None], [1.0, None], [4.0, None, 2.0],
              [None, 1.0, 2.0, 3.0]]
    arrays += [list(rng.normal(100, 30, size)) for size in rng.integers(1, 13, 200)]
    con = duckdb.connect()
    con.execute("create table t (id integer, x double[])")
    con.executemany("insert into t values (?, ?)", list(enumerate(arrays)))
    got = dict(con.execute(duckdb_sql).fetchall())
    for number, values in enumerate(arrays):
        expected = _trino_sorted_median(values)
        if expected is None:
            assert got[number] is None, values
        else:
            assert got[number] == pytest.approx(expected, rel=1e-15), values


def test_only_the_exact_median_form_becomes_list_median():
    almost = sqlmod.SORTED_ARRAY_MEDIAN.replace("% 2 = 1", "% 2 = 0")
    assert "LIST_MEDIAN" not in sqlmod.to_duckdb(f"select {almost} as m from t")


def test_the_gold_bills_reference_runs_as_list_median():
    """The bills' history median keeps the exact form the rewrite knows (GOLD at 150 k: 2.7 CPU-s less)."""
    assert "LIST_MEDIAN(facturas_previas)" in sqlmod.to_duckdb(sqlmod.load_sql("gold", "gold_factura_evaluada_mes"))


def test_duckdb_hashes_text_with_its_own_64_bit_hash():
    assert sqlmod.to_duckdb("select xxhash64(to_utf8(upper(k))) as h from t") == "SELECT HASH(UPPER(k)) AS h FROM t"
