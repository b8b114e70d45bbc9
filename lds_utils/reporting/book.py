"""Build the versioned book: run every notebook with papermill over the lake, build HTML.

The notebooks only read the lake. On the demo lake (the repository's ``lake/`` read by the embedded
engine) ``build_book`` first takes the explicit steps a reader never takes: it generates the default
sample into a lake without data, runs the pipeline when GOLD is missing or was built by other SQL, and
builds the alert relations (``prepare_demo_lake``). Any other lake is only read: one that is not ready
stops the build in one line naming the command that builds it.

``build_book(period)`` writes ``_build/versions/<period>/`` (``index.html`` at its root, plus
``manifiesto.json``) and refreshes ``_build/versions/index.html``, the list of every period built.
The book is built from a staging copy (``_build/.staging/<period>/``) that holds the executed
notebooks, the generated pages (data dictionary, run manifest) and a ``_config.yml`` carrying the
report version and period, so the committed notebooks stay free of outputs. The staging copy and
its ``jupyter-book.log`` are kept after a failed build for inspection, except when the disk is full:
then it is removed and the build stops in one line.

The demo lake's writer steps need a lake that can be written: on a read-only one (a published lake on
a read-only share) a step that is needed stops the build in one line before anything is written, and a
demo lake that needs no step is only read, like any other lake.
"""

from __future__ import annotations

import errno
import html
import json
import os
import platform
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import nbformat
import pandas as pd
import yaml
from tqdm import tqdm

import lds_utils
from lds_utils import config
from lds_utils.detection import alerts
from lds_utils.lake.registry import open_engine
from lds_utils.reporting import report
from lds_utils.synthetic.generate import GeneratorConfig

PROJECT_ROOT = config.PROJECT_ROOT
#: The lake `make book` prepares when needed (what config.resolve_lake gives without --lake or $LDS_LAKE).
DEMO_LAKE = config.resolve_lake("lake")
#: The sample generated into an empty demo lake: the defaults of the `generate` command.
DEMO_SAMPLE = GeneratorConfig()
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_DIR = "book"
GENERATED_DIR = "_generado"
MANIFEST = "manifiesto.json"
KERNEL = "python3"
CELL_TIMEOUT_S = 600
PARALLEL_NOTEBOOKS = 2
#: Started first, the notebooks that read the whole history (the candidate comparison, the validation): at 1.3 M
#: customers they take 48 and 50 s of the notebooks' 173 s (bench/results/ciclo.json). In reading order the
#: validation started last and ran alone at the end: the notebooks took about 105 s of the edition, now 93 s.
FIRST_NOTEBOOKS = ("06_metodologia_iqr", "10_validacion")
HIDDEN_TAG = "remove-cell"
#: Where stage_annexes leaves the appendices' unexecuted notebooks, inside the staging copy.
ANNEX_SOURCES = ".anexos"
#: What the Reproducibilidad page shows of the lake's generacion.json (the sample is determined by them).
GENERATION_SHOWN = ("n_clientes", "seed")
_JUPYTER_BOOK = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"


class BookBuildError(config.RunFailed):
    """A notebook failed or Sphinx reported a warning; the message says where to look."""


