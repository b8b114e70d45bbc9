"""Nothing secret or personal leaves the pipeline.

Secrets: AWS credentials placed in the environment never reach the output of the Athena dry run, the
files it or a book build writes, the executed notebooks rendered in the book, or the manifests.
Personal data: no customer name or document number of the lake (rejected rows included) appears
in the built book; outside BRONZE's customer tables no relation has a personal-data column or value.
"""

from __future__ import annotations

import csv
import html
import os
import re
import secrets
import string
import subprocess
import sys
import time

import pytest

from lds_utils.config import PROJECT_ROOT, LakePaths
from lds_utils.lake import rawcheck
from lds_utils.lake.registry import open_engine
from lds_utils.lake.schema import PERSONAL_DATA_COLUMNS
from lds_utils.reporting import report
from lds_utils.reporting.book import build_book
from tests import lakecopy

PERIODO = "2025-12"
SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".hypothesis", ".pytest_cache"}


def fake_credentials() -> dict[str, str]:
    """AWS-shaped credentials no real account has; random, so a hit can only come from this test."""
    upper = string.ascii_uppercase + string.digits
    return {
        "AWS_ACCESS_KEY_ID": "AKIA" + "".join(secrets.choice(upper) for _ in range(16)),
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30)[:40],
        "AWS_SESSION_TOKEN": secrets.token_urlsafe(96),
    }


def files_holding(values, roots, since: float = 0.0) -> list[str]:
    """Files under roots (modified after since) whose bytes contain any of the values."""
    needles = [value.encode() for value in values]
    hits = []
    for root in roots:
        for folder, subfolders, names in os.walk(root):
            subfolders[:] = [name for name in subfolders if name not in SKIPPED_DIRS]
            for name in names:
                path = os.path.join(folder, name)
                if os.path.getmtime(path) >= since:
                    with open(path, "rb") as handle:
                        content = handle.read()
                    hits += [path for needle in needles if needle in content]
    return hits


# -- secrets ------------------------------------------------------------------------------------------------
def test_the_file_scan_finds_a_planted_secret(tmp_path):
    secreto = fake_credentials()["AWS_SECRET_ACCESS_KEY"]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "log.txt").write_text(f"token={secreto}\n")
    (tmp_path / "otro.txt").write_text("nada")
    assert files_holding([secreto], [tmp_path]) == [str(tmp_path / "sub" / "log.txt")]


