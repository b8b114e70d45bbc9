"""The dashboard's risk map: districts of the concession coloured by the traffic light, with no network.

The book is also read on intranets without internet, so the page loads nothing from outside: no
tiles, Leaflet's JS and CSS inlined from the XStatic-Leaflet package, and none of folium's other
default assets (jQuery, Bootstrap, Font Awesome), which this map does not use. Boundaries come from
``data/lds_distritos_inei2007.geojson`` (INEI 2007, simplified; see ``data/README.md``); Santa
Anita has none there and is drawn as a circle at its capital.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from html import escape
from pathlib import Path

import folium
import pandas as pd
import xstatic.pkg.leaflet
from branca.element import Element, Figure

from lds_utils.reporting.plots import (SEMAFORO_AMBAR_DESDE, SEMAFORO_COLORES, SEMAFORO_ROJO_DESDE, format_pct,
                                       format_thousands, traffic_light)
from lds_utils.synthetic.reference import districts as reference_districts

GEOMETRY_PATH = Path(__file__).with_name("data") / "lds_distritos_inei2007.geojson"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)

SIN_FACTURAS = "sin facturas en el mes"
GRIS_SIN_FACTURAS = "#b4b4b4"
FONDO = "#f4f6f8"
#: Tooltip rows: feature property -> label shown to the reader.
FICHA = {
    "distrito": "Distrito",
    "zona": "Zona",
    "suministros": "Suministros facturados",
    "atipicos": "Suministros atípicos",
    "pct": "% atípicos",
    "semaforo": "Semáforo",
}
#: CSS classes of the drawn shapes (Leaflet puts them on the SVG paths).
BOUNDARY_CLASS = "district-boundary"
POINT_CLASS = "district-point"

# branca names every element <name>_<32 random hex digits>
_BRANCA_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


class _StableFigure(Figure):
    """A branca Figure that renders the same bytes for the same content, shown in an iframe of its own.

    folium adds the rendered parts of each element to the figure on every render (a second render
    repeats them), so this renders a copy; branca's random element ids are numbered in order of
    appearance.
    """

    def render(self, **kwargs) -> str:
        pagina = Figure.render(copy.deepcopy(self), **kwargs)
        numeros: dict[str, str] = {}
        return _BRANCA_ID.sub(lambda m: numeros.setdefault(m.group(), str(len(numeros))), pagina)

    def _repr_html_(self, **kwargs) -> str:
        """The page in an iframe's srcdoc, as branca does, with the hint for untrusted notebooks in Spanish."""
        return (f'<div style="position:relative;width:100%;height:0;padding-bottom:{self.ratio}">'
                '<span style="color:#565656">Si el mapa no aparece, marque el cuaderno como confiable '
                "(File &gt; Trust Notebook).</span>"
                '<iframe class="district-map" title="Mapa de riesgo por distrito" '
                f'srcdoc="{escape(self.render(**kwargs))}" '
                'style="position:absolute;width:100%;height:100%;left:0;top:0;border:none"></iframe></div>')


class _DistrictMap(folium.Map):
    """A folium Map whose plain-text form is not its memory address: a rebuilt edition is the same file."""

    def __repr__(self) -> str:
        return "Mapa de riesgo por distrito"


def traffic_light_map(distritos: pd.DataFrame) -> folium.Map:
    """District choropleth of the month coloured by the traffic light of pct_atipicos, self-contained.

    distritos: distrito, zona, lat, lon, total_suministros, total_atipicos, pct_atipicos (one row
    per district with bills, as ReportContext.kpi_by_district). Every district of the concession is
    drawn: grey if it has no row; one without a boundary is a circle at its capital, or at its own
    lat/lon if it is not in the reference. ValueError if a district has neither.
    """
    features = [_feature(fila) for fila in _districts_to_draw(distritos).itertuples(index=False)]
    mapa = _DistrictMap(tiles=None, attribution_control=False, control_scale=True, zoom_snap=0.25, font_size="0.85rem")
    mapa.default_js, mapa.default_css = [], []
    _StableFigure(ratio="90%").add_child(mapa)
    mapa.get_root().header.add_child(Element(_leaflet_assets()), name="leaflet")
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=_style,
        highlight_function=lambda feature: {"weight": 3, "color": "#222222"},
        marker=folium.CircleMarker(radius=6),
        tooltip=folium.GeoJsonTooltip(fields=list(FICHA), aliases=list(FICHA.values())),
    ).add_to(mapa)
    mapa.fit_bounds(mapa.get_bounds(), padding=(8, 8))
    sin_limites = [f["properties"]["distrito"] for f in features if f["geometry"]["type"] == "Point"]
    mapa.get_root().html.add_child(Element(_legend(sin_limites)), name="leyenda")
    return mapa


