"""The versioned book: two periods built into a temporary _build from the default-sample lake.

The session fixture ``libros`` (tests/conftest.py) runs the whole ``build_book`` twice (eight notebooks
and jupyter-book with warnings as errors each time), so this is the slowest module of the suite (about a
minute); test_browser reads the same editions.
"""

from __future__ import annotations

import html
import json
import re

import nbformat
import pytest
import yaml

from lds_utils.lake.engines import DuckDBEngine
from lds_utils.lake.registry import open_engine
from lds_utils.reporting import book
from tests import editions


def _paginas(carpeta):
    return sorted((carpeta / "book").glob("*.html")) + sorted((carpeta / "notebooks").glob("*.html"))


def _paginas_del_indice() -> int:
    """Pages the table of contents lists: the root plus every chapter."""
    indice = yaml.safe_load((book.PROJECT_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return 1 + sum(len(parte["chapters"]) for parte in indice["parts"])


def _pegados(pagina) -> list[str]:
    """Texts pasted by myst-nb glue, in page order."""
    return [html.unescape(t) for t in re.findall(r'<span class="pasted-text">(.*?)</span>', pagina.read_text())]


def test_each_period_has_its_own_index_and_both_are_kept(libros):
    for periodo, indice in libros["indices"].items():
        assert indice == libros["build"] / "versions" / periodo / "index.html"
        assert indice.is_file()
    assert not (libros["build"] / ".staging").exists() or not any((libros["build"] / ".staging").iterdir())


def test_version_index_lists_both_periods_newest_first(libros):
    texto = (libros["build"] / "versions" / "index.html").read_text()
    enlaces = re.findall(r'href="(\d{4}-\d{2})/index.html"', texto)
    assert enlaces == sorted(libros["periodos"], reverse=True)


def test_every_page_shows_the_report_version_and_period(libros):
    for periodo in libros["periodos"]:
        carpeta = libros["build"] / "versions" / periodo
        manifiesto = json.loads((carpeta / book.MANIFEST).read_text())
        paginas = _paginas(carpeta)
        assert len(paginas) == _paginas_del_indice()
        for pagina in paginas:
            texto = pagina.read_text()
            assert f"Periodo de análisis: {periodo}" in texto, pagina
            assert manifiesto["version"] in texto, pagina


def test_parameter_cells_are_hidden_from_readers(libros):
    for pagina in (libros["build"] / "versions" / "2025-12" / "notebooks").glob("*.html"):
        texto = pagina.read_text()
        assert "lake = " not in texto and "Parameters" not in texto, pagina


def test_conclusions_figures_equal_the_kpi_view(libros):
    with open_engine("duckdb", libros["lago"], read_only=True) as motor:
        kpi = motor.read_sql("select * from gold_db.vw_kpi_atipicos_mes").set_index("anio_mes")
    for periodo in libros["periodos"]:
        pegados = _pegados(libros["build"] / "versions" / periodo / "book" / "conclusiones.html")
        fila, anterior = kpi.loc[periodo], kpi.loc[f"{int(periodo[:4]) - 1}{periodo[4:]}"]
        assert pegados[:3] == [f"{int(fila.total_suministros):,d}", f"{int(fila.total_atipicos):,d}",
                               f"{fila.pct_atipicos:.2f}"]
        assert f"{anterior.pct_atipicos:.2f} %" in pegados[3]
        assert f"{fila.pct_atipicos - anterior.pct_atipicos:+.2f}" in pegados[3]


def test_manifest_records_parameters_rows_packages_and_durations(libros):
    manifiesto = json.loads((libros["build"] / "versions" / "2025-06" / book.MANIFEST).read_text())
    assert manifiesto["periodo"] == "2025-06"
    assert manifiesto["parametros"] == {"period": "2025-06", "engine": "duckdb", "lake": str(libros["lago"])}
    assert (manifiesto["generacion"]["n_clientes"], manifiesto["generacion"]["seed"]) == (1500, 42)
    assert manifiesto["filas_por_capa"]["raw_db"]["acumulado"] == manifiesto["generacion"]["filas"]["acumulado"]
    assert manifiesto["filas_por_capa"]["gold_db"]["gold_factura_evaluada_mes"] > 0
    assert "gold_facturacion_teorica_mes" not in manifiesto["filas_por_capa"]["gold_db"], "a view holds no rows"
    assert manifiesto["paquetes"]["jupyter-book"] == "1.0.4.post1"
    assert {f"cuaderno {p.stem}" for p in book.notebooks()} <= manifiesto["duraciones_s"].keys()
    assert manifiesto["duraciones_s"]["libro html"] > 0
    reproducibilidad = (libros["build"] / "versions" / "2025-06" / "book" / "reproducibilidad.html").read_text()
    assert manifiesto["version"] in reproducibilidad and "Duración de cada paso" in reproducibilidad
    assert "<code class=\"docutils literal notranslate\"><span class=\"pre\">1500</span></code>" in reproducibilidad


def test_dashboard_has_map_charts_filters_and_the_inspection_list(libros):
    tablero = (libros["build"] / "versions" / "2025-12" / "notebooks" / "08_tablero.html").read_text()
    assert "leaflet" in tablero.lower() and tablero.count('<iframe class="district-map"') == 1
    assert not re.search(r"cdn\.|unpkg\.com/leaflet|openstreetmap|jquery", tablero, re.IGNORECASE)
    assert tablero.count("<img") >= 3
    assert tablero.count('class="lds-tabla"') == 2, "the KPI and inspection tables with their filters"
    assert "Lista de inspección del mes" in tablero and "Motivos" in tablero and "FACTOR_CARGA" not in tablero


def test_no_page_shows_personal_data(libros):
    with open_engine("duckdb", libros["lago"], read_only=True) as motor:
        clientes = motor.read_sql("select nombre, numero_documento from bronze_db.bronze_cliente")
    documentos, nombres = set(clientes["numero_documento"]), clientes["nombre"].tolist()
    carpeta = libros["build"] / "versions" / "2025-12"
    for pagina in _paginas(carpeta):
        texto = pagina.read_text()
        assert not documentos & set(re.findall(r"\d{8,11}", texto)), pagina
    for pagina in (carpeta / "notebooks" / "03_bronze_calidad.html", carpeta / "notebooks" / "08_tablero.html"):
        texto = pagina.read_text()
        assert not [nombre for nombre in nombres if nombre in texto], pagina


def test_versions_index_ignores_folders_without_manifest(tmp_path):
    (tmp_path / "2024-01").mkdir()
    ediciones = {  # an edition built before the parameters shrank, one built after, one of a lake not generated
        "2024-02": {"parametros": {"n_clientes": 1500, "engine": "duckdb"}},
        "2024-03": {"parametros": {"engine": "duckdb"}, "generacion": {"n_clientes": 300}},
        "2024-04": {"parametros": {"engine": "duckdb"}, "generacion": None},
    }
    for periodo, datos in ediciones.items():
        (tmp_path / periodo).mkdir()
        (tmp_path / periodo / book.MANIFEST).write_text(json.dumps({
            "periodo": periodo, "version": "0.1.0+abc", "construido": "2026-01-01T00:00:00+00:00", **datos}))
    texto = book.write_versions_index(tmp_path).read_text()
    assert re.findall(r'href="(\d{4}-\d{2})/index.html"', texto) == ["2024-04", "2024-03", "2024-02"]
    assert re.findall(r"<td>([\d,—]+)</td><td>duckdb</td>", texto) == ["—", "300", "1,500"]


def test_report_version_names_the_commit():
    assert book.report_version({"commit_corto": "abc1234", "cambios_sin_commit": False}).endswith("+abc1234")
    assert book.report_version({"commit_corto": "abc1234", "cambios_sin_commit": True}).endswith("+abc1234.mod")
    assert book.report_version({"commit_corto": None, "cambios_sin_commit": None}).endswith("+sin-git")


def test_manifest_and_dictionary_render_as_markdown_tables():
    manifiesto = {
        "version": "0.1.0+abc", "periodo": "2025-12", "construido": "2026-01-01T00:00:00+00:00",
        "git": {"commit": "abc", "cambios_sin_commit": False}, "python": "3.11.9", "plataforma": "Linux",
        "parametros": {"period": "2025-12", "engine": "duckdb"}, "generacion": {"n_clientes": 1500, "seed": 42},
        "filas_por_capa": {"gold_db": {"gold_facturacion_teorica_mes": 69212}},
        "duraciones_s": {"cuaderno 01": 4.25}, "paquetes": {"duckdb": "2.0.1"},
        "pipeline": {"terminado": "2026-01-01", "periodo": "todos los meses", "segundos": 1.5,
                     "segundos_por_capa": {"bronze": 0.6}},
    }
    texto = book.manifest_markdown(manifiesto)
    assert "69,212" not in texto, "the whole lake's row counts include months after the edition's period"
    assert "| cuaderno 01 | 4.2 |" in texto or "| cuaderno 01 | 4.3 |" in texto
    assert "## Última ejecución del pipeline" in texto and "| bronze | 0.60 |" in texto
    assert "| Parámetro `engine` | `duckdb` |" in texto and "| Generación `seed` | `42` |" in texto
    diccionario = book.dictionary_markdown(__import__("pandas").DataFrame({
        "base_datos": ["raw_db", "raw_db"], "tabla": ["cliente", "cliente"], "filas": [10, 10],
        "columna": ["id_cliente", "nombre"], "tipo": ["VARCHAR", "VARCHAR"], "descripcion": ["Código | id", ""],
    }))
    assert "### `raw_db.cliente`" in diccionario and "filas" not in diccionario
    assert "Código \\| id" in diccionario


def test_a_failing_notebook_stops_the_build_and_names_itself(tmp_path, monkeypatch):
    from nbformat.v4 import new_code_cell, new_notebook

    def cuaderno(nombre, codigo):
        path = tmp_path / nombre
        nb = new_notebook(cells=[new_code_cell(codigo)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
        return path

    fuentes = [cuaderno("01_falla.ipynb", "assert period == 'x', 'wrong result'"),
               cuaderno("02_lento.ipynb", "import time; time.sleep(6)"),
               cuaderno("03_en_cola.ipynb", "pass")]
    monkeypatch.setattr(book, "notebooks", lambda: fuentes)
    destino = tmp_path / "salida"
    destino.mkdir()
    with pytest.raises(book.BookBuildError, match="01_falla.ipynb.*wrong result"):
        book.run_notebooks(book.chapter_executions(destino, {"period": "2025-12"}), progress=False)
    assert not (destino / "03_en_cola.ipynb").exists()


def test_a_kept_kernel_runs_each_notebook_as_a_fresh_one_would(tmp_path, monkeypatch):
    from nbformat.v4 import new_code_cell, new_notebook

    def ejecucion(nombre, celdas, carpeta):
        carpeta.mkdir()
        fuente = carpeta / f"{nombre}.ipynb"
        nb = new_notebook(cells=[new_code_cell(codigo) for codigo in celdas])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, fuente)
        return book.Execution(fuente, tmp_path / f"{nombre}_salida.ipynb", {}, cwd=carpeta)

    primero = ejecucion("primero", ["import os\nsecreto = 42", "print(os.getpid())"], tmp_path / "a")
    segundo = ejecucion("segundo", ["import os\nprint(os.getpid())",
                                    "print(sorted(n for n in dir() if not n.startswith('_')))", "print(os.getcwd())",
                                    "1 + 1"], tmp_path / "b")
    monkeypatch.setattr(book, "PARALLEL_NOTEBOOKS", 1)
    book.run_notebooks([primero, segundo], progress=False)

    uno, dos = (nbformat.read(e.destino, as_version=4).cells for e in (primero, segundo))
    assert uno[1].outputs[0]["text"] == dos[0].outputs[0]["text"], "the second notebook ran in the same kernel"
    nombres = dos[1].outputs[0]["text"]
    assert "secreto" not in nombres, nombres
    assert dos[2].outputs[0]["text"] == f"{tmp_path / 'b'}\n", "in its own folder"
    assert [celda.execution_count for celda in dos] == [1, 2, 3, 4]
    assert dos[3].outputs[0]["execution_count"] == 4


def test_only_the_default_lake_with_the_default_engine_is_the_demo(tmp_path):
    assert book.is_demo_lake(book.DEMO_LAKE, "duckdb")
    assert not book.is_demo_lake(tmp_path / "lake", "duckdb")
    assert not book.is_demo_lake(book.DEMO_LAKE, "athena")


def test_demo_lake_is_generated_once_and_rebuilt_only_when_stale(tmp_path, monkeypatch):
    from lds_utils.detection import alerts
    from lds_utils.lake.pipeline import FINGERPRINT_NAME
    from lds_utils.reporting import report
    from lds_utils.synthetic.generate import GeneratorConfig

    monkeypatch.setattr(book, "DEMO_SAMPLE", GeneratorConfig(n_clientes=120, seed=3, desde="2025-01", hasta="2025-04"))
    lake = tmp_path / "lake"
    assert list(book.prepare_demo_lake(lake)) == ["generacion", "pipeline", "alertas"]
    assert report.read_generation(lake)["n_clientes"] == 120
    ctx = report.open_report(lake=lake)
    alerts.require_tables(ctx)
    ctx.close()
    assert book.prepare_demo_lake(lake) == {}

    (lake / "raw" / "notas_del_analista.txt").write_text("mío\n", encoding="utf-8")
    raw = {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((lake / "raw").rglob("*")) if p.is_file()}
    (lake / FINGERPRINT_NAME).write_text("sql of an older checkout")
    assert list(book.prepare_demo_lake(lake)) == ["pipeline", "alertas"]
    assert {str(p): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted((lake / "raw").rglob("*")) if p.is_file()} == raw, "raw/ is never regenerated"
    with DuckDBEngine(lake) as engine:
        engine.con.execute("drop view gold_db.gold_senales_mes")
    assert list(book.prepare_demo_lake(lake)) == ["alertas"]


# -- point-in-time editions ------------------------------------------------------------------------------------
#: Annexes that report the committed benchmark runs (bench/results/), measured on lakes of their own: their months
#: are those runs', not the edition's data.
BENCHMARK_ANNEXES = {"despliegue_aws.html", "escalabilidad.html"}


def _later_months(periodo: str) -> str:
    """A pattern of any YYYY-MM label after periodo, up to three years later (the sample ends within them)."""
    anio, mes = int(periodo[:4]), int(periodo[5:])
    meses = [f"{anio}-{m:02d}" for m in range(mes + 1, 13)] + [f"{a}-{m:02d}" for a in range(anio + 1, anio + 4)
                                                                for m in range(1, 13)]
    return "|".join(meses)


def test_an_earlier_edition_shows_nothing_of_a_later_month(libros):
    periodo, posterior = libros["periodos"]
    carpeta = libros["build"] / "versions" / periodo
    meses_posteriores = _later_months(periodo)
    later = re.compile(meses_posteriores)
    construido = json.loads((carpeta / book.MANIFEST).read_text())["construido"]  # build metadata, not data
    for pagina in _paginas(carpeta):
        if pagina.name in BENCHMARK_ANNEXES or f"book/{pagina.name}" in editions.BUILD_METADATA:
            continue
        texto = pagina.read_text(encoding="utf-8").replace(construido, "")
        texto = re.sub(r"<script.*?</script>|<style.*?</style>", "", texto, flags=re.S)
        texto = re.sub(r'<section id="fuentes">.*?</section>', "", texto, flags=re.S)  # citations: dated by publication
        texto = re.sub(r'srcdoc="[^"]*"', "", texto)  # the map's own page (its figures are the month's: checked below)
        hallado = later.search(html.unescape(re.sub(r"<[^>]+>", " ", texto)))
        assert hallado is None, f"{pagina.name} shows {hallado.group(0)}, after the edition's period {periodo}"
    tablero = (carpeta / "notebooks" / "08_tablero.html").read_text(encoding="utf-8").replace(construido, "")
    assert not re.search(meses_posteriores, html.unescape(tablero)), "the dashboard's map or tables name a later month"
    assert f"Periodo de análisis: {periodo}" in (carpeta / "book" / "intro.html").read_text(encoding="utf-8")
    assert posterior > periodo


def test_an_edition_rebuilt_after_a_later_one_is_identical(libros, tmp_path):
    periodo = libros["periodos"][0]
    primera = libros["build"] / "versions" / periodo
    book.build_book(periodo, lake=libros["lago"], build_root=tmp_path / "_build", progress=False)
    segunda = tmp_path / "_build" / "versions" / periodo
    distintos = editions.changed_files(primera, segunda)
    assert not distintos, f"rebuilding {periodo} changed {distintos[:10]}"


def test_the_notebooks_that_read_the_whole_history_start_first():
    orden = [cuaderno.stem for cuaderno in book.execution_order(book.notebooks())]
    assert set(book.FIRST_NOTEBOOKS) <= {cuaderno.stem for cuaderno in book.notebooks()}, "a renamed notebook"
    assert orden[:2] == list(book.FIRST_NOTEBOOKS)
    assert orden[2:] == sorted(orden[2:]), "the others in reading order"


def test_the_appendices_written_as_myst_notebooks_run_with_the_chapters_not_in_sphinx(tmp_path):
    staging = tmp_path / "staging"
    (staging / book.BOOK_DIR).mkdir(parents=True)
    (staging / "_config.yml").write_text(yaml.safe_dump({"parse": {"myst_enable_extensions": ["colon_fence"]}}))
    pagina = staging / book.BOOK_DIR / "anexo.md"
    pagina.write_text("---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n"
                      "mystnb:\n  execution_mode: force\n---\n\n# Anexo\n\n```{code-cell} python\n"
                      ":tags: [remove-input]\n\nimport os\nprint(os.getcwd(), 6 * 7)\n```\n\nTexto final.\n")
    (staging / book.BOOK_DIR / "prosa.md").write_text("# Prosa\n\nSin código.\n")

    ejecucion, = book.stage_annexes(staging)
    assert not pagina.exists() and (staging / book.BOOK_DIR / "prosa.md").exists()
    assert ejecucion.destino == pagina.with_suffix(".ipynb") and ejecucion.parametros == {}
    fuente = nbformat.read(ejecucion.fuente, as_version=4)
    assert "mystnb" not in fuente.metadata, "Sphinx would execute the page again"
    assert [celda.id for celda in fuente.cells] == ["anexo-0", "anexo-1", "anexo-2"]
    assert fuente.cells[1].metadata["tags"] == ["remove-input"]

    duraciones = book.run_notebooks([ejecucion], progress=False)
    assert list(duraciones) == ["cuaderno anexo"]
    salida, = nbformat.read(ejecucion.destino, as_version=4).cells[1].outputs
    assert salida["text"] == f"{pagina.parent} 42\n", "executed in the page's folder, as Sphinx did"
