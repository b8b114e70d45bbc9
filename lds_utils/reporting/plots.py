"""House style of the book: matplotlib/seaborn charts, number formats and the traffic light (the district
risk map built on them is in ``district_map``).

Numbers follow Peruvian commercial practice (as on SUNAT receipts and Luz del Sur bills): comma
as thousands separator, dot as decimal mark, currency written ``S/ 1,234.50``. Figures are built
on ``matplotlib.figure.Figure`` objects (not pyplot), so a notebook shows each one exactly once
and no global state leaks between charts.
"""

from __future__ import annotations

import hashlib

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from pandas.io.formats.style import Styler

AZUL = "#1f4e79"
AZUL_CLARO = "#8fb3d9"
NARANJA = "#e07b24"
GRIS = "#6b6b6b"

#: Risk traffic light over pct_atipicos (percentage of billed supplies flagged in the month).
SEMAFORO_AMBAR_DESDE = 1.0
SEMAFORO_ROJO_DESDE = 2.0
SEMAFORO_ORDEN = ("verde", "ámbar", "rojo")
SEMAFORO_COLORES = {"verde": "#2e7d32", "ámbar": "#f2a900", "rojo": "#c62828"}

_ESTILO = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "figure.figsize": (9.0, 4.2),
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.family": "DejaVu Sans",
}


def apply_style() -> None:
    """Set the house style (seaborn theme + rc overrides); safe to call more than once.

    Inside IPython it also makes a returned Figure display as PNG: the charts are built without
    pyplot, so nothing else registers that display format.
    """
    sns.set_theme(style="whitegrid", context="notebook", palette=[AZUL, NARANJA, AZUL_CLARO, GRIS])
    matplotlib.rcParams.update(_ESTILO)
    from IPython import get_ipython
    from IPython.core.pylabtools import select_figure_formats

    shell = get_ipython()
    if shell is not None:
        select_figure_formats(shell, {"png"}, bbox_inches="tight")


def format_thousands(valor: float, decimales: int = 0) -> str:
    """``1234567.8 -> '1,234,568'``; empty text for missing values."""
    if pd.isna(valor):
        return ""
    return f"{valor:,.{decimales}f}"


def format_soles(valor: float, decimales: int = 2) -> str:
    """``1234.5 -> 'S/ 1,234.50'``; negative amounts as ``-S/ 12.00``."""
    if pd.isna(valor):
        return ""
    signo = "-" if valor < 0 else ""
    return f"{signo}S/ {abs(valor):,.{decimales}f}"


def format_date(valor) -> str:
    """``2025-11-27 00:00:00 -> '27/11/2025'`` (a day, as Lima writes it)."""
    if pd.isna(valor):
        return ""
    return f"{pd.Timestamp(valor):%d/%m/%Y}"


def format_pct(valor: float, decimales: int = 2) -> str:
    """``1.234 -> '1.23 %'`` (valor is already a percentage)."""
    if pd.isna(valor):
        return ""
    return f"{valor:,.{decimales}f} %"


def _axis(ax, eje: str):
    if eje not in ("x", "y"):
        raise ValueError(f"eje must be 'x' or 'y' (got {eje!r})")
    return ax.xaxis if eje == "x" else ax.yaxis


def axis_thousands(ax, eje: str = "y") -> None:
    _axis(ax, eje).set_major_formatter(FuncFormatter(lambda valor, _: format_thousands(valor)))


def axis_soles(ax, eje: str = "y") -> None:
    _axis(ax, eje).set_major_formatter(FuncFormatter(lambda valor, _: format_soles(valor, 0)))


def axis_pct(ax, eje: str = "y", decimales: int = 1) -> None:
    _axis(ax, eje).set_major_formatter(FuncFormatter(lambda valor, _: format_pct(valor, decimales)))


def traffic_light(pct_atipicos: pd.Series) -> pd.Series:
    """Traffic-light category of each percentage: verde < 1 %, ámbar 1-2 %, rojo >= 2 %."""
    limites = [-np.inf, SEMAFORO_AMBAR_DESDE, SEMAFORO_ROJO_DESDE, np.inf]
    categorias = pd.cut(pd.Series(pct_atipicos, dtype="float64"), limites, right=False, labels=SEMAFORO_ORDEN)
    return categorias.astype(pd.CategoricalDtype(SEMAFORO_ORDEN, ordered=True))