def name_key(nombre: str) -> str:
    """Spelling-independent key of a district name: no accents, case or punctuation."""
    sin_tildes = "".join(c for c in unicodedata.normalize("NFKD", nombre) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", sin_tildes.casefold()).split())


def _concession_districts() -> pd.DataFrame:
    """Reference districts (ubigeo, distrito, zona, lat/lon of the capital) with their INEI name and boundary.

    Both are missing where the boundaries file has none (Santa Anita).
    """
    limites = json.loads(GEOMETRY_PATH.read_text(encoding="utf-8"))["features"]
    tabla = pd.DataFrame({
        "ubigeo": [f["properties"]["ubigeo"] for f in limites],
        "nombre_inei": [f["properties"]["distrito"] for f in limites],
        "geometria": [f["geometry"] for f in limites],
    })
    return reference_districts()[["ubigeo", "distrito", "zona", "lat", "lon"]].merge(tabla, on="ubigeo", how="left")


def _aliases(referencia: pd.DataFrame) -> dict[str, str]:
    """Name key -> ubigeo, from the reference names and the INEI names of the boundaries.

    An INEI name shared by two districts (SAN LUIS, SAN ANTONIO) is left out; the reference names,
    all distinct, take precedence.
    """
    inei = referencia.dropna(subset=["nombre_inei"]).assign(clave=lambda t: t["nombre_inei"].map(name_key))
    inei = inei[~inei["clave"].duplicated(keep=False)]
    por_nombre = dict(zip(referencia["distrito"].map(name_key), referencia["ubigeo"]))
    return dict(zip(inei["clave"], inei["ubigeo"])) | por_nombre


def _districts_to_draw(distritos: pd.DataFrame) -> pd.DataFrame:
    """One row per district to draw: the concession's joined by name to their KPI rows, then KPI rows outside it.

    semaforo holds the traffic light, or SIN_FACTURAS for a district without bills.
    """
    referencia = _concession_districts()
    kpi = distritos.assign(ubigeo=distritos["distrito"].map(name_key).map(_aliases(referencia)))
    repetidos = kpi["ubigeo"].notna() & kpi["ubigeo"].duplicated(keep=False)
    if repetidos.any():
        raise ValueError(f"KPI rows name the same district: {sorted(kpi.loc[repetidos, 'distrito'])}")
    tabla = referencia.merge(kpi, on="ubigeo", how="outer", suffixes=("_ref", ""))
    tabla = tabla.assign(
        distrito=tabla["distrito"].fillna(tabla["distrito_ref"]),
        zona=tabla["zona"].fillna(tabla["zona_ref"]),
        lat=tabla["lat_ref"].fillna(tabla["lat"]),
        lon=tabla["lon_ref"].fillna(tabla["lon"]),
        total_suministros=tabla["total_suministros"].fillna(0),
        total_atipicos=tabla["total_atipicos"].fillna(0),
        semaforo=traffic_light(tabla["pct_atipicos"]).cat.add_categories(SIN_FACTURAS).fillna(SIN_FACTURAS),
    )
    sin_lugar = tabla["geometria"].isna() & tabla[["lat", "lon"]].isna().any(axis=1)
    if sin_lugar.any():
        raise ValueError(f"districts with no boundary and no coordinates: {sorted(tabla.loc[sin_lugar, 'distrito'])}")
    return tabla


def _feature(fila) -> dict:
    """GeoJSON feature of a district: its boundary, or a point where it has none; tooltip texts as properties."""
    punto = {"type": "Point", "coordinates": [fila.lon, fila.lat]}
    geometria = fila.geometria if isinstance(fila.geometria, dict) else punto
    return {"type": "Feature", "geometry": geometria, "properties": {
        "ubigeo": fila.ubigeo if isinstance(fila.ubigeo, str) else None,
        "distrito": fila.distrito,
        "zona": fila.zona,
        "suministros": format_thousands(fila.total_suministros),
        "atipicos": format_thousands(fila.total_atipicos),
        "pct": format_pct(fila.pct_atipicos) or "—",
        "semaforo": str(fila.semaforo),
    }}


def _style(feature: dict) -> dict:
    punto = feature["geometry"]["type"] == "Point"
    return {
        "fillColor": SEMAFORO_COLORES.get(feature["properties"]["semaforo"], GRIS_SIN_FACTURAS),
        "fillOpacity": 0.8,
        "color": "#333333" if punto else "#ffffff",
        "weight": 2 if punto else 1,
        "className": POINT_CLASS if punto else BOUNDARY_CLASS,
    }


def _leaflet_assets() -> str:
    """Leaflet's CSS and JS inline, and a plain background where the tiles would be."""
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    # the source map is not inlined: drop the reference to it
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("//# sourceMappingURL=leaflet.js.map", "")
    return f"<style>{css}</style>\n<style>.leaflet-container {{ background: {FONDO}; }}</style>\n<script>{js}</script>"


def _legend(sin_limites: list[str]) -> str:
    muestra = "display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:-1px;"
    ambar, rojo = format_pct(SEMAFORO_AMBAR_DESDE, 0), format_pct(SEMAFORO_ROJO_DESDE, 0)
    colores = [
        (SEMAFORO_COLORES["verde"], f"verde: menos de {ambar}"),
        (SEMAFORO_COLORES["ámbar"], f"ámbar: {ambar} a menos de {rojo}"),
        (SEMAFORO_COLORES["rojo"], f"rojo: {rojo} o más"),
        (GRIS_SIN_FACTURAS, f"gris: {SIN_FACTURAS}"),
    ]
    filas = "".join(f'<div><span style="{muestra}background:{color}"></span>{texto}</div>' for color, texto in colores)
    circulo = (f'<div><span style="{muestra}border-radius:50%;border:2px solid #333333;box-sizing:border-box"></span>'
               f'{", ".join(sin_limites)}: sin límites en la fuente, se marca con un círculo</div>')
    fuente = ('<div style="margin-top:4px;color:#6b6b6b;font-size:11px">Límites: INEI 2007, simplificados '
              "(Geoservidor del MINAM, vía juaneladio/peru-geojson, licencia MPL 2.0)</div>")
    return ('<div class="district-map-legend" style="position:fixed;bottom:50px;left:10px;z-index:1000;max-width:240px;'
            'background:white;padding:8px 10px;border:1px solid #999999;border-radius:4px;font:12px sans-serif">'
            f"<b>% de suministros atípicos en el mes</b>{filas}{circulo}{fuente}</div>")
