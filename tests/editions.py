"""Comparing two builds of a book edition: every file but the build metadata, with the footer's build time masked."""

from __future__ import annotations

import json
from pathlib import Path

from lds_utils.reporting import book

#: Build metadata an edition may differ in when rebuilt: the run manifest (durations, build time), the
#: Reproducibilidad page that renders it and the search index holding that page's words.
BUILD_METADATA = {"manifiesto.json", "book/reproducibilidad.html", "searchindex.js",
                  "_sources/book/reproducibilidad.md", ".buildinfo"}


def edition_files(carpeta: Path) -> dict[str, bytes]:
    """Every file of an edition but the build metadata, with its build time (the footer's) masked."""
    construido = json.loads((carpeta / book.MANIFEST).read_text())["construido"]
    return {
        ruta.relative_to(carpeta).as_posix(): ruta.read_bytes().replace(construido.encode(), b"<construido>")
        for ruta in sorted(carpeta.rglob("*"))
        if ruta.is_file() and ruta.relative_to(carpeta).as_posix() not in BUILD_METADATA
    }


def changed_files(primera: Path, segunda: Path) -> list[str]:
    """The files that differ between two builds of an edition (missing on either side included)."""
    antes, despues = edition_files(primera), edition_files(segunda)
    return sorted(ruta for ruta in antes.keys() | despues.keys() if antes.get(ruta) != despues.get(ruta))