def _figure(filas: int = 1, alto: float | None = None, compartir_x: bool = False) -> tuple[Figure, np.ndarray]:
    ancho, alto_base = _ESTILO["figure.figsize"]
    fig = Figure(figsize=(ancho, alto or alto_base * filas), layout="constrained")
    ejes = fig.subplots(filas, 1, sharex=compartir_x, squeeze=False)[:, 0]
    return fig, ejes


def monthly_trend_chart(kpi_mes: pd.DataFrame, periodo: str) -> Figure:
    """Monthly atypical count (bars) and percentage with the traffic-light bands (line), up to periodo.

    kpi_mes: one row per anio_mes with total_atipicos and pct_atipicos.
    """
    datos = kpi_mes.sort_values("anio_mes")
    fechas = pd.to_datetime(datos["anio_mes"] + "-01")
    fig, (arriba, abajo) = _figure(filas=2, alto=6.4, compartir_x=True)
    arriba.bar(fechas, datos["total_atipicos"], width=20, color=AZUL)
    arriba.set(title="Facturas atípicas por mes", ylabel="Facturas atípicas")
    arriba.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis_thousands(arriba)
    tope = max(float(datos["pct_atipicos"].max()) * 1.15, SEMAFORO_ROJO_DESDE * 1.5)
    for desde, hasta, nombre in _traffic_light_bands(tope):
        abajo.axhspan(desde, hasta, color=SEMAFORO_COLORES[nombre], alpha=0.12, lw=0)
    abajo.plot(fechas, datos["pct_atipicos"], color=NARANJA, marker="o", markersize=3)
    abajo.set(title="Porcentaje de suministros atípicos", ylabel="% atípicos", ylim=(0, tope), xlabel="Mes")
    axis_pct(abajo)
    semestres = fechas[fechas.dt.month.isin([1, 7])]  # labels only on months with data: none after the period
    abajo.set_xticks(semestres, semestres.dt.strftime("%Y-%m"))
    marca = pd.Timestamp(f"{periodo}-01")
    for ax in (arriba, abajo):
        ax.axvline(marca, color=GRIS, ls="--", lw=1)
    abajo.annotate(f"Periodo {periodo}", (marca, tope * 0.92), xytext=(-4, 0), textcoords="offset points",
                   ha="right", fontsize=9, color=GRIS)
    return fig


def _traffic_light_bands(tope: float) -> list[tuple[float, float, str]]:
    return [
        (0.0, SEMAFORO_AMBAR_DESDE, "verde"),
        (SEMAFORO_AMBAR_DESDE, SEMAFORO_ROJO_DESDE, "ámbar"),
        (SEMAFORO_ROJO_DESDE, tope, "rojo"),
    ]


def ranking_chart(datos: pd.DataFrame, etiqueta: str, titulo: str, top: int = 15,
                    solo_con_casos: bool = False) -> Figure:
    """Horizontal bars of total_atipicos per `etiqueta`, coloured by the traffic light of pct_atipicos.

    solo_con_casos leaves out rows without atypical bills (long lists such as districts).
    """
    candidatos = datos[datos["total_atipicos"] > 0] if solo_con_casos else datos
    orden = candidatos.nlargest(top, ["total_atipicos", "pct_atipicos"]).iloc[::-1]
    colores = traffic_light(orden["pct_atipicos"]).map(SEMAFORO_COLORES).astype(str)
    fig, (ax,) = _figure(alto=max(2.4, 0.34 * len(orden) + 1.2))
    if orden.empty:
        ax.text(0.5, 0.5, "Sin facturas atípicas en el periodo", ha="center", va="center", transform=ax.transAxes)
        ax.set(title=titulo, xticks=[], yticks=[])
        return fig
    ax.barh(orden[etiqueta], orden["total_atipicos"], color=colores.to_numpy())
    textos = [f"{format_thousands(n)}  ({format_pct(p, 1)})" for n, p in zip(orden["total_atipicos"], orden["pct_atipicos"])]
    ax.bar_label(ax.containers[0], labels=textos, padding=3, fontsize=8)
    ax.set(title=titulo, xlabel="Suministros atípicos (entre paréntesis: % de los facturados)", ylabel="")
    ax.set_xlim(0, float(orden["total_atipicos"].max()) * 1.3 + 1)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis_thousands(ax, "x")
    _traffic_light_legend(ax)
    return fig