def test_athena_dry_run_never_shows_the_credentials(sample_lake, tmp_path):
    lake = lakecopy.copy_raw(sample_lake, tmp_path / "lake")
    credentials = fake_credentials()
    started = time.time()
    env = {**os.environ, **credentials, "AWS_REGION": "us-east-1"}
    runs = [
        subprocess.run([sys.executable, "-m", "lds_utils", *args], cwd=PROJECT_ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
        for args in (["pipeline", "--engine", "athena", "--dry-run", "--period", "2025-03", "--lake", str(lake)],
                     ["setup", "--dry-run"])
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
        for value in credentials.values():
            assert value not in run.stdout and value not in run.stderr
    assert "CREATE TABLE" in runs[0].stdout.upper() and "s3://" in runs[0].stdout, "the plan was printed"
    assert files_holding(credentials.values(), [lake, PROJECT_ROOT], since=started) == []


@pytest.fixture(scope="module")
def libro(built_lake, tmp_path_factory):
    """The book of PERIODO built from the sample with fake AWS credentials in the environment."""
    build_root = tmp_path_factory.mktemp("libro") / "_build"
    credentials = fake_credentials()
    started = time.time()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in credentials.items():
            patch.setenv(name, value)
        build_book(PERIODO, lake=built_lake, build_root=build_root, progress=False)
    return {"build": build_root, "credentials": credentials, "started": started, "lake": built_lake}


def test_book_build_leaves_no_credential_in_any_file(libro):
    assert (libro["build"] / "versions" / PERIODO / "index.html").is_file()
    roots = [libro["build"], libro["lake"], PROJECT_ROOT]
    assert files_holding(libro["credentials"].values(), roots, since=libro["started"]) == []


# -- personal data ------------------------------------------------------------------------------------------
def _customers(lake) -> tuple[set[tuple[str, ...]], set[str]]:
    """Every name (as a tuple of words) and document number in the lake's raw customer files."""
    nombres, documentos = set(), set()
    for path in rawcheck.table_files(LakePaths(lake).raw_table("cliente"), "cliente"):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for fila in csv.DictReader(handle):
                palabras = tuple(_words(fila["nombre"] or ""))
                if len(palabras) >= 2:
                    nombres.add(palabras)
                if re.fullmatch(r"\d{8}|\d{11}", (fila["numero_documento"] or "").strip()):
                    documentos.add(fila["numero_documento"].strip())
    return nombres, documentos


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.casefold())


def _published_text(path) -> str:
    """A page as a reader sees its text: entities decoded, embedded images dropped."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return html.unescape(re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+", "", text))


def _names_in(text: str, nombres: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    palabras = _words(text)
    longitudes = {len(nombre) for nombre in nombres}
    return {tuple(palabras[i:i + n]) for n in longitudes for i in range(len(palabras) - n + 1)} & nombres


def test_book_shows_no_customer_name_or_document_number(libro):
    nombres, documentos = _customers(libro["lake"])
    assert len(nombres) > 1000 and len(documentos) > 1000
    paginas = [p for p in (libro["build"] / "versions" / PERIODO).rglob("*")
               if p.suffix in {".html", ".js", ".json", ".txt", ".ipynb", ".md"}]
    assert len([p for p in paginas if p.suffix == ".html"]) >= 10
    for pagina in paginas:
        texto = _published_text(pagina)
        assert not _names_in(texto, nombres), pagina
        assert not documentos & set(re.findall(r"(?<!\d)(\d{8}|\d{11})(?!\d)", texto)), pagina


def test_the_name_scan_finds_a_name_when_there_is_one(libro):
    nombres, documentos = _customers(libro["lake"])
    nombre, documento = " ".join(sorted(nombres)[0]).upper(), sorted(documentos)[0]
    texto = f"<p>Cliente: {html.escape(nombre.title())} &mdash; DNI {documento}.</p>"
    assert _names_in(html.unescape(texto), nombres)
    assert documento in re.findall(r"(?<!\d)(\d{8}|\d{11})(?!\d)", texto)


def test_personal_columns_exist_only_in_bronze_customer_tables(built_lake):
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        columnas = engine.read_sql("select table_schema, table_name, column_name from information_schema.columns")
    personales = columnas[columnas["column_name"].isin(PERSONAL_DATA_COLUMNS)]
    assert set(zip(personales["table_schema"], personales["table_name"])) == {
        ("raw_db", "cliente"), ("bronze_db", "stg_cliente_tipado"), ("bronze_db", "stg_cliente"),
        ("bronze_db", "bronze_cliente")}


#: The relations that hold personal data by design (README, "Personal data is never published").
PERSONAL_RELATIONS = {("raw_db", "cliente"), ("bronze_db", "stg_cliente_tipado"), ("bronze_db", "stg_cliente"),
                      ("bronze_db", "bronze_cliente")}


def _text_values(engine, schema: str, table: str, columns: list[str]) -> list[str]:
    selects = " union all ".join(f"select distinct cast({column} as varchar) as valor from {schema}.{table}"
                                 for column in columns)
    return engine.read_sql(f"select distinct valor from ({selects}) as t where valor is not null")["valor"].tolist()


def test_no_relation_but_the_customer_tables_holds_a_name_or_document_number(built_lake):
    """Values, not column names: a rejected customer row (bronze_rechazos.registro) carries neither."""
    nombres, documentos = _customers(built_lake)
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        columnas = engine.read_sql("select table_schema, table_name, column_name from information_schema.columns "
                                   "where data_type = 'VARCHAR' or data_type like 'ENUM%'")
        textos = {(schema, table): _text_values(engine, schema, table, grupo["column_name"].tolist())
                  for (schema, table), grupo in columnas.groupby(["table_schema", "table_name"])
                  if (schema, table) not in PERSONAL_RELATIONS}
        rechazados = engine.read_sql("select registro from bronze_db.bronze_rechazos where tabla = 'cliente'")
    assert ("bronze_db", "bronze_rechazos") in textos and len(textos) > 20
    for relacion, valores in textos.items():
        texto = "\n".join(valores)
        assert not documentos & set(re.findall(r"(?<!\d)(\d{8}|\d{11})(?!\d)", texto)), relacion
        assert not _names_in(texto, nombres), relacion
    campos = rechazados["registro"].str.split(",", expand=True)
    assert len(campos) and set(campos[3]) <= {"", "<oculto>"}
    assert campos[2].str.fullmatch(r"[9X]*").all(), "the document number keeps its shape only"
    assert campos[2].str.fullmatch(r"9{8}|9{11}").any() and campos[0].str.len().gt(0).any()


def test_rejected_customer_records_are_never_shown(built_lake):
    with open_engine("duckdb", built_lake, read_only=True) as engine:
        assert engine.read_sql("select count(*) as n from bronze_db.bronze_rechazos where tabla = 'cliente'")["n"][0]
    contexto = report.open_report(PERIODO, lake=built_lake)
    try:
        assert "cliente" not in set(contexto.reject_examples()["tabla"])
    finally:
        contexto.close()


def test_alerts_carry_no_personal_data(built_lake, tmp_path):
    from lds_utils.detection.alerts import run_alertas
    from lds_utils.lake.pipeline import run_pipeline

    lake = lakecopy.copy_raw(built_lake, tmp_path / "lake")
    run_pipeline(lake)
    [csv_path] = run_alertas(lake, PERIODO)
    nombres, documentos = _customers(lake)
    texto = csv_path.read_text(encoding="utf-8")
    assert texto.count("\n") > 1, "the month has alerts to look at"
    assert not _names_in(texto, nombres)
    assert not documentos & set(re.findall(r"(?<!\d)(\d{8}|\d{11})(?!\d)", texto))
    with open_engine("duckdb", lake, read_only=True) as engine:
        columnas = engine.read_sql("select table_name, column_name from information_schema.columns "
                                   "where table_schema = 'gold_db'")
    assert not columnas["column_name"].isin(PERSONAL_DATA_COLUMNS).any()
    assert {"gold_alertas_mes", "gold_senales_mes"} <= set(columnas["table_name"])