def notebooks() -> list[Path]:
    """The book's notebooks, in reading order (their names start with a two-digit number)."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def execution_order(cuadernos: list[Path]) -> list[Path]:
    """The order the build starts the notebooks in: FIRST_NOTEBOOKS first, then the others in reading order."""
    return sorted(cuadernos, key=lambda cuaderno: cuaderno.stem not in FIRST_NOTEBOOKS)


# -- version and manifest ----------------------------------------------------------------------------------
def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def git_info() -> dict:
    """Commit of the checkout and whether tracked files differ from it (None outside a git clone)."""
    commit = _git("rev-parse", "HEAD")
    cambios = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "commit_corto": commit[:7] if commit else None,
            "cambios_sin_commit": bool(cambios) if cambios is not None else None}


def report_version(git: dict) -> str:
    """``<package version>+<short commit>`` (``+sin-git`` outside a clone, ``.mod`` if uncommitted edits)."""
    if not git["commit_corto"]:
        return f"{lds_utils.__version__}+sin-git"
    return f"{lds_utils.__version__}+{git['commit_corto']}{'.mod' if git['cambios_sin_commit'] else ''}"


def package_versions() -> dict[str, str]:
    """Installed version of every package pinned in requirements.txt."""
    nombres = [
        linea.split("==")[0].split("[")[0].strip()
        for linea in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
        if "==" in linea and not linea.lstrip().startswith("#")
    ]
    return {nombre: _installed(nombre) for nombre in nombres}


def _installed(nombre: str) -> str:
    try:
        return metadata.version(nombre)
    except metadata.PackageNotFoundError:
        return "no instalado"


def pipeline_summary(lake: Path) -> dict | None:
    """The lake's last pipeline run (lake/pipeline_manifest.json): when, which months, seconds per layer."""
    from lds_utils.lake.pipeline import MANIFEST_NAME

    path = Path(lake) / MANIFEST_NAME
    if not path.is_file():
        return None
    ejecucion = json.loads(path.read_text(encoding="utf-8"))
    pasos = pd.DataFrame(ejecucion["steps"])
    por_capa = pasos.groupby("layer", sort=False)["seconds"].sum().round(2)
    return {"terminado": ejecucion["finished_at"], "periodo": ejecucion["period"] or "todos los meses",
            "segundos_por_capa": por_capa.to_dict(), "segundos": ejecucion["total_seconds"]}


def manifest_markdown(manifiesto: dict) -> str:
    """The run manifest as Markdown tables for the Reproducibilidad page."""
    generales = pd.DataFrame(
        [
            ("Versión del informe", manifiesto["version"]),
            ("Periodo de análisis", manifiesto["periodo"]),
            ("Commit", manifiesto["git"]["commit"] or "sin git"),
            ("Cambios sin commit", {True: "sí", False: "no", None: "sin git"}[manifiesto["git"]["cambios_sin_commit"]]),
            ("Construido", manifiesto["construido"]),
            ("Python", manifiesto["python"]),
            ("Plataforma", manifiesto["plataforma"]),
        ]
        + [(f"Parámetro `{clave}`", f"`{valor}`") for clave, valor in manifiesto["parametros"].items()]
        + [(f"Generación `{clave}`", f"`{manifiesto['generacion'][clave]}`") for clave in GENERATION_SHOWN],
        columns=["Dato", "Valor"],
    )
    duraciones = pd.DataFrame(
        [(paso, f"{segundos:,.1f}") for paso, segundos in manifiesto["duraciones_s"].items()],
        columns=["Paso", "Segundos"],
    )
    paquetes = pd.DataFrame(list(manifiesto["paquetes"].items()), columns=["Paquete", "Versión"])
    partes = [
        "## Ejecución", _markdown_table(generales),
        "## Duración de cada paso",
        "Los pasos de preparación del lago aparecen solo si esta construcción los ejecutó; la "
        "construcción del HTML se registra en `manifiesto.json`, junto al libro.",
        _markdown_table(duraciones),
    ]
    if manifiesto["pipeline"]:
        pipeline = manifiesto["pipeline"]
        capas = pd.DataFrame([(capa, f"{segundos:,.2f}") for capa, segundos in pipeline["segundos_por_capa"].items()],
                             columns=["Capa", "Segundos"])
        partes += [
            "## Última ejecución del pipeline",
            f"Terminó el {pipeline['terminado']} ({pipeline['periodo']}) en {pipeline['segundos']:,.1f} s.",
            _markdown_table(capas),
        ]
    return "\n\n".join([*partes, "## Paquetes", _markdown_table(paquetes)]) + "\n"


def _markdown_table(tabla: pd.DataFrame) -> str:
    """A DataFrame as a Markdown pipe table (values are written as given)."""
    cabecera = "| " + " | ".join(tabla.columns) + " |"
    separador = "|" + "|".join(" --- " for _ in tabla.columns) + "|"
    cuerpo = tabla.astype(str).apply(lambda fila: "| " + " | ".join(v.replace("|", "\\|") for v in fila) + " |", axis=1)
    return "\n".join([cabecera, separador, *cuerpo])