def _traffic_light_legend(ax) -> None:
    etiquetas = {
        "verde": f"verde (< {format_pct(SEMAFORO_AMBAR_DESDE, 0)})",
        "ámbar": f"ámbar ({format_pct(SEMAFORO_AMBAR_DESDE, 0)} a < {format_pct(SEMAFORO_ROJO_DESDE, 0)})",
        "rojo": f"rojo (>= {format_pct(SEMAFORO_ROJO_DESDE, 0)})",
    }
    parches = [matplotlib.patches.Patch(color=SEMAFORO_COLORES[n], label=etiquetas[n]) for n in SEMAFORO_ORDEN]
    ax.legend(handles=parches, loc="lower right", fontsize=8, title="Semáforo", title_fontsize=8)


def segment_distribution_chart(razones: pd.DataFrame, segmentos: pd.DataFrame) -> Figure:
    """Box plots per segment of each bill divided by its supply's reference, with the segment's fence.

    razones: segmento and razon (bill / reference) per evaluated bill; segmentos: segmento,
    n_segmento and umbral_atipico (the fence on ln(razon)).
    """
    orden = segmentos.sort_values("n_segmento", ascending=False)["segmento"].tolist()
    fig, (ax,) = _figure(alto=max(3.0, 0.55 * len(orden) + 1.4))
    ax.set(title="Factura frente a la mediana de sus meses previos, por segmento", ylabel="",
           xlabel="Factura / mediana propia (escala logarítmica)")
    if not orden:
        ax.text(0.5, 0.5, "Sin segmentos evaluables en el periodo", ha="center", va="center", transform=ax.transAxes)
        return fig
    # log_scale makes seaborn compute the box and whiskers on ln(razon), the scale the fence uses
    sns.boxplot(data=razones, x="razon", y="segmento", order=orden, ax=ax, color=AZUL_CLARO, log_scale=True,
                fliersize=2, flierprops={"markerfacecolor": NARANJA, "markeredgecolor": NARANJA})
    umbrales = np.exp(segmentos.set_index("segmento").loc[orden, "umbral_atipico"].to_numpy())
    ax.scatter(umbrales, np.arange(len(orden)), marker="|", s=400, color=SEMAFORO_COLORES["rojo"], zorder=5,
               label="Cerco del segmento (Q3 + 1.5 × IQR)")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda valor, _: f"×{valor:g}"))
    fig.legend(loc="outside lower center", fontsize=8)
    return fig


def sensitivity_chart(tabla: pd.DataFrame, x: str, titulo: str, etiqueta_x: str, marca: float) -> Figure:
    """Line of pct_atipicos against a parameter (the IQR factor or the minimum segment size)."""
    fig, (ax,) = _figure(alto=3.4)
    ax.plot(tabla[x], tabla["pct_atipicos"], color=AZUL, marker="o")
    ax.axvline(marca, color=NARANJA, ls="--", lw=1, label=f"Valor adoptado: {format_thousands(marca, 1 if marca % 1 else 0)}")
    ax.set(title=titulo, xlabel=etiqueta_x, ylabel="% atípicos")
    ax.set_ylim(bottom=0)
    ax.margins(x=0.06)  # the first and last points are drawn whole, not cut by the frame
    axis_pct(ax, decimales=2)
    ax.legend(fontsize=8)
    return fig


