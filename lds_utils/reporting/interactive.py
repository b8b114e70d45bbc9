"""Filterable, sortable HTML tables for the static book: segmenting by zone, district or customer type offline.

``filter_table`` turns a frame into one self-contained HTML fragment (inline ``<style>`` and vanilla
``<script>``, no external asset) for ``IPython.display.HTML``. Every row is rendered here, already in
the book's number formats; the script only hides, shows and reorders them, so the table reads in full
where scripts do not run (the filters then stay hidden). Numeric cells carry their raw value in
``data-v``: sorting and the summary line use it, never the formatted text. The data travel only as
escaped HTML text and attributes (no embedded JSON), so a cell holding ``</script>`` stays text.

Each select offers the values present in the rows that pass the selects before it, so with the
filters ``zona, distrito`` the districts narrow to the chosen zone's. The container id is a hash of
the caller's name and the fragment, so the same frame renders to the same bytes (the book is rebuilt
byte for byte) and two different tables on one page never share an id; the same frame shown twice on
a page needs two names.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Iterable, Mapping
from string import Template

import pandas as pd

from lds_utils.reporting.plots import AZUL, NARANJA, format_pct, format_soles, format_thousands

#: Number formats by name, as in plots.table; the script formats the summary line with the same names.
FORMATOS = {
    "miles": format_thousands,
    "decimal": lambda valor: format_thousands(valor, 2),
    "soles": format_soles,
    "pct": format_pct,
}
#: A text column whose longest cell has more characters than this keeps a readable width and wraps.
TEXTO_LARGO = 40


def filter_table(datos: pd.DataFrame, formatos: Mapping[str, str] | None = None,
                 nombres: Mapping[str, str] | None = None, *, filtros: Mapping[str, str] | None = None,
                 sumas: Mapping[str, str] | None = None,
                 porcentajes: Mapping[str, tuple[str, str]] | None = None,
                 ocultas: Iterable[str] = (), busqueda: str = "Buscar…", nombre: str = "") -> str:
    """The HTML fragment of a filterable, sortable table of ``datos``, in its column order.

    formatos maps a numeric column to miles, decimal, soles or pct; nombres renames columns for display.
    filtros maps each column to filter by, in cascade order, to the text of its first option ("Todas",
    "Todos"). sumas maps a numeric column to its label in the summary line, porcentajes a label to the
    (numerator, denominator) columns of 100 * sum / sum; both are recomputed over the visible rows.
    ocultas are columns not shown that still filter, search and sum (zona, once distrito is shown).
    busqueda is the search box's placeholder (the search reads every non-numeric column); nombre
    tells apart two renders of the same frame on one page.
    """
    formatos, nombres, filtros = dict(formatos or {}), dict(nombres or {}), dict(filtros or {})
    sumas, porcentajes = dict(sumas or {}), dict(porcentajes or {})
    ocultas = set(ocultas)
    _check(datos, formatos, filtros, sumas, porcentajes, ocultas)
    textos = {columna: _display(datos[columna], formatos.get(columna)) for columna in datos.columns}
    atributos = {columna: _column_attributes(datos[columna], textos[columna], columna in ocultas)
                 for columna in datos.columns}
    posicion = {columna: indice for indice, columna in enumerate(datos.columns)}
    titulos = {columna: nombres.get(columna, columna) for columna in datos.columns}
    cuerpo = "".join([
        _controls(filtros, textos, titulos, posicion, busqueda),
        _status(datos, formatos, sumas, porcentajes, posicion),
        '<div class="lds-marco"><table>',
        _header(titulos, atributos),
        _body(datos, textos, atributos),
        "</table></div>",
    ])
    raiz = "lds-tabla-" + hashlib.sha256(f"{nombre}\0{cuerpo}".encode()).hexdigest()[:12]
    return (f'<div id="{raiz}" class="lds-tabla"><style>{_CSS.substitute(raiz=raiz, azul=AZUL, naranja=NARANJA)}'
            f"</style>{cuerpo}<script>{_SCRIPT.substitute(raiz=raiz)}</script></div>")


def _check(datos: pd.DataFrame, formatos: dict, filtros: dict, sumas: dict, porcentajes: dict, ocultas: set) -> None:
    desconocidos = set(formatos.values()) - FORMATOS.keys()
    if desconocidos:
        raise ValueError(f"unknown formats: {sorted(desconocidos)}")
    calculadas = {*formatos, *sumas, *(columna for par in porcentajes.values() for columna in par)}
    ausentes = sorted((calculadas | set(filtros) | ocultas) - set(datos.columns))
    if ausentes:
        raise ValueError(f"columns not in the frame: {ausentes}")
    no_numericas = sorted(columna for columna in calculadas if not _is_numeric(datos[columna]))
    if no_numericas:
        raise ValueError(f"formats, sums and percentages need numeric columns: {no_numericas}")


def _is_numeric(serie: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(serie) and not pd.api.types.is_bool_dtype(serie)


def _display(serie: pd.Series, formato: str | None) -> list[str]:
    """The cell texts of a column: its format, sí/no for booleans, str otherwise; blank when missing."""
    if formato:
        return [FORMATOS[formato](valor) for valor in serie.tolist()]
    if pd.api.types.is_bool_dtype(serie):
        return ["sí" if valor else "no" for valor in serie.tolist()]
    return ["" if pd.isna(valor) else str(valor) for valor in serie.tolist()]


def _spanish_order(texto: str) -> tuple[str, str]:
    """Sort key that files accented letters with their base letter (Ávila next to Ate, not after Z)."""
    letras = unicodedata.normalize("NFD", texto.casefold())
    return "".join(letra for letra in letras if not unicodedata.combining(letra)), texto


def _filter_options(textos: list[str]) -> list[str]:
    """The options of a filter select: the distinct non-blank cell texts in Spanish alphabetical order."""
    return sorted({texto for texto in textos if texto}, key=_spanish_order)


def _controls(filtros: dict, textos: dict, titulos: dict, posicion: dict, busqueda: str) -> str:
    selects = "".join(
        f'<label>{html.escape(titulos[columna])}<select data-col="{posicion[columna]}">'
        f'<option value="">{html.escape(todos)}</option>'
        + "".join(f'<option value="{html.escape(valor)}">{html.escape(valor)}</option>'
                  for valor in _filter_options(textos[columna]))
        + "</select></label>"
        for columna, todos in filtros.items()
    )
    return (f'<div class="lds-controles" hidden>{selects}<input type="search" '
            f'aria-label="{html.escape(busqueda)}" placeholder="{html.escape(busqueda)}"></div>')


def _status(datos: pd.DataFrame, formatos: dict, sumas: dict, porcentajes: dict, posicion: dict) -> str:
    """The live row count and, when asked, the summary line, both first computed over every row."""
    filas = format_thousands(len(datos))
    formato_suma = {columna: formatos.get(columna, "miles") for columna in sumas}
    partes = [
        _summary_item(etiqueta, f'data-suma="{posicion[columna]}" data-formato="{formato_suma[columna]}"',
                      FORMATOS[formato_suma[columna]](datos[columna].sum()))
        for columna, etiqueta in sumas.items()
    ] + [
        _summary_item(etiqueta, f'data-num="{posicion[numerador]}" data-den="{posicion[denominador]}"',
                      _percentage(datos[numerador].sum(), datos[denominador].sum()))
        for etiqueta, (numerador, denominador) in porcentajes.items()
    ]
    resumen = f'<p class="lds-resumen">{" · ".join(partes)}</p>' if partes else ""
    return (f'<p class="lds-contador" role="status" aria-live="polite">Mostrando {filas} de {filas} '
            f'{"fila" if len(datos) == 1 else "filas"}</p>{resumen}')


def _summary_item(etiqueta: str, atributos: str, valor: str) -> str:
    return f"{html.escape(etiqueta)}: <span {atributos}>{valor}</span>"


def _percentage(numerador: float, denominador: float) -> str:
    return format_pct(100 * numerador / denominador) if denominador else "–"


def _column_attributes(serie: pd.Series, textos: list[str], oculta: bool) -> str:
    """The attributes a column's header and cells share: lds-num for numbers (right-aligned, sorted by value),
    lds-largo for long text (it keeps a readable width and wraps), hidden for a column not shown."""
    clase = "lds-num" if _is_numeric(serie) else "lds-largo" if max(map(len, textos), default=0) > TEXTO_LARGO else ""
    return (f' class="{clase}"' if clase else "") + (" hidden" if oculta else "")


def _header(titulos: dict, atributos: dict) -> str:
    celdas = "".join(
        f'<th scope="col"{atributos[columna]}><button type="button">'
        f'{html.escape(titulo)}<span class="lds-flecha" aria-hidden="true"></span></button></th>'
        for columna, titulo in titulos.items()
    )
    return f"<thead><tr>{celdas}</tr></thead>"


def _cell_attributes(serie: pd.Series, atributos: str) -> list[str]:
    """The attributes of a column's cells; a number also carries its raw value in data-v (blank when missing)."""
    if not _is_numeric(serie):
        return [atributos] * len(serie)
    return [f'{atributos} data-v="{"" if pd.isna(valor) else repr(valor)}"' for valor in serie.tolist()]


