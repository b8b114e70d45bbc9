"""House style: number formats, the traffic light and the charts built from small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from lds_utils.reporting import plots


@pytest.fixture(scope="module")
def distritos() -> pd.DataFrame:
    return pd.DataFrame({
        "distrito": ["Miraflores", "Surco", "Ate", "Chorrillos"],
        "zona": ["Lima Centro", "Lima Centro", "Lima Este", "Lima Sur"],
        "lat": [-12.12, -12.14, -12.03, -12.17],
        "lon": [-77.03, -76.99, -76.92, -77.02],
        "total_suministros": [1200, 2500, 3100, 800],
        "total_atipicos": [6, 40, 75, 0],
        "pct_atipicos": [0.5, 1.6, 2.42, 0.0],
    })


def test_number_formats_use_comma_thousands_and_soles_prefix():
    assert plots.format_thousands(1234567.8) == "1,234,568"
    assert plots.format_thousands(1234.567, 2) == "1,234.57"
    assert plots.format_soles(1234.5) == "S/ 1,234.50"
    assert plots.format_soles(-12) == "-S/ 12.00"
    assert plots.format_pct(1.234) == "1.23 %"
    assert plots.format_thousands(np.nan) == plots.format_soles(None) == plots.format_pct(np.nan) == ""


def test_semaforo_thresholds_are_closed_on_the_left():
    valores = pd.Series([0.0, 0.999, 1.0, 1.999, 2.0, 35.0, np.nan])
    result = plots.traffic_light(valores)
    assert result.tolist()[:-1] == ["verde", "verde", "ámbar", "ámbar", "rojo", "rojo"]
    assert pd.isna(result.iloc[-1])
    assert list(result.cat.categories) == list(plots.SEMAFORO_ORDEN)


def test_axis_formatters_render_thousands_and_currency():
    fig = Figure()
    ax = fig.subplots()
    plots.axis_thousands(ax, "x")
    plots.axis_soles(ax, "y")
    assert ax.xaxis.get_major_formatter()(25000, 0) == "25,000"
    assert ax.yaxis.get_major_formatter()(1500, 0) == "S/ 1,500"
    with pytest.raises(ValueError):
        plots.axis_pct(ax, "z")


def test_ranking_colours_each_bar_by_its_traffic_light(distritos):
    fig = plots.ranking_chart(distritos, "distrito", "Ranking")
    barras = fig.axes[0].containers[0]
    # bars are drawn from the smallest (bottom) to the largest (top)
    esperados = ["verde", "verde", "ámbar", "rojo"]
    colores = [to_hex(barra.get_facecolor()) for barra in barras]
    assert colores == [plots.SEMAFORO_COLORES[n] for n in esperados]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Chorrillos", "Miraflores", "Surco", "Ate"]


def test_evolution_chart_has_one_point_per_month_up_to_the_period():
    meses = pd.period_range("2024-01", "2024-12", freq="M").astype(str)
    kpi = pd.DataFrame({"anio_mes": meses, "total_atipicos": np.arange(12), "pct_atipicos": np.linspace(0, 3, 12)})
    fig = plots.monthly_trend_chart(kpi, "2024-12")
    arriba, abajo = fig.axes
    assert len(arriba.patches) == 12
    assert np.allclose(abajo.lines[0].get_ydata(), kpi["pct_atipicos"])


def test_day_shape_draws_the_analysis_month_last_and_in_orange():
    forma = pd.DataFrame([(mes, hora, kw * (1 + hora % 3)) for mes, kw in (("2025-09", 1.0), ("2025-10", 1.1),
                                                                           ("2025-11", 0.5)) for hora in range(24)],
                         columns=["anio_mes", "hora", "kw_medio"])
    fig = plots.day_shape_chart(forma, "Forma del día", "2025-11")
    lineas = fig.axes[0].lines
    assert [linea.get_label() for linea in lineas] == ["09/2025", "10/2025", "11/2025"]
    assert to_hex(lineas[-1].get_color()) == plots.NARANJA and to_hex(lineas[0].get_color()) == plots.AZUL
    assert np.allclose(lineas[-1].get_ydata(), forma.loc[forma["anio_mes"] == "2025-11", "kw_medio"])


def test_ranking_can_leave_out_rows_without_cases(distritos):
    fig = plots.ranking_chart(distritos, "distrito", "Ranking", solo_con_casos=True)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Miraflores", "Surco", "Ate"]
    vacio = plots.ranking_chart(distritos.assign(total_atipicos=0), "distrito", "Ranking", solo_con_casos=True)
    assert "Sin facturas atípicas" in vacio.axes[0].texts[0].get_text()


def test_table_formats_numbers_booleans_and_blanks():
    datos = pd.DataFrame({"monto": [1234.5, np.nan], "ok": [True, False], "texto": ["a", None],
                          "dia": pd.to_datetime(["2025-11-27", None])})
    html = plots.table(datos, {"monto": "soles", "dia": "fecha"}, {"monto": "Monto"}).to_html()
    assert "S/ 1,234.50" in html and "Monto" in html
    assert ">27/11/2025<" in html and "00:00" not in html and "NaT" not in html
    assert ">sí<" in html and ">no<" in html
    assert "nan" not in html and "None" not in html
    with pytest.raises(ValueError):
        plots.table(datos, {"monto": "euros"})


@pytest.mark.parametrize(("atypical", "shown"), [((6, 4), "▼ 1.00 p.p."), ((4, 6), "▲ 1.00 p.p."), ((5, 5), "= 0.00 p.p.")])
def test_kpi_cards_show_the_change_once_signed_by_its_arrow(atypical, shown):
    from lds_utils.reporting import report

    kpi = pd.DataFrame({"anio_mes": ["2024-03", "2025-03"], "total_suministros": 200, "total_atipicos": list(atypical),
                        "pct_atipicos": [100.0 * a / 200 for a in atypical]})
    cards = plots.kpi_cards(report.year_on_year(kpi, "2025-03"))
    assert f"{shown} vs 2024-03" in cards
    assert "▼ -" not in cards and "▲ +" not in cards