def dictionary_markdown(diccionario: pd.DataFrame) -> str:
    """The data dictionary (base_datos, tabla, columna, tipo, descripcion) as Markdown sections.

    Row counts are left out: they are the whole lake's, and an edition shows nothing recorded after its period.
    """
    partes = []
    for base, tablas in diccionario.groupby("base_datos", sort=False):
        partes.append(f"## `{base}`")
        for tabla, columnas in tablas.groupby("tabla", sort=False):
            partes.append(f"### `{base}.{tabla}`")
            partes.append(_markdown_table(columnas[["columna", "tipo", "descripcion"]].rename(
                columns={"columna": "Columna", "tipo": "Tipo", "descripcion": "Descripción"})))
    return "\n\n".join(partes) + "\n"


# -- staging -----------------------------------------------------------------------------------------------
def stage_sources(staging: Path, version: str, period: str, construido: str) -> None:
    """Copy the book sources into staging with the version and period written into its config."""
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "notebooks").mkdir(parents=True)
    shutil.copytree(PROJECT_ROOT / BOOK_DIR, staging / BOOK_DIR)
    shutil.copy2(PROJECT_ROOT / "_toc.yml", staging / "_toc.yml")
    ajustes = yaml.safe_load((PROJECT_ROOT / "_config.yml").read_text(encoding="utf-8"))
    ajustes["parse"]["myst_substitutions"] = {  # inline code takes no substitution: the commands are substituted whole
        "version": version, "periodo": period,
        "comando_libro": f"`python -m lds_utils book --period {period}`", "comando_make": f"`make book PERIOD={period}`"}
    ajustes["html"]["announcement"] = f"Informe versión {version} · Periodo de análisis: {period}"
    ajustes["html"]["extra_footer"] = (
        f"<p>Versión del informe {html.escape(version)} · periodo de análisis {period} · "
        f"construido el {construido}</p>"
    )
    (staging / "_config.yml").write_text(yaml.safe_dump(ajustes, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_generated(staging: Path, nombre: str, texto: str) -> None:
    carpeta = staging / BOOK_DIR / GENERATED_DIR
    carpeta.mkdir(parents=True, exist_ok=True)
    (carpeta / nombre).write_text(texto, encoding="utf-8")


#: What papermill and the kernel write about the run into an executed notebook (timings, the staging paths): build
#: metadata (the manifest keeps each notebook's duration), dropped so an edition rebuilt from the same data is the
#: same file.
_TIMINGS = ("start_time", "end_time", "duration", "input_path", "output_path")


def finish_executed_notebook(path: Path) -> None:
    """Tag papermill's injected-parameters cell so readers never see it, and drop the run timings."""
    cuaderno = nbformat.read(path, as_version=4)
    for clave in _TIMINGS:
        cuaderno.metadata.get("papermill", {}).pop(clave, None)
    for celda in cuaderno.cells:
        etiquetas = celda.metadata.setdefault("tags", [])
        if "injected-parameters" in etiquetas:
            celda.id = "parametros-inyectados"  # papermill draws a random id
            if HIDDEN_TAG not in etiquetas:
                etiquetas.append(HIDDEN_TAG)
        celda.metadata.pop("execution", None)
        for clave in _TIMINGS:
            celda.metadata.get("papermill", {}).pop(clave, None)
    nbformat.write(cuaderno, path)


def run_notebook(fuente: Path, destino: Path, parametros: dict, cwd: Path, kernel) -> float:
    """Execute one notebook with papermill in ``kernel`` (a started jupyter_client KernelManager, reset first: see
    _reset_kernel), in the folder ``cwd``; return its duration in seconds."""
    import papermill

    inicio = time.perf_counter()
    _reset_kernel(kernel, cwd)
    try:
        papermill.execute_notebook(
            str(fuente), str(destino), parameters=parametros, kernel_name=KERNEL, progress_bar=False,
            execution_timeout=CELL_TIMEOUT_S, log_output=False, km=kernel,
        )
    except papermill.PapermillExecutionError as error:
        raise BookBuildError(
            f"notebook {fuente.name} failed in cell {error.exec_count}: {error.ename}: {error.evalue} "
            f"(executed copy: {destino})"
        ) from None
    finish_executed_notebook(destino)
    return round(time.perf_counter() - inicio, 2)


#: Run in a kept kernel before each notebook, outside its history: what a fresh kernel would not hold (the previous
#: notebook's names and output history, its memory) goes, the working folder and the execution count start over
#: (pyplot figures are closed after every cell by the inline backend). The modules stay imported: that is the point
#: (about 2 s a notebook of kernel start and imports).
_RESET_KERNEL = """\
%reset -f
import gc, os
gc.collect()
os.chdir({carpeta!r})
get_ipython().execution_count = 1
del gc, os
"""


def _reset_kernel(kernel, carpeta: Path) -> None:
    cliente = kernel.client()
    cliente.start_channels()
    try:
        cliente.wait_for_ready(timeout=CELL_TIMEOUT_S)
        respuesta = cliente.execute_interactive(_RESET_KERNEL.format(carpeta=str(carpeta)), store_history=False,
                                                timeout=CELL_TIMEOUT_S, output_hook=lambda mensaje: None)
    finally:
        cliente.stop_channels()
    if respuesta["content"]["status"] != "ok":
        raise BookBuildError(f"the notebook kernel could not be reset: {respuesta['content'].get('evalue')}")


@contextmanager
def _kernels(cuantos: int) -> Iterator[queue.Queue]:
    """``cuantos`` started kernels in a queue, each lent to one notebook at a time; shut down on leaving."""
    from jupyter_client.manager import KernelManager

    libres: queue.Queue = queue.Queue()
    iniciados = []
    try:
        for _ in range(cuantos):
            kernel = KernelManager(kernel_name=KERNEL)
            # no per-kernel transport notice in the build log; no input history, whose line numbers the reset's
            # execution count would repeat
            kernel.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"])
            iniciados.append(kernel)
            libres.put(kernel)
        yield libres
    finally:
        for kernel in iniciados:
            kernel.shutdown_kernel(now=True)


@dataclass(frozen=True)
class Execution:
    """One notebook the build executes: from ``fuente`` into ``destino``, with ``parametros``, in ``cwd``."""

    fuente: Path
    destino: Path
    parametros: dict
    cwd: Path | None = None


def chapter_executions(destino: Path, parametros: dict) -> list[Execution]:
    """The chapters (notebooks/), in execution_order, executed into ``destino`` with the edition's parameters."""
    return [Execution(fuente, destino / fuente.name, parametros) for fuente in execution_order(notebooks())]


def stage_annexes(staging: Path) -> list[Execution]:
    """The staged pages written as MyST notebooks (``file_format: mystnb``: the appendices whose code renders the
    committed benchmarks), converted to notebooks to execute with the chapters, in the staged page's folder as Sphinx
    would: Sphinx executes such pages one after the other once every chapter is done (at 300,000 customers the HTML
    build took 12.4 s with them; without them, and with requirements.txt's C stemmer, 4.5 s). Each page's .md gives
    way to its executed .ipynb, the same document to Sphinx; the unexecuted notebooks wait in
    ``staging/ANNEX_SOURCES``, removed once executed."""
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    extensions = yaml.safe_load((staging / "_config.yml").read_text(encoding="utf-8"))["parse"]["myst_enable_extensions"]
    fuentes = staging / ANNEX_SOURCES
    ejecuciones = []
    for pagina in sorted((staging / BOOK_DIR).glob("*.md")):
        texto = pagina.read_text(encoding="utf-8")
        if not is_myst_markdown_notebook(texto):
            continue
        cuaderno = read_myst_markdown_notebook(texto, MdParserConfig(enable_extensions=set(extensions)))
        cuaderno.metadata.pop("mystnb", None)  # its execution settings: executed here, never by Sphinx
        for numero, celda in enumerate(cuaderno.cells):  # the reader draws random ids: an edition rebuilt is the same
            celda.id = f"{pagina.stem}-{numero}"
        fuentes.mkdir(exist_ok=True)
        fuente = fuentes / f"{pagina.stem}.ipynb"
        nbformat.write(cuaderno, fuente)
        pagina.unlink()
        ejecuciones.append(Execution(fuente, pagina.with_suffix(".ipynb"), {}, cwd=pagina.parent))
    return ejecuciones


def run_notebooks(ejecuciones: list[Execution], progress: bool) -> dict[str, float]:
    """Execute the notebooks, two at a time (the lake is only read), in the order given; return durations.

    Each of the two kernels is started once and kept for the notebooks it runs, reset before each one
    (_RESET_KERNEL): a notebook sees nothing of the one before it but the imported modules.

    One progress bar counts finished notebooks. The first failure stops the build: notebooks not yet
    started are skipped, the one still running is let finish, and the failure is raised.
    """
    fallo = threading.Event()

    def run_one(ejecucion: Execution) -> float | None:
        if fallo.is_set():
            return None
        kernel = kernels.get()
        try:
            return run_notebook(ejecucion.fuente, ejecucion.destino, ejecucion.parametros,
                                ejecucion.cwd or ejecucion.fuente.parent, kernel)
        except BaseException:
            fallo.set()
            raise
        finally:
            kernels.put(kernel)

    duraciones = {}
    with _kernels(min(PARALLEL_NOTEBOOKS, len(ejecuciones))) as kernels, \
            ThreadPoolExecutor(max_workers=PARALLEL_NOTEBOOKS) as pool, \
            tqdm(total=len(ejecuciones), desc="cuadernos", unit="cuaderno", file=sys.stderr, disable=not progress) as barra:
        pendientes = {pool.submit(run_one, ejecucion): ejecucion for ejecucion in ejecuciones}
        for hecho in as_completed(pendientes):
            fuente = pendientes[hecho].fuente
            duraciones[f"cuaderno {fuente.stem}"] = hecho.result()
            barra.set_postfix_str(fuente.stem)
            barra.update()
    return dict(sorted(duraciones.items()))


def run_jupyter_book(staging: Path) -> float:
    """Build HTML with warnings as errors; the full log is kept in staging/jupyter-book.log."""
    inicio = time.perf_counter()
    comando = [sys.executable, "-c", _JUPYTER_BOOK, "build", str(staging), "--path-output", str(staging),
               "--builder", "html", "-W", "-n", "--keep-going"]
    hecho = subprocess.run(comando, capture_output=True, text=True)
    log = staging / "jupyter-book.log"
    log.write_text(hecho.stdout + hecho.stderr, encoding="utf-8")
    if hecho.returncode != 0 and config.is_disk_full(OSError(hecho.stdout + hecho.stderr)):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging))
    if hecho.returncode != 0:
        avisos = [linea for linea in (hecho.stdout + hecho.stderr).splitlines() if "WARNING" in linea or "ERROR" in linea]
        raise BookBuildError("jupyter-book build failed:\n" + "\n".join(avisos[:20] or [f"see {log}"]))
    return round(time.perf_counter() - inicio, 2)