def _body(datos: pd.DataFrame, textos: dict, atributos: dict) -> str:
    celdas = {columna: _cell_attributes(datos[columna], atributos[columna]) for columna in datos.columns}
    filas = (
        "<tr>" + "".join(f"<td{celdas[columna][fila]}>{html.escape(textos[columna][fila])}</td>"
                         for columna in datos.columns) + "</tr>"
        for fila in range(len(datos))
    )
    return f"<tbody>{''.join(filas)}</tbody>"


_CSS = Template("""
#$raiz{margin:.5rem 0 1rem;color:#1a1a1a;background:#fff;font-size:.9rem;line-height:1.35}
#$raiz .lds-controles{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin-bottom:.4rem}
#$raiz .lds-controles[hidden]{display:none}
#$raiz label{display:flex;flex-direction:column;gap:.15rem;font-size:.8rem;color:#4a4a4a}
#$raiz select,#$raiz input{font:inherit;font-size:.9rem;color:#1a1a1a;background:#fff;
  border:1px solid #8a8a8a;border-radius:3px;padding:.3rem .4rem;max-width:100%}
#$raiz input{flex:1 1 16rem}
#$raiz select:focus-visible,#$raiz input:focus-visible,#$raiz button:focus-visible{
  outline:3px solid $naranja;outline-offset:1px}
#$raiz .lds-contador,#$raiz .lds-resumen{margin:.2rem 0;color:#4a4a4a}
#$raiz .lds-resumen span{font-weight:600;color:#1a1a1a}
#$raiz .lds-marco{overflow:auto;max-height:34rem;border:1px solid #d0d7e1}
#$raiz table{width:100%;margin:0;font-size:.85rem;border-collapse:separate;border-spacing:0;table-layout:auto;
  font-variant-numeric:tabular-nums}
#$raiz th{position:sticky;top:0;z-index:1;padding:0;background:$azul;color:#fff;text-align:left;
  vertical-align:bottom;border:0;box-shadow:0 0 0 1px $azul}
#$raiz th button{display:block;width:100%;box-sizing:border-box;padding:.4rem .45rem;margin:0;border:0;
  background:transparent;color:inherit;font:inherit;font-weight:600;text-align:inherit;cursor:pointer}
#$raiz .lds-flecha::after{content:"\\2195";margin-left:.25em;opacity:.6}
#$raiz th[aria-sort=ascending] .lds-flecha::after{content:"\\25B2";opacity:1}
#$raiz th[aria-sort=descending] .lds-flecha::after{content:"\\25BC";opacity:1}
#$raiz td{padding:.3rem .45rem;border:0;border-bottom:1px solid #e3e8ef;background:#fff;text-align:left;
  vertical-align:top;white-space:normal;overflow-wrap:break-word}
#$raiz tbody tr:hover td{background:#eef3f9}
#$raiz .lds-num{text-align:right}
#$raiz td.lds-num{white-space:nowrap}
#$raiz td.lds-largo{min-width:24rem}
""")

