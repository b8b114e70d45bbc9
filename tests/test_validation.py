"""Every parameter is validated before any SQL runs; values reach SQL only as bound parameters.

Hostile values go in through the command line, the Python API (run_pipeline, build_book) and the
notebook-facing API (report.open_report, ReportContext.sql); each is refused with one clear UsageError before
the catalog is opened or a file is written. Property tests fuzz the validators with arbitrary text.
"""

from __future__ import annotations

import math
import subprocess
import sys

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lds_utils import cli, config
from lds_utils.config import PROJECT_ROOT, UsageError
from lds_utils.lake import sql as sqlmod
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.reporting import report
from lds_utils.reporting.book import build_book

INJECTION = "2025-01'; DROP TABLE gold_db.gold_facturacion_teorica_mes; --"

CLI_CASES = [
    (["pipeline", "--period", INJECTION], "period must be a month"),
    (["pipeline", "--period", "2025-1"], "period must be a month"),
    (["pipeline", "--period", "２０２５-０１"], "period must be a month"),  # full-width digits
    (["pipeline", "--period", "2025-00"], "period must be a month"),
    (["pipeline", "--engine", "duckdb; drop table x"], "engine must be one of"),
    (["pipeline", "--engine", "athena", "--dry-run", "--bucket", "x'; drop table y; --"], "invalid S3 bucket name"),
    (["pipeline", "--bucket", "mi-bucket"], "apply to --engine athena only"),
    (["generate", "--clientes", "-5"], "--clientes must not be negative"),
    (["generate", "--clientes", "1e3"], "--clientes must be a whole number"),
    (["generate", "--clientes", "0"], "--clientes must be greater than zero"),
    (["generate", "--clientes", "1000000000"], "--clientes must be at most 50,000,000"),
    (["generate", "--seed", "1; rm -rf /"], "--seed must be a whole number"),
    (["generate", "--desde", "2025-13"], "--desde must be a month"),
    (["generate", "--desde", "2025-06", "--hasta", "2025-01"], "--hasta 2025-01 is before --desde 2025-06"),
    (["book", "--period", INJECTION], "--period must be a month"),
    (["book", "--engine", "spark"], "engine must be one of"),
]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lds_utils", *args], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)


def _one_error_line(stderr: str) -> str:
    messages = [line for line in stderr.splitlines() if not line.startswith("pipeline: ")]  # progress log
    assert len(messages) == 1 and messages[0].startswith("error: ") and "Traceback" not in stderr, stderr
    return messages[0]


