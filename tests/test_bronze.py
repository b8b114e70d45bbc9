"""BRONZE on the sample: every injected raw dirt ends up cleaned or rejected with the right reason."""

import re

import pandas as pd
import pytest

from lds_utils.lake import sql as sqlmod
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.lake.registry import open_engine
from lds_utils.lake.schema import PRIMARY_KEYS, RAW_SCHEMAS
from tests import lakecopy

EXPECTED_REJECT = {
    "FECHA_INVALIDA": "FORMATO_INVALIDO",
    "NUMERO_INVALIDO": "FORMATO_INVALIDO",
    "FK_HUERFANA": "HUERFANO",
    "VALOR_FALTANTE": "CAMPO_VACIO",
}


@pytest.fixture(scope="module")
def lake_frames(built_lake):
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        rechazos = engine.read_sql("select tabla, motivo, registro from bronze_db.bronze_rechazos")
        bronze = {t: engine.read_sql(f"select * from bronze_db.bronze_{t}") for t in RAW_SCHEMAS}
    suciedad = pd.read_csv(built_lake / "truth" / "suciedad.csv", dtype=str, keep_default_na=False)
    rechazos["clave"] = rechazos.registro.str.split(",").str[0].str.strip().str.upper()
    return suciedad, rechazos, bronze


def _column(detalle: str) -> str:
    return re.search(r"columna=([a-z_]+)", detalle).group(1)


def test_the_sample_has_every_kind_of_dirt(lake_frames):
    suciedad, _, _ = lake_frames
    assert {*EXPECTED_REJECT, "FILA_DUPLICADA", "ESPACIOS_MAYUSCULAS"} <= set(suciedad.tipo_suciedad)


def test_fatal_dirt_is_rejected_with_the_reason_and_column(lake_frames):
    suciedad, rechazos, bronze = lake_frames
    fatal = suciedad[suciedad.tipo_suciedad.isin(EXPECTED_REJECT) & (suciedad.id != "")]
    assert len(fatal) > 10
    for row in fatal.itertuples():
        expected = f"{EXPECTED_REJECT[row.tipo_suciedad]}:{_column(row.detalle)}"
        found = rechazos[(rechazos.tabla == row.tabla) & (rechazos.clave == row.id.upper())]
        assert expected in set(found.motivo), f"{row.tabla} {row.id}: expected {expected}, got {list(found.motivo)}"
        assert row.id.upper() not in set(bronze[row.tabla][PRIMARY_KEYS[row.tabla]]), "a rejected row reached bronze"


def test_rows_with_an_empty_key_are_rejected(lake_frames):
    suciedad, rechazos, _ = lake_frames
    empty_keys = suciedad[(suciedad.tipo_suciedad == "VALOR_FALTANTE") & (suciedad.id == "")]
    for tabla, group in empty_keys.groupby("tabla"):
        motivo = f"CAMPO_VACIO:{PRIMARY_KEYS[tabla]}"
        assert (rechazos[rechazos.tabla == tabla].motivo == motivo).sum() >= len(group)


def test_duplicated_rows_are_kept_once_and_the_copies_rejected(lake_frames):
    suciedad, rechazos, bronze = lake_frames
    duplicated = suciedad[suciedad.tipo_suciedad == "FILA_DUPLICADA"]
    assert len(duplicated) > 0
    for row in duplicated.itertuples():
        kept = bronze[row.tabla][PRIMARY_KEYS[row.tabla]] == row.id.upper()
        assert kept.sum() == 1, f"{row.tabla} {row.id} kept {kept.sum()} times"
        copies = rechazos[(rechazos.tabla == row.tabla) & (rechazos.clave == row.id.upper())]
        assert "FILA_DUPLICADA" in set(copies.motivo)


def test_whitespace_and_case_are_cleaned_not_rejected(lake_frames):
    suciedad, rechazos, bronze = lake_frames
    cleanable = suciedad[suciedad.tipo_suciedad == "ESPACIOS_MAYUSCULAS"]
    assert len(cleanable) > 0
    for row in cleanable.itertuples():
        column = _column(row.detalle)
        original = re.search(r"valor original=(.*)$", row.detalle).group(1).strip()
        table = bronze[row.tabla]
        match = table[table[PRIMARY_KEYS[row.tabla]] == row.id.strip().upper()]
        assert len(match) == 1, f"{row.tabla} {row.id} was not kept"
        assert str(match[column].iloc[0]) == original


def _readings_outcome(lake) -> dict[str, pd.DataFrame]:
    with open_engine("duckdb", lake, read_only=True) as engine:
        return {
            "bronze": engine.read_sql("select * from bronze_db.bronze_acumulado order by id_lectura"),
            "rechazos": engine.read_sql("select motivo, registro from bronze_db.bronze_rechazos "
                                        "where tabla = 'acumulado' order by motivo, registro"),
            "candidatas": engine.read_sql("select count(*) as n from bronze_db.stg_acumulado where clave_repetida"),
        }


def test_a_hash_shared_by_different_reading_keys_changes_nothing(built_lake, tmp_path, monkeypatch):
    """stg_acumulado finds repeated keys by a 64-bit hash: with one that collides on purpose (the key's length, the
    same for almost every key) far more rows are candidates, and BRONZE's readings and rejects stay the same."""
    monkeypatch.setattr(sqlmod, "DUCKDB_TEXT_HASH", "length")
    sqlmod.to_duckdb.cache_clear()
    try:
        colliding = lakecopy.copy_raw(built_lake, tmp_path / "lake")
        run_pipeline(colliding)
    finally:
        monkeypatch.undo()
        sqlmod.to_duckdb.cache_clear()
    expected, found = _readings_outcome(built_lake), _readings_outcome(colliding)
    assert found["candidatas"].n.iloc[0] > 100 * expected["candidatas"].n.iloc[0] > 0
    pd.testing.assert_frame_equal(found["bronze"], expected["bronze"])
    pd.testing.assert_frame_equal(found["rechazos"], expected["rechazos"])