# -- versions ----------------------------------------------------------------------------------------------
def write_versions_index(versions_dir: Path) -> Path:
    """``versions/index.html``: every built period, newest first, with its version and build date."""
    manifiestos = [json.loads(p.read_text(encoding="utf-8")) for p in versions_dir.glob(f"*/{MANIFEST}")]
    manifiestos.sort(key=lambda m: m["periodo"], reverse=True)
    filas = "\n".join(
        f'<tr><td><a href="{m["periodo"]}/index.html">{m["periodo"]}</a></td><td>{html.escape(m["version"])}</td>'
        f'<td>{html.escape(m["construido"])}</td><td>{_customers(m)}</td>'
        f'<td>{html.escape(m["parametros"]["engine"])}</td></tr>'
        for m in manifiestos
    )
    pagina = f"""<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>Facturación atípica en Luz del Sur: versiones</title>
<style>body{{font-family:sans-serif;margin:2rem;max-width:54rem}}table{{border-collapse:collapse;width:100%}}
th,td{{border-bottom:1px solid #ccc;padding:.4rem .6rem;text-align:left}}th{{background:#1f4e79;color:white}}</style>
</head><body>
<h1>Facturación atípica en Luz del Sur</h1>
<p>Ediciones del informe construidas, de la más reciente a la más antigua. Cada una muestra los
indicadores de su periodo de análisis y las tendencias hasta ese mes.</p>
<table><thead><tr><th>Periodo</th><th>Versión del informe</th><th>Construido</th><th>Clientes</th><th>Motor</th></tr></thead>
<tbody>
{filas}
</tbody></table>
</body></html>
"""
    indice = versions_dir / "index.html"
    indice.write_text(pagina, encoding="utf-8")
    return indice


