"""Sphinx extension of the book: formulas as MathML and the theme's English labels in Spanish.

``_config.yml`` loads it (``sphinx.config.extensions``) and selects its math renderer
(``html_math_renderer: mathml``).

Formulas: latex2mathml turns every ``$...$`` and ``$$...$$`` into MathML at build time, which browsers
draw natively, so the formulas render with no MathJax, no script and no network. Numbered equations are
not supported (the book has none). Stretchy delimiters (``\\left( ... \\right)``) take the reader's math font
(Cambria Math on Windows, STIX Two Math on macOS); without one they keep their normal size.

Labels: ``language: es`` translates what the theme and its extensions pass through Sphinx's catalogues;
the labels in ``SPANISH_LABELS`` are not (fixed in their templates or code, or untranslated in Sphinx's
Spanish catalogue), so once the HTML is written they are replaced in every page. Each key is the exact
markup written today; tests/test_browser.py fails if an English label reaches a reader.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert

SPANISH_LABELS = {
    # pydata-sphinx-theme, sections/announcement.html
    'aria-label="Announcement"': 'aria-label="Aviso"',
    # sphinx-book-theme, components/sbt-sidebar-nav.html, page-toc.html, toggle-*-sidebar.html
    'aria-label="Main"': 'aria-label="Capítulos"',
    'aria-label="Page"': 'aria-label="Secciones de la página"',
    '"Toggle primary sidebar"': '"Mostrar u ocultar los capítulos"',
    '"Toggle secondary sidebar"': '"Mostrar u ocultar las secciones de la página"',
    # sphinx-book-theme's Spanish catalogue writes "pagina"
    'aria-label="Descarga esta pagina"': 'aria-label="Descargar esta página"',
    # myst-nb, the summary of a hidden cell's code
    'aria-label="Toggle hidden content"': 'aria-label="Mostrar u ocultar el código"',
    # Sphinx: the permalinks' titles, untranslated in its Spanish catalogue
    'title="Link to this heading"': 'title="Enlace a esta sección"',
    'title="Link to this image"': 'title="Enlace a esta imagen"',
}


def visit_math(self, node: nodes.math) -> None:
    self.body.append(convert(node.astext()))
    raise nodes.SkipNode


def visit_math_block(self, node: nodes.math_block) -> None:
    # a paragraph of its own, spaced like the text; not class "math", which the theme lays out for MathJax
    self.body.append(self.starttag(node, "p", CLASS="mathml"))
    self.body.append(convert(node.astext(), display="block"))
    self.body.append("</p>\n")
    raise nodes.SkipNode


def translate_labels(app, exception) -> None:
    """Replace SPANISH_LABELS' keys in every HTML page written (nothing after a failed build)."""
    if exception is not None or app.builder.format != "html":
        return
    for pagina in Path(app.outdir).rglob("*.html"):
        texto = original = pagina.read_text(encoding="utf-8")
        for ingles, espanol in SPANISH_LABELS.items():
            texto = texto.replace(ingles, espanol)
        if texto != original:
            pagina.write_text(texto, encoding="utf-8")


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    app.connect("build-finished", translate_labels)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
