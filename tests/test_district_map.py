"""The dashboard's district map: every boundary in its traffic-light colour, Santa Anita as a circle,
districts matched by name, nothing loaded from outside the page and the same bytes for the same data."""

from __future__ import annotations

import html
import json
import re

import folium
import numpy as np
import pandas as pd
import pytest

from lds_utils.reporting import district_map
from lds_utils.reporting.plots import SEMAFORO_COLORES
from lds_utils.synthetic.reference import districts

LIMITES = {f["properties"]["ubigeo"]: f["geometry"]
           for f in json.loads(district_map.GEOMETRY_PATH.read_text(encoding="utf-8"))["features"]}
SANTA_ANITA = "150137"
VERDE, AMBAR, ROJO = SEMAFORO_COLORES["verde"], SEMAFORO_COLORES["ámbar"], SEMAFORO_COLORES["rojo"]
# percentages cycled over the districts, with the colour each must get
PORCENTAJES = [(0.0, VERDE), (0.99, VERDE), (1.0, AMBAR), (1.5, AMBAR), (1.99, AMBAR), (2.0, ROJO), (7.3, ROJO)]
# The only addresses in the inlined Leaflet files; none is fetched.
URLS_DE_LEAFLET = {
    "http://www.w3.org/2000/svg",  # the SVG namespace name
    "https://leafletjs.com",  # licence header and attribution prefix (the map has no attribution control)
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",  # a comment of leaflet.css
}


@pytest.fixture(scope="module")
def kpi() -> pd.DataFrame:
    """One KPI row per district of the reference, as ReportContext.kpi_by_district returns them."""
    referencia = districts()
    pct = np.resize([p for p, _ in PORCENTAJES], len(referencia))
    suministros = 1000 + 10 * np.arange(len(referencia))
    return pd.DataFrame({
        "distrito": referencia["distrito"], "zona": referencia["zona"], "lat": referencia["lat"] + 0.01,
        "lon": referencia["lon"], "total_suministros": suministros, "total_atipicos": np.round(suministros * pct / 100),
        "pct_atipicos": pct,
    })


def _drawn(mapa: folium.Map) -> tuple[folium.GeoJson, dict[str, dict]]:
    """The map's GeoJson layer and its features by district name."""
    (capa,) = [hijo for hijo in mapa._children.values() if isinstance(hijo, folium.GeoJson)]
    return capa, {f["properties"]["distrito"]: f for f in capa.data["features"]}


def test_every_boundary_is_drawn_in_its_traffic_light_colour(kpi):
    capa, dibujados = _drawn(district_map.traffic_light_map(kpi))
    colores = np.resize([color for _, color in PORCENTAJES], len(kpi))
    poligonos = {f["properties"]["ubigeo"]: f for f in dibujados.values() if f["geometry"]["type"] == "Polygon"}
    assert len(LIMITES) == 54 and poligonos.keys() == LIMITES.keys()
    for distrito, ubigeo, color in zip(kpi["distrito"], districts()["ubigeo"], colores):
        feature = dibujados[distrito]
        assert feature["properties"]["ubigeo"] == ubigeo
        assert capa.style_function(feature)["fillColor"] == color, distrito
        if ubigeo != SANTA_ANITA:
            assert feature["geometry"] == LIMITES[ubigeo]
            assert capa.style_function(feature)["className"] == district_map.BOUNDARY_CLASS


def test_santa_anita_is_a_circle_at_its_capital_with_its_figures(kpi):
    mapa = district_map.traffic_light_map(kpi)
    capa, dibujados = _drawn(mapa)
    santa_anita = dibujados["Santa Anita"]
    capital = districts().set_index("ubigeo").loc[SANTA_ANITA, ["lon", "lat"]].tolist()
    assert santa_anita["geometry"] == {"type": "Point", "coordinates": capital}
    assert isinstance(capa.marker, folium.CircleMarker)
    assert capa.style_function(santa_anita)["className"] == district_map.POINT_CLASS
    assert santa_anita["properties"].keys() >= district_map.FICHA.keys()
    assert "Santa Anita: sin límites en la fuente" in mapa.get_root().render()


def test_district_without_bills_is_grey(kpi):
    sin_facturas = ["Miraflores", "Pacarán"]
    mapa = district_map.traffic_light_map(kpi[~kpi["distrito"].isin(sin_facturas)])
    capa, dibujados = _drawn(mapa)
    zonas = districts().set_index("distrito")["zona"]
    for distrito in sin_facturas:
        feature = dibujados[distrito]
        assert feature["geometry"]["type"] == "Polygon"
        assert capa.style_function(feature)["fillColor"] == district_map.GRIS_SIN_FACTURAS
        ficha = [feature["properties"][campo] for campo in district_map.FICHA]
        assert ficha == [distrito, zonas[distrito], "0", "0", "—", "sin facturas en el mes"]
    assert "gris: sin facturas en el mes" in mapa.get_root().render()