def _customers(manifiesto: dict) -> str:
    """Customers of the edition's sample (editions built before the parameters shrank recorded them there)."""
    generacion = manifiesto.get("generacion") or manifiesto["parametros"]
    return f"{generacion['n_clientes']:,}" if "n_clientes" in generacion else "—"


def _publish(html_dir: Path, destino: Path) -> None:
    if destino.exists():
        shutil.rmtree(destino)
    shutil.move(str(html_dir), str(destino))


# -- preparing the demo lake ------------------------------------------------------------------------------
def is_demo_lake(lake: Path, engine: str) -> bool:
    """Whether the book reads the demo lake: the default lake (the repository's lake/) with the default engine."""
    return Path(lake) == DEMO_LAKE and engine == config.DEFAULT_ENGINE


def prepare_demo_lake(lake: Path, progress: bool = False) -> dict[str, float]:
    """The writers `make book` runs on the demo lake, each only when needed; the seconds of each step taken.

    Generates the default sample when the lake has no RAW data (an existing lake is never regenerated
    or emptied, and a folder that is not a lake is never written into), runs the whole pipeline when GOLD is
    missing or was built by other SQL, and builds both alert relations for every month (what `alertas` builds
    for a range) when the pipeline ran or they do not match GOLD. A lake that needs no step is only read.
    """
    from lds_utils.lake.pipeline import lake_lock, pipeline_fingerprint, read_fingerprint, run_pipeline
    from lds_utils.synthetic.generate import run_generate

    duraciones = {}
    raw = config.LakePaths(lake).raw
    if not (raw.is_dir() and any(raw.iterdir())):
        with _writer_step(config.require_lake_or_empty(lake), "the default sample generated"):
            duraciones["generacion"] = _timed(run_generate, DEMO_SAMPLE, lake, progress=progress)
    if not report.gold_months(lake) or read_fingerprint(lake) != pipeline_fingerprint():
        with _writer_step(lake, "the pipeline run"):
            duraciones["pipeline"] = _timed(run_pipeline, lake)
    if "pipeline" in duraciones or not _alerts_match_gold(lake):
        with _writer_step(lake, "its alert relations built"), lake_lock(lake), open_engine("duckdb", lake) as engine:
            duraciones["alertas"] = _timed(alerts.build_all_alerts, engine)
    return duraciones