def test_cli_process_refuses_an_injected_period_in_one_line(tmp_path):
    done = _cli("pipeline", "--period", INJECTION, "--lake", str(tmp_path / "lake"))
    assert done.returncode == 2 and "period must be a month" in _one_error_line(done.stderr)
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize("args, message", CLI_CASES, ids=[" ".join(args)[:40] for args, _ in CLI_CASES])
def test_cli_refuses_bad_parameters_in_one_line_and_touches_nothing(args, message, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert cli.main([*args, "--lake", str(lake)]) == 2
    assert message in _one_error_line(capsys.readouterr().err)
    assert not lake.exists()


@pytest.mark.parametrize("lake", ["/tmp/lago*", "/tmp/lago[1]", "/tmp/lago?", "/tmp/lago{a,b}", "/tmp/la\ngo"])
def test_lake_paths_with_glob_or_control_characters_are_refused(lake, capsys):
    with pytest.raises(UsageError, match="the lake path must not contain"):
        config.resolve_lake(lake)
    assert cli.main(["pipeline", "--lake", lake]) == 2
    assert "the lake path must not contain" in _one_error_line(capsys.readouterr().err)


@pytest.fixture
def no_sql(monkeypatch):
    """Fail the test if anything opens a DuckDB database."""

    def refuse(*args, **kwargs):
        raise AssertionError("a database was opened before the parameters were validated")

    monkeypatch.setattr(duckdb, "connect", refuse)


@pytest.mark.parametrize("kwargs, message", [
    ({"period": INJECTION}, "period must be a month"),
    ({"engine": "duckdb' or '1'='1"}, "engine must be one of"),
    ({"lake": "/tmp/lago*"}, "the lake path must not contain"),
])
def test_run_pipeline_refuses_before_opening_the_catalog(kwargs, message, built_lake, no_sql):
    with pytest.raises(UsageError, match=message):
        run_pipeline(**{"lake": built_lake, **kwargs})


@pytest.mark.parametrize("kwargs, message", [
    ({"period": INJECTION}, "period must be a month"),
    ({"engine": "athena; drop"}, "engine must be one of"),
    ({"lake": "lago[0]"}, "the lake path must not contain"),
])
def test_notebook_api_refuses_before_touching_the_lake(kwargs, message, built_lake, no_sql, monkeypatch):
    monkeypatch.setattr(report, "require_built_lake", lambda *a, **k: pytest.fail("the lake was looked at"))
    with pytest.raises(UsageError, match=message):
        report.open_report(**{"lake": built_lake, **kwargs})


def test_book_refuses_a_hostile_period_before_building(built_lake, tmp_path, no_sql):
    with pytest.raises(UsageError, match="period must be a month"):
        build_book(INJECTION, lake=built_lake, build_root=tmp_path / "_build", progress=False)
    assert not (tmp_path / "_build").exists()


def test_values_are_bound_never_formatted(built_lake):
    contexto = report.open_report(lake=built_lake)
    try:
        antes = contexto.sql("select count(*) as n from gold_db.gold_facturacion_teorica_mes")["n"].iloc[0]
        hostil = contexto.sql("select count(*) as n from gold_db.gold_facturacion_teorica_mes where anio_mes = :p",
                              p="2025-01' or '1'='1")
        assert hostil["n"].iloc[0] == 0
        with pytest.raises(ValueError, match="found 0"):
            contexto.tariff_schedule("BT5B' or '1'='1")
        with pytest.raises(UsageError, match="invalid SQL identifier"):
            report.check_identifier("bronze_sector; drop table bronze_db.bronze_sector")
        assert contexto.sql("select count(*) as n from gold_db.gold_facturacion_teorica_mes")["n"].iloc[0] == antes
    finally:
        contexto.close()


def test_sql_files_come_only_from_the_sql_folder():
    for layer, relation in [("bronze", "../../etc/passwd"), ("gold_db", "x"), ("gold", "vw_kpi'; --")]:
        with pytest.raises(UsageError):
            sqlmod.sql_path(layer, relation)


# -- properties of the validators --------------------------------------------------------------------------
@given(st.text())
@settings(max_examples=400, deadline=None)
def test_parse_period_returns_a_plain_month_or_refuses(text):
    try:
        period = config.parse_period(text)
    except UsageError:
        return
    assert len(period) == 7 and period.isascii() and period[4] == "-"
    assert period[:4].isdigit() and 1 <= int(period[5:]) <= 12


@given(st.from_regex(r"\A[0-9]{4}-[0-9]{2}\Z"), st.sampled_from(["'", ";", "--", " or 1=1", "\x00", "/*"]))
@settings(max_examples=200, deadline=None)
def test_a_month_with_anything_appended_is_refused(month, suffix):
    with pytest.raises(UsageError):
        config.parse_period(month + suffix)


@given(st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.booleans()))
@settings(max_examples=300, deadline=None)
def test_numeric_parameters_are_whole_numbers_or_a_usage_error(value):
    try:
        number = config.positive_int(value, "n", maximum=config.MAX_CLIENTES)
    except UsageError:
        return
    assert isinstance(number, int) and 1 <= number <= config.MAX_CLIENTES


@given(st.one_of(st.text(), st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１２３-+_ ")))
@settings(max_examples=300, deadline=None)
def test_whole_numbers_are_written_with_ascii_digits(text):
    try:
        number = config.non_negative_int(text, "n")
    except UsageError:
        return
    assert text.strip().lstrip("+").isascii() and number == int(text.strip())


@given(st.one_of(st.text(), st.floats().map(str), st.sampled_from(["inf", "-inf", "nan", "1e400", "٠.٥", "Infinity"])))
@settings(max_examples=300, deadline=None)
def test_decimals_are_ascii_and_finite(text):
    try:
        number = config.finite_number(text, "x")
    except UsageError:
        return
    assert math.isfinite(number) and text.strip().isascii()


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_engine_names_come_from_the_list(text):
    try:
        assert config.parse_engine(text) in config.ENGINES
    except UsageError:
        pass
