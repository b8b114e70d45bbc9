"""Hand-made BRONZE tables in a DuckDB catalog, to run the silver/gold SQL on cases computed by hand.

Each frame holds the raw table's columns as text or numbers; they are cast to the schema's types,
and ``anio_mes`` is derived on tarifa, acumulado and the smart-meter tables as the BRONZE layer does (an
interval's delivery is taken as its own month).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from lds_utils.lake import graph, schema
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.pipeline import ALL_SUPPLIES, GOLD_RELATION, GraphRunner, Months, pipeline_parameters, relations
from lds_utils.rules.billing import TARIFF_OPTIONS

_MONTH_SOURCE = {"tarifa": "vigencia_desde", "acumulado": "fecha_lectura", "lectura_intervalo": "fecha_hora",
                 "evento_medidor": "fecha_hora"}


def create_reference(engine: DuckDBEngine) -> None:
    """The reference relations the SQL joins (bronze_db.ref_opcion_tarifaria), from their own SQL files."""
    engine.create_view("bronze_db", TARIFF_OPTIONS, sqlmod.load_sql("bronze", TARIFF_OPTIONS))


def create_bronze(engine: DuckDBEngine, tables: Mapping[str, pd.DataFrame]) -> None:
    """bronze_db.bronze_<table> for every raw table (tables not given are created empty) and the reference."""
    create_reference(engine)
    for table, columns in schema.RAW_SCHEMAS.items():
        names = [column.name for column in columns]
        frame = tables.get(table, pd.DataFrame({name: pd.Series(dtype=object) for name in names}))
        frame = frame.reindex(columns=names).astype(object)
        casts = [f"cast({c.name} as {c.kind}) as {c.name}" for c in columns]
        if table in _MONTH_SOURCE:
            casts.append(f"substr(cast({_MONTH_SOURCE[table]} as varchar), 1, 7) as anio_mes")
        engine.con.register("frame_in", frame)
        select = f"select {', '.join(casts)} from frame_in"
        engine.con.execute(f"create or replace table bronze_db.bronze_{table} as {select}")
        engine.con.unregister("frame_in")


def run_monthly(engine: DuckDBEngine, desde: str, hasta: str, partitions: list[str] | None = None) -> None:
    """Write silver and gold for desde..hasta through the engine, as the pipeline does (the gold views included,
    the alert relations not): the whole tables, or with partitions (those months) only those months."""
    months = Months(desde, hasta, partial=partitions is not None)
    GraphRunner(engine, pipeline_parameters()).build(relations(["silver", "gold"]), months)


def compute_gold(engine: DuckDBEngine, params: dict) -> pd.DataFrame:
    """The gold relation for params' months, written to no file: its tables as catalog tables (their full build,
    which reads no month computed before), then the view."""
    params = {**ALL_SUPPLIES, **graph.month_parameters(params["desde"], params["hasta"]), **params}
    for relation in relations(["gold"]):
        if relation.kind == "table":
            select = graph.statement(relation.name)
            engine.con.execute(f"create or replace table gold_db.{relation.name} as {sqlmod.to_duckdb(select)}",
                               sqlmod.bind_params(select, params))
    return engine.read_sql(sqlmod.load_sql("gold", GOLD_RELATION))


def open_lake(path: Path, tables: Mapping[str, pd.DataFrame]) -> DuckDBEngine:
    engine = DuckDBEngine(path)
    create_bronze(engine, tables)
    return engine


def read(engine: DuckDBEngine, relation: str) -> pd.DataFrame:
    """A whole silver/gold relation or view, sorted by its natural keys."""
    database = "silver_db" if relation.startswith("silver") else "gold_db"
    frame = engine.read_sql(f"select * from {database}.{relation}")
    keys = [key for key in ("id_suministro", "distrito", "zona", "anio_mes", "anio") if key in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True)


_BUILT: set[Path] = set()


def ensure_pipeline(lake: Path) -> Path:
    """Run the whole pipeline on a generated lake once per test session (shared by test modules)."""
    from lds_utils.lake.pipeline import run_pipeline

    if lake not in _BUILT:
        run_pipeline(lake)
        _BUILT.add(lake)
    return lake
