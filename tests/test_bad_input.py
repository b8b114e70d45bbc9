"""Damaged RAW input, each case on a copy of the sample lake.

Every case either is handled row by row (the record is rejected with its reason and raw = bronze +
rejected still holds) or stops the run before anything is written, with one message naming the
table, the file and the line. Row-level cases share one damaged lake and one pipeline run.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lds_utils.config import PROJECT_ROOT, RAW_TABLES, LakePaths
from lds_utils.lake import rawcheck
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.lake.rawcheck import RawInputError
from lds_utils.lake.registry import open_engine
from lds_utils.lake.schema import column_names
from tests import lakecopy

# -- cases handled row by row ------------------------------------------------------------------------------
#: id_lectura of an added reading -> (fields changed from a valid reading, expected reject reason)
READINGS = {
    "LTEST-NEGATIVA": ({"lectura_kwh": "-5"}, "FUERA_DE_RANGO:lectura_kwh"),
    "LTEST-ABSURDA": ({"lectura_kwh": "99999999999"}, "FUERA_DE_RANGO:lectura_kwh"),
    "LTEST-NAN": ({"lectura_kwh": "NaN"}, "FUERA_DE_RANGO:lectura_kwh"),
    "LTEST-DEMANDA": ({"demanda_max_kw": "250000"}, "FUERA_DE_RANGO:demanda_max_kw"),
    "LTEST-INFINITA": ({"demanda_max_kw": "Infinity"}, "FUERA_DE_RANGO:demanda_max_kw"),
    "LTEST-TEXTO": ({"lectura_kwh": "doce"}, "FORMATO_INVALIDO:lectura_kwh"),
    "LTEST-HEX": ({"registros_esperados": "0x10"}, "FORMATO_INVALIDO:registros_esperados"),
    "LTEST-MEDIO": ({"registros_error": ".5"}, "FORMATO_INVALIDO:registros_error"),
    "LTEST-FUTURA": ({"fecha_lectura": "2099-01-15"}, "FUERA_DE_RANGO:fecha_lectura"),
    "LTEST-30FEB": ({"fecha_lectura": "2024-02-30"}, "FORMATO_INVALIDO:fecha_lectura"),
    "LTEST-MES13": ({"fecha_lectura": "2024-13-01"}, "FORMATO_INVALIDO:fecha_lectura"),
    "LTEST-HUERFANA": ({"id_medidor": "M9999999999"}, "HUERFANO:id_medidor"),
}
QUOTED_CLIENT = 'CTEST0001,DNI,12345678,"PEREZ, JUAN",RESIDENCIAL,2020-01-01'


def _valid_raw_rows(lake, table: str, key: str, n: int, condition: str = "true") -> list[dict]:
    """n raw records of a table that BRONZE accepted, as {column: raw text} plus their delivery ('entrega')."""
    with open_engine("duckdb", lake, read_only=True) as engine:
        accepted = engine.read_sql(
            f"select raw.* from raw_db.{table} as raw join (select {key}, entrega from bronze_db.stg_{table} "
            f"where motivo is null and {condition} order by {key} limit {n}) as ok "
            f"on upper(trim(raw.{key})) = ok.{key} and raw.entrega = ok.entrega order by ok.{key}")
    return accepted[[*column_names(table), "entrega"]].fillna("").to_dict("records")


def _append_to_delivery(lake, table: str, record: dict, line: str) -> None:
    """Add a line to the delivery the record came in (a later delivery of its key would replace it)."""
    lakecopy.rewrite_lines(lakecopy.delivery_file(lake, table, record["entrega"]), lambda lines: lines + [line])


def _line(table: str, record: dict) -> str:
    return ",".join(record[column] for column in column_names(table))


def _damage_row_level(lake, built_lake) -> dict:
    """Apply every row-level case to the copy; return what the tests need to find them."""
    plantilla, otra = _valid_raw_rows(built_lake, "acumulado", "id_lectura", 2, "lectura_kwh between 10 and 1000")
    readings = [_line("acumulado", plantilla | {"id_lectura": key} | change) for key, (change, _) in READINGS.items()]
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "acumulado"), lambda lines: lines + readings)
    _append_to_delivery(lake, "acumulado", plantilla, _line("acumulado", plantilla))
    _append_to_delivery(lake, "acumulado", otra,
                        _line("acumulado", otra | {"lectura_kwh": str(float(otra["lectura_kwh"]) + 1)}))

    (suministro,) = _valid_raw_rows(built_lake, "suministro", "id_suministro", 1, "not reemplazada")
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "suministro"), lambda lines: lines + [
        _line("suministro", suministro | {"id_suministro": "STEST0001", "potencia_contratada_kw": "NaN"})])
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "inspeccion"), lambda lines: lines + [
        "ITEST0001,S999999999,2024-05-02,ALEATORIA,SIN_ANOMALIA"])

    sector = lakecopy.raw_file(lake, "sector")  # UTF-8 with a byte-order mark
    sector.write_bytes(b"\xef\xbb\xbf" + sector.read_bytes())
    cliente = lakecopy.raw_file(lake, "cliente")  # Windows line endings and a quoted comma
    lakecopy.rewrite_lines(cliente, lambda lines: lines + [QUOTED_CLIENT])
    cliente.write_bytes(cliente.read_bytes().replace(b"\n", b"\r\n"))
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "medidor"),  # columns in another order
                           lambda lines: [",".join(reversed(line.split(","))) for line in lines])
    header_only = LakePaths(lake).raw_table("tarifa") / "part-99999.csv"
    header_only.write_text(",".join(column_names("tarifa")) + "\n", encoding="utf-8")
    asignacion = lakecopy.raw_file(lake, "asignacion_tarifa")  # a trailing empty line
    asignacion.write_bytes(asignacion.read_bytes() + b"\n")
    return {"plantilla": plantilla["id_lectura"], "otra": otra["id_lectura"]}


@pytest.fixture(scope="module")
def damaged(built_lake, tmp_path_factory):
    lake = lakecopy.copy_raw(built_lake, tmp_path_factory.mktemp("damaged") / "lake")
    ids = _damage_row_level(lake, built_lake)
    manifest = run_pipeline(lake)
    with open_engine("duckdb", lake, read_only=True) as engine:
        # each raw reading's final reason: its own, or for a repeated key the decision on the key
        stg = engine.read_sql(
            "select id_lectura, motivo from (select id_lectura, motivo from bronze_db.stg_acumulado "
            "where not clave_repetida union all select id_lectura, motivo from bronze_db.stg_acumulado_duplicado) "
            "where id_lectura like 'LTEST-%' or id_lectura in (:a, :b)", {"a": ids["plantilla"], "b": ids["otra"]})
        conciliacion = engine.read_sql("select * from bronze_db.bronze_conciliacion").set_index("tabla")
    return {"lake": lake, "stg": stg, "conciliacion": conciliacion, "manifest": manifest, **ids}


def _read(lake, sql, params=None) -> pd.DataFrame:
    with open_engine("duckdb", lake, read_only=True) as engine:
        return engine.read_sql(sql, params)


@pytest.mark.parametrize("key", READINGS)
def test_bad_reading_is_rejected_with_its_reason(damaged, key):
    motivos = damaged["stg"].loc[damaged["stg"]["id_lectura"] == key, "motivo"].tolist()
    assert motivos == [READINGS[key][1]]


def test_exact_duplicate_keeps_one_copy_and_rejects_the_other(damaged):
    motivos = damaged["stg"].loc[damaged["stg"]["id_lectura"] == damaged["plantilla"], "motivo"]
    assert sorted(motivos.fillna("valida")) == ["FILA_DUPLICADA", "valida"]


def test_same_key_with_other_content_rejects_every_copy(damaged):
    motivos = damaged["stg"].loc[damaged["stg"]["id_lectura"] == damaged["otra"], "motivo"]
    assert motivos.tolist() == ["CLAVE_DUPLICADA", "CLAVE_DUPLICADA"]


def test_nan_power_and_orphan_inspection_are_rejected(damaged):
    rechazos = _read(damaged["lake"], "select tabla, motivo, registro from bronze_db.bronze_rechazos "
                                      "where registro like 'STEST0001,%' or registro like 'ITEST0001,%'")
    assert sorted(zip(rechazos["tabla"], rechazos["motivo"])) == [
        ("inspeccion", "HUERFANO:id_suministro"), ("suministro", "FUERA_DE_RANGO:potencia_contratada_kw")]


def test_reconciliation_holds_and_raw_counts_equal_the_files(damaged):
    conciliacion = damaged["conciliacion"]
    assert conciliacion["cuadra"].all()
    for table in RAW_TABLES:
        records = 0
        for path in rawcheck.table_files(LakePaths(damaged["lake"]).raw_table(table), table):
            with open(path, encoding="utf-8-sig", newline="") as handle:
                records += sum(1 for row in csv.reader(handle) if row) - 1
        assert conciliacion.loc[table, "filas_raw"] == records == damaged["manifest"]["raw_rows"][table], table


@pytest.mark.parametrize("table, key", [("sector", "id_sector"), ("medidor", "id_medidor"),
                                        ("tarifa", "id_tarifa"), ("asignacion_tarifa", "id_asignacion")])
def test_bom_reordered_columns_header_only_file_and_empty_line_change_nothing(damaged, built_lake, table, key):
    query = f"select * from bronze_db.bronze_{table} order by {key}"
    pd.testing.assert_frame_equal(_read(damaged["lake"], query), _read(built_lake, query))


def test_windows_line_endings_and_a_quoted_comma_are_read_intact(damaged, built_lake):
    query = "select * from bronze_db.bronze_cliente where id_cliente <> 'CTEST0001' order by id_cliente"
    pd.testing.assert_frame_equal(_read(damaged["lake"], query), _read(built_lake, query))
    nuevo = _read(damaged["lake"], "select nombre, fecha_alta from bronze_db.bronze_cliente where id_cliente = 'CTEST0001'")
    assert nuevo["nombre"].tolist() == ["PEREZ, JUAN"] and str(nuevo["fecha_alta"].iloc[0])[:10] == "2020-01-01"


# -- cases that stop the run -------------------------------------------------------------------------------
def _cut_last_line(lake):
    path = lakecopy.raw_file(lake, "acumulado")
    path.write_bytes(path.read_bytes()[:-7])
    return "acumulado", path, len(path.read_bytes().splitlines()), "ends without a line break"


def _semicolons(lake):
    path = lakecopy.raw_file(lake, "cliente")
    lakecopy.rewrite_lines(path, lambda lines: [line.replace(",", ";") for line in lines])
    return "cliente", path, 1, "separated by ';'"


def _latin1(lake):
    path = lakecopy.raw_file(lake, "sector")
    text = path.read_text(encoding="utf-8")
    assert "Jesús María" in text and "Lurín" in text
    path.write_bytes(text.encode("latin-1"))
    first = next(number for number, line in enumerate(text.splitlines(), start=1) if not line.isascii())
    return "sector", path, first, "not valid UTF-8"


def _drop_column(lake):
    path = lakecopy.raw_file(lake, "suministro")
    lakecopy.rewrite_lines(path, lambda lines: [line.rsplit(",", 1)[0] for line in lines])
    return "suministro", path, 1, "missing column(s) fecha_baja"


def _extra_column(lake):
    path = lakecopy.raw_file(lake, "medidor")
    lakecopy.rewrite_lines(path, lambda lines: [lines[0] + ",observacion"] + [line + ",ok" for line in lines[1:]])
    return "medidor", path, 1, "unexpected column(s) observacion"


def _unquoted_comma(lake):
    path = lakecopy.raw_file(lake, "cliente")
    lakecopy.rewrite_lines(path, lambda lines: lines[:10] + [lines[10] + ",X"] + lines[11:])
    return "cliente", path, 11, "7 field(s) where the header has 6"


def _short_row(lake):
    path = lakecopy.raw_file(lake, "inspeccion")
    lakecopy.rewrite_lines(path, lambda lines: lines[:4] + [lines[4].rsplit(",", 1)[0]] + lines[5:])
    return "inspeccion", path, 5, "4 field(s) where the header has 5"


def _mixed_line_endings(lake):
    path = lakecopy.raw_file(lake, "tarifa")
    lakecopy.rewrite_lines(path, lambda lines: lines[:6] + [lines[6] + "\r"] + lines[7:])
    return "tarifa", path, 7, "line endings change"


def _empty_file(lake):
    path = lakecopy.raw_file(lake, "inspeccion").with_name("part-00001.csv")
    path.write_bytes(b"")
    return "inspeccion", path, None, "the file is empty"


def _missing_table(lake):
    folder = LakePaths(lake).raw_table("inspeccion")
    shutil.rmtree(folder)
    return "inspeccion", folder, None, "has no CSV files"


def _stray_file(lake):
    path = LakePaths(lake).raw_table("acumulado") / "part-00001.csv.gz"
    path.write_bytes(b"\x1f\x8b")
    return "acumulado", path, None, "unexpected part-00001.csv.gz"


FATAL = [_cut_last_line, _semicolons, _latin1, _drop_column, _extra_column, _unquoted_comma, _short_row,
         _mixed_line_endings, _empty_file, _missing_table, _stray_file]


@pytest.mark.parametrize("damage", FATAL, ids=[damage.__name__.strip("_") for damage in FATAL])
def test_unreadable_raw_stops_before_anything_is_written(damage, sample_lake, tmp_path):
    lake = lakecopy.copy_raw(sample_lake, tmp_path / "lake")
    table, path, line, problem = damage(lake)
    with pytest.raises(RawInputError) as raised:
        run_pipeline(lake)
    message = str(raised.value)
    assert f"raw table {table!r}" in message and problem in message
    assert path.name in message
    if line is not None:
        assert f"line {line:,}:" in message
    assert "\n" not in message
    assert not LakePaths(lake).catalog.exists() and not LakePaths(lake).bronze.exists()


def test_reordered_columns_are_refused_for_athena_which_reads_by_position(sample_lake, tmp_path, capsys):
    lake = lakecopy.copy_raw(sample_lake, tmp_path / "lake")
    lakecopy.rewrite_lines(lakecopy.raw_file(lake, "medidor"),
                           lambda lines: [",".join(reversed(line.split(","))) for line in lines])
    with pytest.raises(RawInputError, match=r"raw table 'medidor', file raw/medidor/entrega=[-0-9]+/part-00000.csv, "
                                            r"line 1: .* by position"):
        run_pipeline(lake, engine="athena", dry_run=True)
    assert "CREATE" not in capsys.readouterr().out.upper(), "nothing was planned"


def test_failed_check_leaves_a_built_lake_untouched(built_lake, tmp_path):
    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    before = lakecopy.file_digests(lake)
    _, cut, _, _ = _cut_last_line(lake)
    with pytest.raises(RawInputError):
        run_pipeline(lake)
    after = lakecopy.file_digests(lake)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert changed == {cut.relative_to(lake).as_posix()}


def test_cli_prints_one_line_and_exits_2(sample_lake, tmp_path):
    lake = lakecopy.copy_raw(sample_lake, tmp_path / "lake")
    _latin1(lake)
    done = subprocess.run([sys.executable, "-m", "lds_utils", "pipeline", "--lake", str(lake)],
                          capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    errors = [line for line in done.stderr.splitlines() if not line.startswith(("pipeline:", "["))]
    assert done.returncode == 2
    assert len(errors) == 1 and errors[0].startswith("error: raw table 'sector', file raw/sector/entrega=")
    assert "Traceback" not in done.stderr


# -- the scanner against Python's csv module ---------------------------------------------------------------
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=6)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("scanner")


def _csv_text(rows, crlf: bool) -> list[str]:
    """Each record as the csv module writes it (quoted when needed), header first."""
    texts = []
    for row in [["a", "b", "c"], *rows]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerow(row)
        texts.append(buffer.getvalue())
    return texts


@given(rows=st.lists(st.lists(values, min_size=3, max_size=3), max_size=25), crlf=st.booleans(),
       chunk=st.integers(1, 40), bad=st.none() | st.integers(0, 24))
@settings(max_examples=300, deadline=None)
def test_scanner_agrees_with_the_csv_module_at_any_chunk_size(scratch, rows, crlf, chunk, bad):
    """Record counts match csv.reader for any quoting and buffer size; an extra field is caught on its line."""
    texts = _csv_text(rows, crlf)
    bad = bad if bad is not None and bad < len(rows) else None
    if bad is not None:
        end = "\r\n" if crlf else "\n"
        texts[bad + 1] = texts[bad + 1].removesuffix(end) + ",extra" + end
    path = scratch / "t.csv"
    path.write_bytes("".join(texts).encode("utf-8"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rawcheck, "CHUNK_BYTES", chunk)
        if bad is None:
            assert rawcheck.check_file(path, "t", ["a", "b", "c"]).rows == len(rows)
        else:
            line = sum(text.count("\n") for text in texts[: bad + 2])
            with pytest.raises(RawInputError, match=f"line {line:,}: 4 field"):
                rawcheck.check_file(path, "t", ["a", "b", "c"])