def bar_chart(datos: pd.DataFrame, x: str, y: str, titulo: str, etiqueta_y: str, formato: str = "miles",
                   horizontal: bool = False) -> Figure:
    """Bar chart with formatted value labels (formato: miles, soles or pct); horizontal for long labels."""
    formatos = {"miles": (format_thousands, axis_thousands), "soles": (format_soles, axis_soles), "pct": (format_pct, axis_pct)}
    texto, eje = formatos[formato]
    if horizontal:
        fig, (ax,) = _figure(alto=max(2.4, 0.34 * len(datos) + 1.2))
        orden = datos.iloc[::-1]
        ax.barh(orden[x].astype(str), orden[y], color=AZUL)
        ax.set(title=titulo, xlabel=etiqueta_y, ylabel="")
        ax.set_xlim(0, float(orden[y].max()) * 1.15 + 1)
        ax.grid(axis="y", visible=False)
        eje(ax, "x")
    else:
        fig, (ax,) = _figure(alto=3.6)
        ax.bar(datos[x].astype(str), datos[y], color=AZUL)
        ax.set(title=titulo, xlabel="", ylabel=etiqueta_y)
        ax.tick_params(axis="x", labelrotation=20)
        eje(ax)
    ax.bar_label(ax.containers[0], labels=[texto(v) for v in (orden if horizontal else datos)[y]], padding=2, fontsize=8)
    return fig


def line_chart(datos: pd.DataFrame, x: str, y: str, titulo: str, etiqueta_y: str, periodo: str) -> Figure:
    """Monthly line (x holds 'YYYY-MM') with the analysis month marked."""
    fechas = pd.to_datetime(datos[x] + "-01")
    fig, (ax,) = _figure(alto=3.6)
    ax.plot(fechas, datos[y], color=AZUL, marker="o", markersize=3)
    ax.axvline(pd.Timestamp(f"{periodo}-01"), color=GRIS, ls="--", lw=1, label=f"Periodo {periodo}")
    ax.set(title=titulo, xlabel="Mes", ylabel=etiqueta_y)
    ax.set_ylim(bottom=0)
    axis_thousands(ax)
    ax.legend(fontsize=8)
    return fig


def daily_energy_chart(perfil: pd.DataFrame, titulo: str, kwh_dia_registro: float) -> Figure:
    """A meter's energy per day as its intervals show it (perfil: dia, kwh), against the register's daily mean."""
    fig, (ax,) = _figure(alto=3.6)
    ax.bar(pd.to_datetime(perfil["dia"]), perfil["kwh"], color=AZUL, width=0.8, label="Según los intervalos")
    ax.axhline(kwh_dia_registro, color=NARANJA, ls="--", lw=1.2, label="Promedio diario según el registro")
    ax.set(title=titulo, xlabel="Día", ylabel="kWh por día")
    ax.set_ylim(0, max(float(perfil["kwh"].max()), kwh_dia_registro) * 1.15)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
    decimales = 1 if ax.get_ylim()[1] < 20 else 0
    ax.yaxis.set_major_formatter(FuncFormatter(lambda valor, _: format_thousands(valor, decimales)))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return fig


def day_shape_chart(forma: pd.DataFrame, titulo: str, periodo: str) -> Figure:
    """A meter's typical day month by month (forma: anio_mes, hora, kw_medio): the analysis month in orange, the months
    before it in shades of blue, oldest lightest."""
    fig, (ax,) = _figure(alto=3.6)
    meses = sorted(forma["anio_mes"].unique())
    previos = [mes for mes in meses if mes != periodo]
    for orden, mes in enumerate(previos):
        curva = forma[forma["anio_mes"] == mes]
        ax.plot(curva["hora"], curva["kw_medio"], color=AZUL, lw=1.2, alpha=0.3 + 0.7 * (orden + 1) / len(previos),
                label=f"{mes[5:]}/{mes[:4]}")
    curva = forma[forma["anio_mes"] == periodo]
    ax.plot(curva["hora"], curva["kw_medio"], color=NARANJA, lw=2.4, label=f"{periodo[5:]}/{periodo[:4]}")
    ax.set(title=titulo, xlabel="Hora del día", ylabel="kW medio", xticks=range(0, 24, 3), xlim=(0, 23))
    ax.set_ylim(0, float(forma["kw_medio"].max()) * 1.15)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda valor, _: format_thousands(valor, 2 if valor < 10 else 0)))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(len(meses), 6), frameon=False)
    return fig