# No "</" in the script: the fragment is read by an HTML parser.
_SCRIPT = Template("""
(function (raiz) {
  "use strict";
  var FORMATOS = {miles: [0, "", ""], decimal: [2, "", ""], soles: [2, "S/ ", ""], pct: [2, "", " %"]};
  var orden = new Intl.Collator("es", {numeric: true, sensitivity: "base"});
  var lista = function (coleccion) { return Array.prototype.slice.call(coleccion); };
  var cuerpo = raiz.querySelector("tbody");
  var selects = lista(raiz.querySelectorAll("select[data-col]"));
  var buscador = raiz.querySelector("input[type=search]");
  var contador = raiz.querySelector(".lds-contador");
  var cabeceras = lista(raiz.querySelectorAll("th"));
  var textuales = cabeceras.map(function (th, i) { return th.classList.contains("lds-num") ? -1 : i; })
    .filter(function (i) { return i >= 0; });
  var opciones = selects.map(function (s) {
    return lista(s.options).slice(1).map(function (o) { return o.value; });
  });

  function normalizar(texto) {
    return texto.normalize("NFD").replace(/[\\u0300-\\u036f]/g, "").toLowerCase();
  }
  function miles(valor, decimales) {
    var partes = Math.abs(valor).toFixed(decimales).split(".");
    return partes[0].replace(/\\B(?=(\\d{3})+(?!\\d))/g, ",") + (partes[1] ? "." + partes[1] : "");
  }
  function formatear(valor, formato) {
    var f = FORMATOS[formato];
    return (valor < 0 ? "-" : "") + f[1] + miles(valor, f[0]) + f[2];
  }
  var filas = lista(cuerpo.rows).map(function (tr, posicion) {
    var celdas = tr.cells;
    return {
      tr: tr,
      posicion: posicion,
      claves: selects.map(function (s) { return celdas[+s.dataset.col].textContent; }),
      texto: normalizar(textuales.map(function (i) { return celdas[i].textContent; }).join(" ")),
      numero: function (i) { var v = celdas[i].dataset.v; return v === "" ? NaN : +v; }
    };
  });

  function pasa(fila, hasta) {
    for (var j = 0; j < hasta; j++) {
      if (selects[j].value !== "" && fila.claves[j] !== selects[j].value) return false;
    }
    return true;
  }
  function actualizarOpciones() {
    selects.forEach(function (s, j) {
      var presentes = new Set(filas.filter(function (f) { return pasa(f, j); })
        .map(function (f) { return f.claves[j]; }));
      var elegido = s.value;
      s.length = 1;
      opciones[j].forEach(function (v) { if (presentes.has(v)) s.add(new Option(v, v)); });
      s.value = presentes.has(elegido) ? elegido : "";
    });
  }
  function suma(visibles, i) {
    return visibles.reduce(function (total, f) { var v = f.numero(i); return isNaN(v) ? total : total + v; }, 0);
  }
  function resumir(visibles) {
    lista(raiz.querySelectorAll("[data-suma]")).forEach(function (el) {
      el.textContent = formatear(suma(visibles, +el.dataset.suma), el.dataset.formato);
    });
    lista(raiz.querySelectorAll("[data-num]")).forEach(function (el) {
      var denominador = suma(visibles, +el.dataset.den);
      el.textContent = denominador ? formatear(100 * suma(visibles, +el.dataset.num) / denominador, "pct") : "\\u2013";
    });
  }
  function aplicar() {
    var terminos = normalizar(buscador.value).split(/\\s+/).filter(Boolean);
    var visibles = filas.filter(function (f) {
      var ver = pasa(f, selects.length) && terminos.every(function (t) { return f.texto.indexOf(t) >= 0; });
      f.tr.hidden = !ver;
      return ver;
    });
    contador.textContent = "Mostrando " + miles(visibles.length, 0) + " de " + miles(filas.length, 0) +
      (filas.length === 1 ? " fila" : " filas");
    resumir(visibles);
  }
  function ordenar(th) {
    var i = cabeceras.indexOf(th);
    var sentido = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    var numerica = th.classList.contains("lds-num");
    var clave = function (f) { return numerica ? f.numero(i) : f.tr.cells[i].textContent; };
    var claves = new Map(filas.map(function (f) { return [f, clave(f)]; }));
    filas.sort(function (a, b) {
      var x = claves.get(a), y = claves.get(b);
      if (numerica && (isNaN(x) || isNaN(y))) return isNaN(x) - isNaN(y) || a.posicion - b.posicion;
      return sentido * (numerica ? x - y : orden.compare(x, y)) || a.posicion - b.posicion;
    });
    cabeceras.forEach(function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", sentido === 1 ? "ascending" : "descending");
    var nuevo = document.createDocumentFragment();
    filas.forEach(function (f) { nuevo.appendChild(f.tr); });
    cuerpo.appendChild(nuevo);
  }

  selects.forEach(function (s) {
    s.addEventListener("change", function () { actualizarOpciones(); aplicar(); });
  });
  buscador.addEventListener("input", aplicar);
  cabeceras.forEach(function (th) {
    th.querySelector("button").addEventListener("click", function () { ordenar(th); });
  });
  raiz.querySelector(".lds-controles").hidden = false;
})(document.getElementById("$raiz"));
""")