def test_tooltip_shows_the_figures_in_spanish(kpi):
    ate = kpi["distrito"] == "Ate"
    datos = kpi.assign(total_suministros=kpi["total_suministros"].mask(ate, 3100),
                       total_atipicos=kpi["total_atipicos"].mask(ate, 75),
                       pct_atipicos=kpi["pct_atipicos"].mask(ate, 2.42))
    mapa = district_map.traffic_light_map(datos)
    assert _drawn(mapa)[1]["Ate"]["properties"] == {
        "ubigeo": "150103", "distrito": "Ate", "zona": "Lima Este", "suministros": "3,100", "atipicos": "75",
        "pct": "2.42 %", "semaforo": "rojo"}
    pagina = mapa.get_root().render()
    for etiqueta in district_map.FICHA.values():
        assert json.dumps(etiqueta) in pagina
    assert "% de suministros atípicos en el mes" in pagina


def test_names_match_whatever_their_accents_case_or_inei_spelling(kpi):
    otros_nombres = {"Jesús María": "JESUS MARIA", "Lurín": "lurin", "Zúñiga": "ZUÑIGA",
                     "San Luis de Cañete": "SAN LUIS DE CANETE",
                     "Cercado de Lima": "LIMA", "Lurigancho-Chosica": "Lurigancho"}  # the last two: INEI's names
    _, dibujados = _drawn(district_map.traffic_light_map(kpi.replace({"distrito": otros_nombres})))
    referencia = districts().set_index("distrito")["ubigeo"]
    for nombre, otro in otros_nombres.items():
        assert dibujados[otro]["properties"]["ubigeo"] == referencia[nombre]
        assert dibujados[otro]["properties"]["semaforo"] != "sin facturas en el mes"
    assert len(dibujados) == len(kpi)
    assert district_map.name_key("  Villa  María del Triunfo ") == district_map.name_key("VILLA MARIA DEL TRIUNFO")


def test_district_outside_the_reference_is_a_circle_at_its_coordinates(kpi):
    nuevo = kpi.head(1).assign(distrito="Distrito Nuevo", lat=-12.5, lon=-76.5)
    _, dibujados = _drawn(district_map.traffic_light_map(pd.concat([kpi, nuevo])))
    assert dibujados["Distrito Nuevo"]["geometry"] == {"type": "Point", "coordinates": [-76.5, -12.5]}
    assert dibujados["Distrito Nuevo"]["properties"]["ubigeo"] is None


def test_district_without_boundary_or_coordinates_is_an_error(kpi):
    nuevo = kpi.head(1).assign(distrito="Distrito Nuevo", lat=np.nan)
    with pytest.raises(ValueError, match="no boundary and no coordinates: \\['Distrito Nuevo'\\]"):
        district_map.traffic_light_map(pd.concat([kpi, nuevo]))


def test_a_district_named_twice_is_an_error(kpi):
    with pytest.raises(ValueError, match="same district: \\['ATE', 'Ate'\\]"):
        district_map.traffic_light_map(pd.concat([kpi, kpi[kpi["distrito"] == "Ate"].assign(distrito="ATE")]))


def test_map_fits_the_drawn_districts(kpi):
    mapa = district_map.traffic_light_map(kpi)
    (encuadre,) = [hijo for hijo in mapa._children.values() if isinstance(hijo, folium.map.FitBounds)]
    puntos = np.array([p for g in LIMITES.values() for p in g["coordinates"][0]])
    assert encuadre.bounds == [[puntos[:, 1].min(), puntos[:, 0].min()], [puntos[:, 1].max(), puntos[:, 0].max()]]


def test_page_loads_nothing_from_outside(kpi):
    mapa = district_map.traffic_light_map(kpi)
    pagina = mapa.get_root().render()
    assert "Leaflet 1.9.3" in pagina and "L.map(" in pagina
    assert not re.search(r"<script[^>]*\bsrc|<link|@import|sourceMappingURL", pagina, re.IGNORECASE)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", pagina)) <= URLS_DE_LEAFLET
    assert not re.search(r"jquery|bootstrap|awesome|openstreetmap", pagina, re.IGNORECASE)
    # in a notebook and in the book the same page goes in an iframe's srcdoc
    assert f'srcdoc="{html.escape(pagina)}"' in mapa._repr_html_()


def test_same_data_renders_the_same_bytes(kpi):
    mapa = district_map.traffic_light_map(kpi)
    primera = mapa._repr_html_()
    assert primera == mapa._repr_html_() == district_map.traffic_light_map(kpi.copy())._repr_html_()
    assert not re.search(r"_[0-9a-f]{32}", primera)
