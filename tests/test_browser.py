"""The book as a reader sees it: every page of an edition in headless Chromium with no network.

Reads the editions the session fixture ``libros`` built (tests/conftest.py) through tests/browser.py, a
small Chrome DevTools Protocol client; each page is opened once and the tests check what was recorded.
Pages are opened from disk (file://), as a reader opens an edition's folder: the strictest case, since a
browser also refuses there what a web server would allow (a script fetching another page of the book).
Chromium is Debian's ``chromium`` package (``make test`` installs it); without it these tests fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from lds_utils.reporting import book
from tests.browser import Tab

EDICION = "2025-12"
SEARCH = "search.html?q=consumo"
DASHBOARD = "notebooks/08_tablero.html"
FORMULA_PAGES = ("notebooks/06_metodologia_iqr.html", "notebooks/10_validacion.html")
ARTIFACTS = book.PROJECT_ROOT / "_build" / "test-artifacts"
SCREENSHOT = "08_tablero.png"
#: Schemes of what a page loads from itself: its files and what its scripts make in memory.
LOCAL = ("file:", "data:", "blob:", "about:")
#: The theme's and its extensions' English: the labels the book translates itself (found in its pages
#: before, see lds_utils/reporting/sphinx_offline.py and _config.yml) and those their catalogues translate.
ENGLISH = (
    "Search this book", "Show code cell", "Hide code cell", "Toggle hidden content", "Toggle primary sidebar",
    "Toggle secondary sidebar", "Link to this", "Announcement", "Main", "Page", "Contents", "On this page",
    "Download this page", "Print to PDF", "Fullscreen mode", "Light", "Dark", "System", "Search",
    "Search Results", "previous page", "next page", "Skip to main content", "Back to top", "Copy", "Copied",
    "Last updated", "By",
)
RAW_LATEX = re.compile(r"\$\$|\\(?:frac|text|times|left|right|ln)\b")
MIN_DISTRICTS = 50

#: What a reader meets on the page: its text without code, its elements' labels, its formulas' boxes.
READ_PAGE = """(() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('script, style, noscript, pre').forEach(e => e.remove());
  const labels = [...document.querySelectorAll('*')].flatMap(e =>
    ['title', 'aria-label', 'placeholder', 'alt', 'data-bs-title', 'data-tooltip']
      .map(a => e.getAttribute(a)).filter(Boolean));
  const formulas = [...document.querySelectorAll('math')].map(m =>
    ({display: getComputedStyle(m).display, width: m.getBoundingClientRect().width}));
  const map = document.querySelector('iframe[srcdoc]')?.contentDocument;
  const paths = map ? map.querySelectorAll('path.leaflet-interactive').length : 0;
  return {text: body.textContent, labels, formulas, paths};
})()"""
SEARCH_DONE = "document.querySelector('#search-results .search-summary')?.innerText"


@dataclass
class Lectura:
    """What one page loaded, logged and showed."""

    requests: list[str]
    errors: list[str]
    text: str
    labels: list[str]
    formulas: list[dict]
    paths: int


def pages(edicion: Path) -> list[str]:
    """Every page of the edition (index.html only redirects to book/intro.html), plus a search with results."""
    paginas = [p.relative_to(edicion).as_posix() for p in edicion.rglob("*.html")]
    return sorted(p for p in paginas if not p.startswith("_") and p != "index.html") + [SEARCH]


def read(tab: Tab, edicion: Path, pagina: str) -> Lectura:
    tab.open(edicion.as_uri() + "/" + pagina)
    if pagina == SEARCH:
        tab.wait_until(SEARCH_DONE)
    return Lectura(tab.requests(), tab.errors(), **tab.evaluate(READ_PAGE))


@pytest.fixture(scope="module")
def lecturas(libros) -> dict[str, Lectura]:
    """Each page of the edition read once in one headless Chromium; the dashboard's screenshot saved."""
    edicion = libros["build"] / "versions" / EDICION
    (ARTIFACTS / SCREENSHOT).unlink(missing_ok=True)
    resultado = {}
    with Tab() as tab:
        for pagina in pages(edicion):
            resultado[pagina] = read(tab, edicion, pagina)
            if pagina == DASHBOARD:
                tab.screenshot(ARTIFACTS / SCREENSHOT)
    return resultado


def assert_no_page_has(lecturas: dict[str, Lectura], problemas) -> None:
    """Fail listing, page by page, what ``problemas(lectura)`` found (an empty list where nothing)."""
    encontrados = [f"{pagina}: {hallado}" for pagina, lectura in lecturas.items() if (hallado := problemas(lectura))]
    assert not encontrados, "\n" + "\n".join(encontrados)


def test_no_request_leaves_the_book(lecturas):
    assert_no_page_has(lecturas, lambda lectura: [u for u in lectura.requests if not u.startswith(LOCAL)])


def test_no_console_error_or_uncaught_exception(lecturas):
    assert_no_page_has(lecturas, lambda lectura: lectura.errors)


def test_formulas_render_as_mathml(lecturas):
    sin_formulas = [pagina for pagina in FORMULA_PAGES if not lecturas[pagina].formulas]
    assert not sin_formulas, f"no MathML formula on {sin_formulas}"
    assert_no_page_has(lecturas, lambda lectura: [f for f in lectura.formulas
                                                  if "math" not in f["display"] or not f["width"]])
    assert_no_page_has(lecturas, lambda lectura: RAW_LATEX.findall(lectura.text))


def test_no_english_label_or_text(lecturas):
    ingles = re.compile(r"\b(" + "|".join(map(re.escape, ENGLISH)) + r")\b")
    assert_no_page_has(lecturas, lambda lectura: sorted({hallado for texto in [lectura.text, *lectura.labels]
                                                         for hallado in ingles.findall(texto)}))


def test_dashboard_map_draws_the_districts(lecturas):
    trazos = lecturas[DASHBOARD].paths
    assert trazos >= MIN_DISTRICTS, f"{trazos} Leaflet paths in the map's iframe, expected one per district"


def test_dashboard_screenshot_is_saved(lecturas):
    captura = ARTIFACTS / SCREENSHOT
    assert captura.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