@contextmanager
def _writer_step(lake: Path, step: str) -> Iterator[None]:
    """A step that writes the demo lake: refused in one line, before any write, where the lake cannot be written."""
    existing = next(folder for folder in (lake, *lake.parents) if folder.exists())
    if not os.access(existing, os.W_OK):
        raise config.UsageError(
            f"the demo lake {lake} needs {step}, but {existing} cannot be written (a read-only share?): prepare it "
            f"where it can be written (`make book`), or build the book of a built lake with `--lake`")
    with config.writing(lake, "python -m lds_utils book"):
        yield


def _alerts_match_gold(lake: Path) -> bool:
    with open_engine("duckdb", lake, read_only=True) as engine:
        return alerts.tables_match_gold(engine, report.require_period(engine, lake, None)[0])


def _timed(funcion, *args, **kwargs) -> float:
    inicio = time.perf_counter()
    funcion(*args, **kwargs)
    return round(time.perf_counter() - inicio, 2)


# -- the whole build ---------------------------------------------------------------------------------------
def build_book(period: str | None = None, engine: str = config.DEFAULT_ENGINE, lake: Path | None = None,
               build_root: Path | None = None, progress: bool = True) -> Path:
    """Build the book for ``period`` (None = latest month with data); return the path of its index.html.

    Only the demo lake is prepared first (prepare_demo_lake); any other lake is only read.
    """
    inicio = time.perf_counter()
    build_root = Path(build_root) if build_root else PROJECT_ROOT / "_build"
    engine = config.parse_engine(engine)
    period = config.parse_period(period) if period else None
    lake = config.resolve_lake(lake)
    duraciones = {}
    if is_demo_lake(lake, engine):
        _say(progress, f"Preparando el lago de demostración en {lake} ...")
        duraciones = prepare_demo_lake(lake, progress)
    ctx = report.open_report(period, engine, lake)
    try:
        generacion = report.require_generation(lake)
        alerts.require_tables(ctx)
        diccionario = ctx.data_dictionary()
    finally:
        ctx.close()
    git = git_info()
    version = report_version(git)
    construido = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    staging = build_root / ".staging" / ctx.period
    parametros = {"period": ctx.period, "engine": ctx.engine_name, "lake": str(lake)}
    manifiesto = {"version": version, "periodo": ctx.period, "parametros": parametros, "git": git,
                  "construido": construido, **_run_facts(lake, generacion, diccionario), "duraciones_s": duraciones}
    try:
        destino = _build_edition(staging, build_root, manifiesto, diccionario, progress)
        manifiesto["duraciones_s"]["total"] = round(time.perf_counter() - inicio, 2)
        (destino / MANIFEST).write_text(json.dumps(manifiesto, ensure_ascii=False, indent=2), encoding="utf-8")
        write_versions_index(destino.parent)
    except Exception as error:
        if not config.is_disk_full(error):
            raise  # the staging copy is kept for inspection
        shutil.rmtree(staging, ignore_errors=True)
        raise config.RunFailed(f"no space left on the device of {build_root} while building the book of "
                               f"{ctx.period}: free some space, then run `python -m lds_utils book` again") from None
    _say(progress, f"Libro {ctx.period} listo en {destino / 'index.html'} ({manifiesto['duraciones_s']['total']:.0f} s)")
    return destino / "index.html"


