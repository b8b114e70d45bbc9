"""The filterable table: deterministic bytes, escaping, Spanish formats, filter options, no external asset.

The last test (marked BROWSER) drives the fragment's script in headless Chromium (`make test` installs it); without
Chromium it fails, it is never skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from lds_utils.reporting.interactive import filter_table

HOSTIL = '</script><script>window.hackeado = 1</script>'
COMILLAS = 'Ate "x" \'y\' & <b>z</b>'


class Fragment(HTMLParser):
    """The elements of an HTML text in document order, each with its attributes and text (entities resolved)."""

    CON_TEXTO = {"td", "th", "option", "script", "style", "p", "pre", "span"}

    def __init__(self, texto: str):
        super().__init__()
        self.elementos: list[dict] = []
        self._abiertos: list[dict] = []
        self.feed(texto)
        self.close()

    def handle_starttag(self, tag, attrs):
        elemento = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elementos.append(elemento)
        if tag in self.CON_TEXTO:
            self._abiertos.append(elemento)

    def handle_endtag(self, tag):
        if self._abiertos and self._abiertos[-1]["tag"] == tag:
            self._abiertos.pop()

    def handle_data(self, data):
        for elemento in self._abiertos:
            elemento["text"] += data

    def all(self, tag: str) -> list[dict]:
        return [elemento for elemento in self.elementos if elemento["tag"] == tag]

    def rows(self) -> list[list[dict]]:
        filas = []
        for elemento in self.elementos[[e["tag"] for e in self.elementos].index("tbody"):]:
            if elemento["tag"] == "tr":
                filas.append([])
            elif elemento["tag"] == "td":
                filas[-1].append(elemento)
        return filas

    def options(self, columna: int) -> list[str]:
        """The option texts of the select filtering the column at that position."""
        textos, dentro = [], False
        for elemento in self.elementos:
            if elemento["tag"] == "select":
                dentro = elemento["attrs"]["data-col"] == str(columna)
            elif elemento["tag"] == "option" and dentro:
                textos.append(elemento["text"])
        return textos


@pytest.fixture(scope="module")
def distritos() -> pd.DataFrame:
    return pd.DataFrame({
        "distrito": ["Chorrillos", "Ate", "La Molina", "Barranco", "Lurín", "Surquillo"],
        "zona": ["Lima Sur", "Lima Este", "Lima Este", "Lima Centro", "Lima Sur", "Lima Centro"],
        "total_suministros": [1234, 3100, 2500, 800, 0, 950],
        "total_atipicos": [25, 75, 40, 0, 0, 12],
        "pct_atipicos": [2.0259, 2.4194, 1.6, 0.0, np.nan, 1.2632],
    })


def _kpi_table(distritos: pd.DataFrame, **opciones) -> str:
    return filter_table(
        distritos, {"total_suministros": "miles", "total_atipicos": "miles", "pct_atipicos": "pct"},
        {"distrito": "Distrito", "zona": "Zona", "total_suministros": "Suministros", "total_atipicos": "Atípicos",
         "pct_atipicos": "% atípicos"},
        filtros={"zona": "Todas", "distrito": "Todos"},
        sumas={"total_suministros": "Suministros", "total_atipicos": "Atípicos"},
        porcentajes={"% atípicos": ("total_atipicos", "total_suministros")}, **opciones)


def _id(fragmento: str) -> str:
    return Fragment(fragmento).elementos[0]["attrs"]["id"]


def test_same_frame_renders_the_same_bytes(distritos):
    primero, segundo = _kpi_table(distritos), _kpi_table(distritos.copy())
    assert primero == segundo
    raiz = _id(primero)
    assert re.fullmatch(r"lds-tabla-[0-9a-f]{12}", raiz)
    assert f'document.getElementById("{raiz}")' in primero
    estilo = Fragment(primero).all("style")[0]["text"]
    selectores = [regla.split("{")[0] for regla in estilo.split("}") if "{" in regla]
    assert all(selector.strip().startswith(f"#{raiz}") for grupo in selectores for selector in grupo.split(","))


def test_two_widgets_on_one_page_have_distinct_ids(distritos):
    otro = distritos.assign(total_atipicos=distritos["total_atipicos"] + 1)
    ids = [_id(_kpi_table(distritos)), _id(_kpi_table(otro)), _id(_kpi_table(distritos, nombre="copia"))]
    assert len(set(ids)) == 3
    pagina = _kpi_table(distritos) + _kpi_table(otro)
    assert [e["attrs"]["id"] for e in Fragment(pagina).elementos if "id" in e["attrs"]] == ids[:2]
    for raiz in ids[:2]:
        assert pagina.count(f'document.getElementById("{raiz}")') == 1


def test_cells_and_labels_are_escaped():
    datos = pd.DataFrame({"distrito": [HOSTIL, COMILLAS], "zona": ["Lima Sur", COMILLAS], "n": [1, 2]})
    fragmento = filter_table(datos, nombres={"distrito": HOSTIL}, filtros={"distrito": COMILLAS},
                             sumas={"n": HOSTIL}, busqueda=COMILLAS, nombre=HOSTIL)
    assert HOSTIL not in fragmento and COMILLAS not in fragmento
    assert fragmento.count("<script") == fragmento.count("</script") == 1
    documento = Fragment(fragmento)
    (script,) = documento.all("script")
    assert "hackeado" not in script["text"]
    assert [[celda["text"] for celda in fila] for fila in documento.rows()] == [[HOSTIL, "Lima Sur", "1"],
                                                                                [COMILLAS, COMILLAS, "2"]]
    assert documento.options(0) == [COMILLAS, HOSTIL, COMILLAS]
    assert [o["attrs"]["value"] for o in documento.all("option")] == ["", HOSTIL, COMILLAS]
    assert documento.all("th")[0]["text"] == HOSTIL
    assert documento.all("input")[0]["attrs"]["placeholder"] == COMILLAS


def test_values_read_in_the_books_formats_and_sort_by_their_raw_values():
    datos = pd.DataFrame({"id_suministro": ["S000000042", "S000000007"], "kwh": [1234567.8, 12.0],
                          "importe": [1234.5, np.nan], "pct": [1.25, -0.5], "nueva": [True, False]})
    documento = Fragment(filter_table(datos, {"kwh": "miles", "importe": "soles", "pct": "pct"},
                                      {"id_suministro": "Suministro", "importe": "Importe estimado"}))
    assert [[celda["text"] for celda in fila] for fila in documento.rows()] == [
        ["S000000042", "1,234,568", "S/ 1,234.50", "1.25 %", "sí"],
        ["S000000007", "12", "", "-0.50 %", "no"],
    ]
    assert [celda["attrs"].get("data-v") for celda in documento.rows()[0]] == [None, "1234567.8", "1234.5", "1.25",
                                                                               None]
    assert documento.rows()[1][2]["attrs"]["data-v"] == ""
    cabeceras = documento.all("th")
    assert [th["text"] for th in cabeceras] == ["Suministro", "kwh", "Importe estimado", "pct", "nueva"]
    assert [th["attrs"].get("class") for th in cabeceras] == [None, "lds-num", "lds-num", "lds-num", None]
    assert len(documento.all("button")) == len(cabeceras)


def test_filter_options_are_the_distinct_values_in_spanish_order():
    datos = pd.DataFrame({"zona": ["Lima Sur", "Lima Provincias - Huaura", "Lima Centro", "Lima Sur", None],
                          "distrito": ["Chorrillos", "Ámbar", "Barranco", "Ancón", "Ate"]})
    documento = Fragment(filter_table(datos, filtros={"zona": "Todas", "distrito": "Todos"}))
    assert documento.options(0) == ["Todas", "Lima Centro", "Lima Provincias - Huaura", "Lima Sur"]
    assert documento.options(1) == ["Todos", "Ámbar", "Ancón", "Ate", "Barranco", "Chorrillos"]


def test_count_and_summary_line_start_over_every_row(distritos):
    documento = Fragment(_kpi_table(distritos))
    parrafos = {p["attrs"]["class"]: p["text"] for p in documento.all("p")}
    assert parrafos["lds-contador"] == "Mostrando 6 de 6 filas"
    assert parrafos["lds-resumen"] == "Suministros: 8,584 · Atípicos: 152 · % atípicos: 1.77 %"


def test_fragment_loads_nothing_from_outside(distritos):
    fragmento = _kpi_table(distritos)
    assert not re.search(r"https?://|//[a-z]|\bsrc=|\bhref=|@import|url\(", fragmento, re.IGNORECASE)


def test_hidden_columns_still_filter_but_are_not_shown(distritos):
    documento = Fragment(_kpi_table(distritos, ocultas=["zona"]))
    assert "hidden" in documento.all("th")[1]["attrs"]
    assert all("hidden" in fila[1]["attrs"] and "hidden" not in fila[0]["attrs"] for fila in documento.rows())
    assert documento.options(1)[0] == "Todas"


def test_bad_arguments_are_rejected(distritos):
    with pytest.raises(ValueError, match="unknown formats"):
        filter_table(distritos, {"total_atipicos": "porcentaje"})
    with pytest.raises(ValueError, match="not in the frame.*tipo_cliente"):
        filter_table(distritos, filtros={"tipo_cliente": "Todos"})
    with pytest.raises(ValueError, match="numeric columns.*distrito"):
        filter_table(distritos, sumas={"distrito": "Distritos"})


# -- BROWSER: runs the fragment's script in headless Chromium (about 2 s) ---------------------------------
CHROMIUM = shutil.which("chromium")

_DRIVER = """
window.errores = [];
window.addEventListener("error", function (e) { window.errores.push(String(e.message)); });
document.addEventListener("DOMContentLoaded", function () {
  var tablas = document.querySelectorAll(".lds-tabla"), kpi = tablas[0], r = {};
  var selects = kpi.querySelectorAll("select"), buscador = kpi.querySelector("input");
  function elegir(i, valor) { selects[i].value = valor; selects[i].dispatchEvent(new Event("change")); }
  function textos(lista) { return Array.prototype.map.call(lista, function (e) { return e.textContent; }); }
  function estado() {
    var visibles = Array.prototype.filter.call(kpi.querySelectorAll("tbody tr"), function (tr) { return !tr.hidden; });
    return {distritos: visibles.map(function (tr) { return tr.cells[0].textContent; }),
            contador: kpi.querySelector(".lds-contador").textContent,
            resumen: kpi.querySelector(".lds-resumen").textContent};
  }
  r.controles = !kpi.querySelector(".lds-controles").hidden;
  elegir(0, "Lima Este");
  r.este = estado();
  r.este_distritos = textos(selects[1].options);
  elegir(1, "La Molina");
  r.molina = estado();
  elegir(0, "Lima Sur");
  r.sur_distrito = selects[1].value;
  elegir(0, "");
  buscador.value = " lurin ";
  buscador.dispatchEvent(new Event("input"));
  r.busqueda = estado().distritos;
  buscador.value = "";
  buscador.dispatchEvent(new Event("input"));
  var pct = kpi.querySelectorAll("th button")[4];
  pct.click();
  r.ascendente = [pct.parentNode.getAttribute("aria-sort"), estado().distritos];
  pct.click();
  r.descendente = [pct.parentNode.getAttribute("aria-sort"), estado().distritos];
  r.hostil = textos(tablas[1].querySelectorAll("td, option"));
  r.hackeado = window.hackeado || null;
  r.errores = window.errores;
  var salida = document.createElement("pre");
  salida.id = "resultado";
  salida.textContent = JSON.stringify(r);
  document.body.appendChild(salida);
});
"""


def test_BROWSER_filters_cascade_search_sort_and_summary_run_in_chromium(distritos, tmp_path):
    assert CHROMIUM, "chromium is not installed: run `make chromium` (make test does)"
    hostil = filter_table(pd.DataFrame({"distrito": [HOSTIL, COMILLAS]}), filtros={"distrito": "Todos"})
    pagina = tmp_path / "pagina.html"
    pagina.write_text(f'<!doctype html><html lang="es"><head><meta charset="utf-8"><script>{_DRIVER}</script>'
                      f"</head><body>{_kpi_table(distritos)}{hostil}</body></html>", encoding="utf-8")
    salida = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'perfil'}", "--proxy-server=127.0.0.1:9",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=3000", "--dump-dom", pagina.as_uri()],
        capture_output=True, text=True, timeout=60, check=True).stdout
    (pre,) = [e for e in Fragment(salida).elementos if e["attrs"].get("id") == "resultado"]
    resultado = json.loads(pre["text"])
    assert resultado["controles"]
    assert resultado["este"] == {"distritos": ["Ate", "La Molina"], "contador": "Mostrando 2 de 6 filas",
                                 "resumen": "Suministros: 5,600 · Atípicos: 115 · % atípicos: 2.05 %"}
    assert resultado["este_distritos"] == ["Todos", "Ate", "La Molina"]
    assert resultado["molina"]["distritos"] == ["La Molina"]
    assert resultado["sur_distrito"] == ""  # La Molina is not in Lima Sur: the district goes back to Todos
    assert resultado["busqueda"] == ["Lurín"]
    assert resultado["ascendente"] == ["ascending", ["Barranco", "Surquillo", "La Molina", "Chorrillos", "Ate",
                                                     "Lurín"]]
    assert resultado["descendente"] == ["descending", ["Ate", "Chorrillos", "La Molina", "Surquillo", "Barranco",
                                                       "Lurín"]]
    assert resultado["hostil"] == ["Todos", HOSTIL, COMILLAS, HOSTIL, COMILLAS]
    assert resultado["hackeado"] is None and resultado["errores"] == []

