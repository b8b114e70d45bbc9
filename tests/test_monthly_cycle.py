"""The monthly cycle: ``mes --period P`` publishes P's GOLD, alerts and book edition, says what changed since the month
before, and is idempotent."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from contextlib import redirect_stdout
from functools import partial

import pytest

from lds_utils import cli
from lds_utils.config import PROJECT_ROOT, LakePaths
from lds_utils.detection import alerts
from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.pipeline import run_pipeline
from lds_utils.reporting import cycle
from lds_utils.reporting.cycle import run_month
from tests import editions, lakecopy

PERIODO, ANTERIOR = "2025-12", "2025-11"


@pytest.fixture(scope="module")
def lago(built_lake, tmp_path_factory):
    """A lake of its own, built like the sample (every month, alert relations of every month)."""
    lake = lakecopy.copy_raw(built_lake, tmp_path_factory.mktemp("ciclo") / "lake")
    shutil.copytree(LakePaths(built_lake).truth, LakePaths(lake).truth)  # the book's validation chapter reads it
    run_pipeline(lake)
    with DuckDBEngine(lake) as engine:
        alerts.build_all_alerts(engine)
    return lake


def _published(lake) -> dict:
    with DuckDBEngine(lake, read_only=True) as engine:
        return {
            "facturas": engine.read_sql("select * from gold_db.gold_facturacion_teorica_mes where anio_mes in "
                                        "(:a, :b) order by anio_mes, id_suministro", {"a": ANTERIOR, "b": PERIODO}),
            "alertas": engine.read_sql("select * from gold_db.gold_alertas_mes where anio_mes = :p order by prioridad",
                                       {"p": PERIODO}),
        }


@pytest.fixture(scope="module")
def dos_ciclos(lago, tmp_path_factory):
    """The cycle run twice on the built lake through the command line, with what it published after each run."""
    runs = []
    with pytest.MonkeyPatch.context() as monkeypatch:
        for vuelta in range(2):
            build_root = tmp_path_factory.mktemp(f"vuelta{vuelta}")
            # the edition goes to build_root/_build, not to the repository's _build
            monkeypatch.setattr(cycle, "run_month", partial(run_month, build_root=build_root / "_build", progress=False))
            salida = io.StringIO()
            with redirect_stdout(salida):
                assert cli.main(["mes", "--period", PERIODO, "--lake", str(lago)]) == 0
            runs.append({"salida": salida.getvalue(), "libro": build_root / "_build" / "versions" / PERIODO,
                         "publicado": _published(lago)})
    return runs


def _figure(salida: str, etiqueta: str) -> str:
    return re.search(rf"^  {etiqueta}\s+(\S+)", salida, flags=re.M).group(1)


def test_the_summary_gives_the_published_month_beside_the_one_before(dos_ciclos):
    salida, publicado = dos_ciclos[0]["salida"], dos_ciclos[0]["publicado"]
    facturas = publicado["facturas"]
    mes, antes = facturas[facturas["anio_mes"] == PERIODO], facturas[facturas["anio_mes"] == ANTERIOR]
    assert f"mes {PERIODO}: publicado (comparado con {ANTERIOR})" in salida
    assert _figure(salida, "facturas") == f"{len(mes):,}"
    assert _figure(salida, "atípicas") == f"{int(mes['es_atipico'].sum()):,}"
    pct, pct_antes = 100 * mes["es_atipico"].mean(), 100 * antes["es_atipico"].mean()
    assert f"{pct:.2f} % de las facturas ({ANTERIOR}: {pct_antes:.2f} %, {pct - pct_antes:+.2f} pp)" in salida
    nuevos = len(set(mes["id_suministro"]) - set(antes["id_suministro"]))
    assert f"{nuevos:,} suministros nuevos" in salida
    lista = publicado["alertas"]
    assert _figure(salida, "alertas") == f"{len(lista):,}"
    assert f"{int(lista['es_nueva'].sum()):,} nuevas, {int(lista['dentro_capacidad'].sum()):,} dentro" in salida
    assert re.search(r"^  segundos\s+pipeline [\d.]+, alertas [\d.]+, libro [\d.]+$", salida, flags=re.M)


def test_the_cycle_publishes_the_edition_and_the_alert_csv(dos_ciclos, lago):
    assert (dos_ciclos[0]["libro"] / "index.html").is_file()
    assert f"Periodo de análisis: {PERIODO}" in (dos_ciclos[0]["libro"] / "book" / "intro.html").read_text("utf-8")
    assert (lago / "gold" / "alertas" / f"alertas_{PERIODO}.csv").is_file()


def test_running_the_month_again_publishes_the_same(dos_ciclos):
    primera, segunda = dos_ciclos
    for nombre, tabla in primera["publicado"].items():
        assert tabla.equals(segunda["publicado"][nombre]), nombre
    # each run built its edition in a folder of its own; the timings differ by nature
    sin_tiempos = [re.sub(r"^  (segundos|libro) .*$", "", run["salida"], flags=re.M) for run in dos_ciclos]
    assert sin_tiempos[0] == sin_tiempos[1]
    assert not editions.changed_files(primera["libro"], segunda["libro"])


def test_make_mes_without_a_period_says_so_in_one_line():
    hecho = subprocess.run(["make", "--no-print-directory", "-s", "mes"], cwd=PROJECT_ROOT, capture_output=True,
                           text=True, env={"PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:/usr/bin:/bin"})
    assert hecho.returncode != 0
    assert "error: give the month as make mes PERIOD=YYYY-MM" in hecho.stderr


def test_mes_needs_a_period(capsys):
    assert cli.main(["mes"]) == 2
    assert "--period" in capsys.readouterr().err
