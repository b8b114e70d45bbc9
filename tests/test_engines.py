"""The DuckDB engine: Parquet+Snappy tables, partition replacement, atomic versions, bound parameters."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from lds_utils.config import UsageError
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.registry import open_engine

MONTHS_SQL = """
select cast(x as integer) as valor, m as anio_mes
from (values (1, '2024-01'), (2, '2024-01'), (3, '2024-02'), (4, '2024-03')) as t (x, m)
where m between :desde and :hasta
"""


@pytest.fixture
def engine(tmp_path):
    with DuckDBEngine(tmp_path / "lake") as opened:
        yield opened


def _rows(engine, table="silver_db.t"):
    frame = engine.read_sql(f"select valor, anio_mes from {table} order by valor")
    return list(frame.itertuples(index=False, name=None))


def test_write_partitioned_table_as_snappy_parquet(engine, tmp_path):
    rows = engine.write_table("silver_db", "t", MONTHS_SQL, {"desde": "2024-01", "hasta": "2024-12"}, "anio_mes")
    assert rows == 4
    assert _rows(engine) == [(1, "2024-01"), (2, "2024-01"), (3, "2024-02"), (4, "2024-03")]
    files = sorted((tmp_path / "lake" / "silver" / "t").glob("v*/anio_mes=*/*.parquet"))
    assert [f.parent.name for f in files] == ["anio_mes=2024-01", "anio_mes=2024-02", "anio_mes=2024-03"]
    assert pq.ParquetFile(files[0]).metadata.row_group(0).column(0).compression == "SNAPPY"


def test_replacing_one_partition_keeps_the_others_and_never_duplicates(engine):
    engine.write_table("silver_db", "t", MONTHS_SQL, {"desde": "2024-01", "hasta": "2024-12"}, "anio_mes")
    replacement = "select cast(10 as integer) as valor, '2024-02' as anio_mes"
    for _ in range(2):  # idempotent: twice gives the same table
        engine.write_table("silver_db", "t", replacement, None, "anio_mes", partitions=["2024-02"])
    assert _rows(engine) == [(1, "2024-01"), (2, "2024-01"), (4, "2024-03"), (10, "2024-02")]


def test_partition_write_refuses_rows_outside_its_partitions(engine):
    engine.write_table("silver_db", "t", MONTHS_SQL, {"desde": "2024-01", "hasta": "2024-12"}, "anio_mes")
    with pytest.raises(RuntimeError, match="outside the partitions"):
        engine.write_table("silver_db", "t", MONTHS_SQL, {"desde": "2024-01", "hasta": "2024-12"}, "anio_mes",
                           partitions=["2024-02"])
    assert len(_rows(engine)) == 4, "the failed write left the table as it was"


def test_failed_write_keeps_previous_version_and_leaves_no_staging(engine, tmp_path):
    engine.write_table("gold_db", "g", "select 1 as valor, 'x' as anio_mes", None)
    with pytest.raises(Exception):
        engine.write_table("gold_db", "g", "select cast('no es un numero' as integer) as valor", None)
    assert _rows(engine, "gold_db.g") == [(1, "x")]
    leftovers = [p.name for p in (tmp_path / "lake" / "gold" / "g").iterdir() if not p.name.startswith("v")]
    assert leftovers == []


def test_leftovers_of_a_killed_write_are_removed_by_the_next_write(engine, tmp_path):
    engine.write_table("gold_db", "g", "select 1 as valor, 'x' as anio_mes", None)
    table_dir = tmp_path / "lake" / "gold" / "g"
    (table_dir / ".tmp-deadbeef").mkdir()  # what a SIGKILL mid-write leaves behind
    engine.write_table("gold_db", "g", "select 2 as valor, 'x' as anio_mes", None)
    assert sorted(p.name for p in table_dir.iterdir()) == ["v000002"]
    assert _rows(engine, "gold_db.g") == [(2, "x")]


def test_the_files_of_a_table_that_became_a_view_are_removed_when_the_run_is_published(engine, tmp_path):
    engine.write_table("gold_db", "g", "select 1 as valor, 'x' as anio_mes", None)
    with engine.publish_together():
        engine.create_view("gold_db", "g", "select 2 as valor, 'x' as anio_mes")
    assert not (tmp_path / "lake" / "gold" / "g").exists()
    assert _rows(engine, "gold_db.g") == [(2, "x")]


def test_empty_result_is_still_a_readable_table(engine):
    engine.write_table("silver_db", "t", MONTHS_SQL, {"desde": "2030-01", "hasta": "2030-12"}, "anio_mes")
    frame = engine.read_sql("select * from silver_db.t")
    assert list(frame.columns) == ["valor", "anio_mes"] and frame.empty


def test_parameters_are_bound_not_formatted(engine):
    engine.write_table("silver_db", "t", MONTHS_SQL, {"desde": "2024-01", "hasta": "2024-12"}, "anio_mes")
    hostile = "2024-01' or '1'='1"
    frame = engine.read_sql("select count(*) as n from silver_db.t where anio_mes = :p", {"p": hostile})
    assert frame["n"].iloc[0] == 0


def test_missing_parameter_is_a_clear_error(engine):
    with pytest.raises(UsageError, match="missing SQL parameters: hasta"):
        engine.read_sql("select 1 where 'a' between :desde and :hasta", {"desde": "a"})


def test_identifiers_come_from_an_allow_list(engine):
    with pytest.raises(UsageError):
        engine.write_table("silver_db", "t; drop table x", "select 1 as a", None)
    with pytest.raises(UsageError):
        engine.write_table("otra_db", "t", "select 1 as a", None)


def test_views_and_catalog(engine):
    engine.write_table("gold_db", "g", "select 1 as valor, 'x' as anio_mes", None)
    engine.create_view("gold_db", "vw_g", "select count(*) as n from gold_db.g")
    assert engine.table_exists("gold_db", "vw_g") and not engine.table_exists("gold_db", "nada")
    assert engine.read_sql("select n from gold_db.vw_g")["n"].iloc[0] == 1


def test_code_columns_of_bronze_read_as_an_enum_of_their_values_and_stay_text_for_readers(engine, tmp_path):
    supplies = """select * from (values ('S1', 'SE2', 'MT'), ('S2', 'SE1', 'BT'), ('S3', 'SE1', null),
                  ('S4', 'SE1', 'AT')) as t (id_suministro, id_sector, nivel_tension)"""
    engine.write_table("bronze_db", "bronze_suministro", supplies, None)
    domain = engine.con.execute("select enum_range(null::bronze_db.bronze_suministro__nivel_tension)").fetchone()[0]
    assert domain == ["AT", "BT", "MT"], "the values of the files, ordered as text"
    by_code = engine.read_sql("select id_suministro, nivel_tension from bronze_db.bronze_suministro order by 2, 1")
    assert by_code["id_suministro"].tolist() == ["S4", "S2", "S1", "S3"], "sorted like the text it is"
    assert by_code["nivel_tension"].dtype == by_code["id_suministro"].dtype, "read_sql returns text, not categories"

    engine.write_table("bronze_db", "bronze_suministro", supplies.replace("'BT'", "'ZZ'"), None)
    assert set(engine.read_sql("select nivel_tension from bronze_db.bronze_suministro")["nivel_tension"].dropna()) \
        == {"AT", "MT", "ZZ"}, "a new version brings its own codes"

    engine.write_table("gold_db", "g", "select nivel_tension, 'x' as anio_mes from bronze_db.bronze_suministro", None)
    written = pq.read_schema(next((tmp_path / "lake" / "gold" / "g").glob("v*/data.parquet")))
    assert str(written.field("nivel_tension").type) == "string", "what Athena and pandas read is text"


def test_raw_registration_reads_every_column_as_text(engine, tmp_path):
    folder = tmp_path / "lake" / "raw" / "sector"
    folder.mkdir(parents=True)
    (folder / "part-00000.csv").write_text("id_sector,lat\nA, -12.1\n", encoding="utf-8")
    (folder / "part-00001.csv").write_text("id_sector,lat\nB,x\n", encoding="utf-8")
    engine.register_raw("sector", ["id_sector", "lat"])
    frame = engine.read_sql("select id_sector, lat from raw_db.sector order by id_sector")
    assert frame.values.tolist() == [["A", " -12.1"], ["B", "x"]]


def test_missing_raw_table_names_the_folder(engine):
    with pytest.raises(UsageError, match="raw table 'cliente' has no CSV files"):
        engine.register_raw("cliente", ["id_cliente"])


def test_read_only_engine_needs_a_catalog(tmp_path):
    with pytest.raises(UsageError, match="run the pipeline first"):
        open_engine("duckdb", tmp_path / "vacio", read_only=True)


def test_read_sql_returns_the_frame_duckdb_df_gives(engine):
    """read_sql builds most results from Arrow; the frame must be the one DuckDB's .df() gives, type by type."""
    engine.write_table("bronze_db", "bronze_suministro", """select * from (values ('S1', 'MT'), ('S2', null))
                       as t (id_suministro, nivel_tension)""", None)
    engine.write_table("gold_db", "zoo", """
        select i as n, cast(i as integer) as i32, cast(i as smallint) as i16, case when i > 0 then i end as n_nula,
            i % 2 = 0 as b, case when i > 0 then i % 2 = 0 end as b_nula, date '2024-01-05' + cast(i as integer) as d,
            case when i > 0 then date '2024-01-05' end as d_nula, cast(1.5 as decimal(10, 2)) as dec,
            case when i > 0 then cast(2.25 as decimal(18, 3)) end as dec_nula, 'x' || cast(i as varchar) as s,
            case when i > 0 then 's' end as s_nula, cast(null as varchar) as s_vacia,
            timestamp '2024-01-05 10:00' as ts, 2.5e0 * i as dbl, case when i > 0 then cast(0.5 as real) end as fl
        from range(3) as t (i)""", None)
    reads = {"zoo": "select * from gold_db.zoo where n >= :desde",
             "enum": "select z.n, s.nivel_tension from gold_db.zoo as z left join bronze_db.bronze_suministro as s "
                     "on z.n = cast(substr(s.id_suministro, 2) as bigint) where z.n >= :desde"}
    for name, sql in reads.items():
        for desde in (0, 1, 2, 3):  # nulls in some rows, in none, a single row, no row at all
            frame = engine.read_sql(sql, {"desde": desde})
            expected = engine.con.execute(sql.replace(":desde", str(desde))).df()
            expected = expected.astype(dict.fromkeys(expected.select_dtypes("category").columns, "str"))
            pd.testing.assert_frame_equal(frame, expected, obj=f"{name}, desde {desde}")