def histogram_chart(valores: pd.Series, titulo: str, etiqueta_x: str, etiqueta_y: str, bins: int = 30,
                       log_y: bool = False) -> Figure:
    """Histogram; log_y keeps a long thin tail visible next to a tall first bar."""
    fig, (ax,) = _figure(alto=3.4)
    ax.hist(valores, bins=bins, color=AZUL)
    ax.set(title=titulo, xlabel=etiqueta_x, ylabel=etiqueta_y + (" (escala logarítmica)" if log_y else ""))
    if log_y:
        ax.set_yscale("log")
    axis_thousands(ax)
    return fig


_FORMATOS = {
    "miles": format_thousands,
    "decimal": lambda valor: format_thousands(valor, 2),
    "coordenada": lambda valor: format_thousands(valor, 4),
    "soles": format_soles,
    "pct": format_pct,
    "fecha": format_date,
}


class Tabla(Styler):
    """A Styler whose plain-text form names its size, not its memory address: a rebuilt edition is the same file."""

    def __repr__(self) -> str:
        return f"Tabla de {len(self.data)} filas"


def table(datos: pd.DataFrame, formatos: dict[str, str] | None = None, nombres: dict[str, str] | None = None) -> Tabla:
    """A pandas Styler in the house format: no index, numbers formatted per column, Spanish headers.

    formatos maps a column to miles, decimal, coordenada, soles, pct or fecha; nombres renames columns for
    display. Booleans read sí/no and missing values are left blank.
    """
    formatos = formatos or {}
    desconocidos = set(formatos.values()) - _FORMATOS.keys()
    if desconocidos:
        raise ValueError(f"unknown formats: {sorted(desconocidos)}")
    booleanas = {columna: lambda valor: "sí" if valor else "no" for columna in datos.columns[datos.dtypes == bool]}
    # the table's HTML id from its content, not pandas' random one: a rebuilt edition is the same file
    contenido = f"{datos.to_csv()}{sorted(formatos.items())}{sorted((nombres or {}).items())}"
    # one format call: each call resets the columns it does not name
    return (
        Tabla(datos).format(booleanas | {columna: _FORMATOS[nombre] for columna, nombre in formatos.items()}, na_rep="")
        .format_index(lambda columna: (nombres or {}).get(columna, columna), axis="columns")
        .hide(axis="index")
        .set_uuid(hashlib.sha256(contenido.encode()).hexdigest()[:10])
        .set_table_styles([{"selector": "th, td", "props": "padding: 0.3rem 0.75rem;"}])
    )


def kpi_cards(resumen: dict) -> str:
    """HTML cards with the month's KPIs and their change against the same month one year earlier.

    resumen: the dict of lds_utils.reporting.report.year_on_year.
    """
    variacion = resumen["variacion_pct_pp"]
    if variacion is None:
        comparacion = f"sin datos de {resumen['periodo_anterior']}"
    else:
        flecha = "▲" if variacion > 0 else "▼" if variacion < 0 else "="
        comparacion = f"{flecha} {abs(variacion):.2f} p.p. vs {resumen['periodo_anterior']}"  # the arrow is the sign
    color = SEMAFORO_COLORES[str(traffic_light(pd.Series([resumen["pct_atipicos"]])).iloc[0])]
    tarjetas = [
        ("Suministros facturados", format_thousands(resumen["total_suministros"]), f"periodo {resumen['periodo']}", AZUL),
        ("Facturas atípicas", format_thousands(resumen["total_atipicos"]),
         f"{format_thousands(resumen['total_atipicos_anterior'])} en {resumen['periodo_anterior']}"
         if resumen["total_atipicos_anterior"] is not None else comparacion, AZUL),
        ("% atípicos", format_pct(resumen["pct_atipicos"]), comparacion, color),
    ]
    celdas = "".join(
        f'<div style="flex:1;min-width:11rem;border-left:6px solid {borde};background:#f7f9fc;padding:.6rem .9rem">'
        f'<div style="font-size:.85rem;color:{GRIS}">{titulo}</div>'
        f'<div style="font-size:1.7rem;font-weight:bold">{valor}</div>'
        f'<div style="font-size:.8rem;color:{GRIS}">{nota}</div></div>'
        for titulo, valor, nota, borde in tarjetas
    )
    return f'<div style="display:flex;gap:.8rem;flex-wrap:wrap;margin:.5rem 0">{celdas}</div>'
