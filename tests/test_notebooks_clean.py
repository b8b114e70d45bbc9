"""Committed notebooks carry no outputs and follow the house shape (title, parameters cell, setup cell)."""

from __future__ import annotations

import ast

import nbformat
import pytest

from lds_utils.reporting.book import notebooks

CUADERNOS = notebooks()
PARAMETROS = {"period", "engine", "lake"}


def test_the_book_has_notebooks():
    assert len(CUADERNOS) >= 8


@pytest.mark.parametrize("path", CUADERNOS, ids=lambda p: p.name)
def test_notebook_has_no_outputs_or_execution_counts(path):
    cuaderno = nbformat.read(path, as_version=4)
    sucias = [i for i, celda in enumerate(cuaderno.cells)
              if celda.cell_type == "code" and (celda.outputs or celda.execution_count is not None)]
    assert not sucias, f"{path.name}: cells {sucias} have outputs; clear them before committing"


@pytest.mark.parametrize("path", CUADERNOS, ids=lambda p: p.name)
def test_notebook_starts_with_title_then_literal_parameters(path):
    cuaderno = nbformat.read(path, as_version=4)
    titulo, parametros = cuaderno.cells[0], cuaderno.cells[1]
    assert titulo.cell_type == "markdown" and titulo.source.startswith("# ")
    assert "parameters" in parametros.metadata.get("tags", [])
    asignaciones = ast.parse(parametros.source).body
    # papermill only replaces literal assignments: nothing derived in this cell
    assert all(isinstance(a, ast.Assign) and isinstance(a.value, ast.Constant) for a in asignaciones)
    assert {a.targets[0].id for a in asignaciones} == PARAMETROS
    assert cuaderno.metadata["kernelspec"]["name"] == "python3"