def _build_edition(staging: Path, build_root: Path, manifiesto: dict, diccionario: pd.DataFrame,
                   progress: bool) -> Path:
    """Execute the notebooks in the staging copy, build the HTML and publish it; return the edition's folder."""
    stage_sources(staging, manifiesto["version"], manifiesto["periodo"], manifiesto["construido"])
    ejecuciones = chapter_executions(staging / "notebooks", manifiesto["parametros"]) + stage_annexes(staging)
    manifiesto["duraciones_s"] |= run_notebooks(ejecuciones, progress)
    shutil.rmtree(staging / ANNEX_SOURCES, ignore_errors=True)
    write_generated(staging, "manifiesto.md", manifest_markdown(manifiesto))
    write_generated(staging, "diccionario.md", dictionary_markdown(diccionario))
    _say(progress, "Construyendo el HTML (jupyter-book, advertencias como errores) ...")
    manifiesto["duraciones_s"]["libro html"] = run_jupyter_book(staging)
    destino = build_root / "versions" / manifiesto["periodo"]
    _publish(staging / "_build" / "html", destino)
    shutil.rmtree(staging)
    return destino


def _run_facts(lake: Path, generacion: dict, diccionario: pd.DataFrame) -> dict:
    """What the manifest records about the data and the software besides version, period and timings."""
    return {
        "informe": "Facturación atípica en Luz del Sur",
        "generacion": generacion,
        "python": platform.python_version(),
        "plataforma": platform.platform(),
        "paquetes": package_versions(),
        "filas_por_capa": _rows_by_layer(diccionario),
        "pipeline": pipeline_summary(lake),
    }


def _rows_by_layer(diccionario: pd.DataFrame) -> dict[str, dict[str, int]]:
    """The rows of what holds rows (every table, not the views), by database."""
    tablas = diccionario.drop_duplicates(["base_datos", "tabla"]).dropna(subset=["filas"])
    return {base: dict(zip(grupo["tabla"], grupo["filas"].astype(int))) for base, grupo in tablas.groupby("base_datos", sort=False)}


def _say(progress: bool, mensaje: str) -> None:
    if progress:
        print(mensaje, file=sys.stderr, flush=True)
