"""The relation graph: every SQL file declares how it is built, and the build order follows what each SELECT reads."""

from __future__ import annotations

import pytest

from lds_utils.lake import graph
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.graph import GraphError
from lds_utils.lake.pipeline import GOLD_RELATION


def _write(root, layer, name, build, select):
    folder = root / layer
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.sql").write_text(f"-- {name}\n-- Build: {build}\n-- Grain: x. Inputs: y.\n{select}\n")


@pytest.mark.parametrize("path", graph.sql_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sql_file_declares_how_it_is_built(path):
    declared = graph.parse_build(path.read_text(encoding="utf-8"), path.name)
    assert declared["kind"] in ("table", "view", "ephemeral", "incremental")


def test_every_relation_comes_after_the_relations_it_reads():
    order = [relation.name for relation in graph.build_order()]
    assert len(order) == len(set(order))
    for position, relation in enumerate(graph.build_order()):
        assert relation.reads <= set(order[:position]), relation.name


def test_the_graph_builds_bronze_to_the_alerts():
    relations = graph.load_graph()
    order = [relation.name for relation in graph.build_order()]
    assert order.index("stg_suministro") > order.index("bronze_cliente"), "foreign keys are checked against parents"
    assert order.index("gold_alertas_mes") > order.index("gold_senales_mes") > order.index(GOLD_RELATION)
    bills = relations["gold_factura_evaluada_mes"]
    assert bills.partitioned and bills.sliced and bills.incremental and "silver_consumo_mensual" in bills.reads
    assert relations["gold_factura_mes"].kind == "ephemeral" and "gold_factura_mes" not in order
    assert relations["gold_senales_mes"].on_request and relations["bronze_acumulado"].kind == "view"


def test_only_the_incremental_select_reads_its_own_published_months():
    incremental = graph.statement("gold_factura_evaluada_mes", incremental=True)
    assert "gold_factura_evaluada_mes" in graph.tables_read(incremental)
    assert "gold_factura_evaluada_mes" not in graph.tables_read(graph.statement("gold_factura_evaluada_mes"))


def test_an_ephemeral_relation_is_inlined_as_ctes_and_other_files_run_as_written():
    full = graph.statement("gold_factura_evaluada_mes")
    assert not graph.tables_read(full) & {"gold_factura_mes"}
    assert "LIST_MEDIAN(facturas_previas)" in sqlmod.to_duckdb(full)
    assert graph.statement("gold_cerco_segmento_mes") == sqlmod.load_sql("gold", "gold_cerco_segmento_mes")


def test_a_relation_read_but_declared_nowhere_is_an_error(tmp_path):
    _write(tmp_path, "gold", "a", "table", "select x from gold_db.falta")
    with pytest.raises(GraphError, match="a reads falta, which no SQL file declares"):
        graph.load_graph(tmp_path)


def test_a_cycle_is_an_error(tmp_path):
    _write(tmp_path, "gold", "a", "table", "select x from gold_db.b")
    _write(tmp_path, "gold", "b", "view", "select x from gold_db.a")
    _write(tmp_path, "gold", "c", "view", "select 1 as x")
    with pytest.raises(GraphError, match="cycle: a, b"):
        graph.load_graph(tmp_path)


def test_a_full_select_that_reads_itself_is_an_error(tmp_path):
    _write(tmp_path, "gold", "a", "table partitioned by anio_mes", "select x, anio_mes from gold_db.a")
    with pytest.raises(GraphError, match="a reads itself"):
        graph.load_graph(tmp_path)


def test_order_follows_reads_not_names(tmp_path):
    _write(tmp_path, "gold", "a", "view", "select x from gold_db.c")
    _write(tmp_path, "gold", "c", "table", "select x from silver_db.z")
    _write(tmp_path, "silver", "z", "table", "select 1 as x")
    _write(tmp_path, "gold", "b", "table", "select 1 as x")
    assert [relation.name for relation in graph.build_order(tmp_path)] == ["z", "b", "c", "a"]


@pytest.mark.parametrize("build, message", [
    ("tabla", "must start with one of"),
    ("table, sliced by month", "unknown build option"),
    ("view partitioned by anio_mes", "only a table takes build options"),
    ("table sliced by supply", "need a table partitioned by anio_mes"),
    ("table partitioned by entrega, sliced by supply", "need a table partitioned by anio_mes"),
    ("table, incremental", "an incremental build needs a partitioned table"),
    ("table partitioned by anio_mes, partitioned by entrega", "partitioned by one column"),
    ("table partitioned by anio_mes, incremental", "does not exist"),
])
def test_a_bad_declaration_is_a_clear_error(tmp_path, build, message):
    _write(tmp_path, "gold", "a", build, "select 1 as x, '2024-01' as anio_mes")
    with pytest.raises(GraphError, match=message):
        graph.load_graph(tmp_path)


def test_a_file_without_a_declaration_is_an_error(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "gold" / "a.sql").write_text("-- a\nselect 1 as x\n")
    with pytest.raises(GraphError, match="expected one '-- Build:' line"):
        graph.load_graph(tmp_path)


@pytest.mark.parametrize("desde, expected", [
    ("2025-06", {"mes_anterior": "2025-05", "inicio_historia": "2024-06", "indice_desde": 2025 * 12 + 6}),
    ("2025-01", {"mes_anterior": "2024-12", "inicio_historia": "2024-01", "indice_desde": 2025 * 12 + 1}),
])
def test_the_month_calendar_is_computed_once_from_desde(desde, expected):
    assert graph.month_calendar(desde) == expected


def test_the_calendar_of_every_month_lies_before_every_month():
    calendar = graph.month_calendar("0000-01")
    assert calendar["mes_anterior"] < "1900-01" and calendar["inicio_historia"] < "1900-01"


def test_no_sql_file_rebuilds_the_calendar_from_desde():
    for path in graph.sql_files():
        code = "\n".join(line.split("--", 1)[0] for line in path.read_text(encoding="utf-8").splitlines())
        assert "substr(:desde" not in code, path.name


def test_an_incremental_select_needs_a_relation_declared_incremental(tmp_path):
    _write(tmp_path, "gold", "a", "table partitioned by anio_mes", "select 1 as x, '2024-01' as anio_mes")
    _write(tmp_path, "gold", "a_incremental", "incremental of a", "select x, anio_mes from gold_db.a")
    with pytest.raises(GraphError, match="a is not declared incremental"):
        graph.load_graph(tmp_path)
