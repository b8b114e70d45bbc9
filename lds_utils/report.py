"""The notebook-facing API: ``ctx = contexto(period, engine, lake, n_clientes, seed)``.

``contexto`` makes sure the lake the notebooks read exists and matches the requested sample
(generating data and running the pipeline when it is missing, when ``generacion.json`` shows a
different n_clientes/seed, when its layers were built by other SQL (the pipeline's fingerprint), or
when the requested month is not built yet), then returns a
``Contexto`` whose read helpers run SQL through the engine. Notebooks stay thin: every query and
every computation two notebooks share lives here, with unit tests.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lds_utils import billing, config, detect, fence
from lds_utils.config import LakePaths, UsageError
from lds_utils.generate import GENERACION
from lds_utils.pipeline import BRONZE_STATE_NAME, FINGERPRINT_NAME, MANIFEST_NAME
from lds_utils.schema import PERSONAL_DATA_COLUMNS, PRIMARY_KEYS, RAW_SCHEMAS, column_names
from lds_utils.sql import check_identifier

GOLD = "gold_db.gold_facturacion_teorica_mes"
#: What the generator and the pipeline write; removed before regenerating a lake built with other parameters.
_LAKE_CONTENT = ("raw", "bronze", "silver", "gold", "truth", "athena_results", "catalog.duckdb",
                 "catalog.duckdb.wal", MANIFEST_NAME, FINGERPRINT_NAME, BRONZE_STATE_NAME, GENERACION)
#: Raw tables holding personal data: their rejected records (the raw row as text) are never shown.
_TABLAS_CON_DATOS_PERSONALES = ", ".join(
    f"'{tabla}'" for tabla, columnas in RAW_SCHEMAS.items() if {c.name for c in columnas} & set(PERSONAL_DATA_COLUMNS)
)


# -- preparing the lake ------------------------------------------------------------------------------------
def leer_generacion(lake: Path) -> dict | None:
    """Parameters the lake was generated with (``generacion.json``), or None if never generated."""
    path = Path(lake) / GENERACION
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def generacion_coincide(generacion: dict | None, n_clientes: int, seed: int) -> bool:
    return (
        generacion is not None
        and int(generacion.get("n_clientes", -1)) == n_clientes
        and int(generacion.get("seed", -1)) == seed
    )


def periodos_gold(lake: Path) -> list[str]:
    """Months present in the gold table of the local lake (empty if there is no catalog or gold yet)."""
    from lds_utils.engines import open_engine

    if not LakePaths(Path(lake)).catalog.exists():
        return []
    with open_engine("duckdb", Path(lake), read_only=True) as engine:
        if not engine.table_exists("gold_db", "gold_facturacion_teorica_mes"):
            return []
        meses = engine.read_sql(f"select distinct anio_mes from {GOLD} order by anio_mes")
    return meses["anio_mes"].astype(str).tolist()


def preparar_lago(lake: Path, n_clientes: int, seed: int, period: str | None = None,
                  progress: bool = False) -> dict[str, float]:
    """Generate and/or run the pipeline as needed; return the seconds spent in each step taken."""
    from lds_utils.generate import GeneratorConfig, run_generate
    from lds_utils.pipeline import lake_lock, pipeline_fingerprint, read_fingerprint, run_pipeline

    lake = Path(lake)
    duraciones: dict[str, float] = {}
    if not generacion_coincide(leer_generacion(lake), n_clientes, seed):
        config.ensure_writable_dir(lake)
        cfg = GeneratorConfig(n_clientes=n_clientes, seed=seed, desde=config.DEFAULT_DESDE, hasta=config.DEFAULT_HASTA)
        with lake_lock(lake):  # never rewrite raw/ under a running pipeline
            _vaciar_lago(lake)
            duraciones["generacion"] = _cronometrar(run_generate, cfg, lake, progress=progress)
    meses = periodos_gold(lake)
    if not meses or read_fingerprint(lake) != pipeline_fingerprint():
        duraciones["pipeline"] = _cronometrar(run_pipeline, lake)
    elif period is not None and period not in meses:
        _exigir_periodo_generado(lake, period)
        duraciones[f"pipeline_{period}"] = _cronometrar(run_pipeline, lake, period=period)
    return duraciones


def _vaciar_lago(lake: Path) -> None:
    """Remove only what the generator and pipeline write: never anything else under the lake root."""
    for nombre in _LAKE_CONTENT:
        path = lake / nombre
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _exigir_periodo_generado(lake: Path, period: str) -> None:
    generacion = leer_generacion(lake) or {}
    desde = generacion.get("desde", config.DEFAULT_DESDE)
    hasta = generacion.get("hasta", config.DEFAULT_HASTA)
    if period not in config.period_range(desde, hasta):
        raise UsageError(f"period {period} has no data: the lake covers {desde} to {hasta}")


def _cronometrar(funcion, *args, **kwargs) -> float:
    inicio = time.perf_counter()
    funcion(*args, **kwargs)
    return round(time.perf_counter() - inicio, 2)


# -- data dictionary ---------------------------------------------------------------------------------------
#: Descriptions of the columns the pipeline derives (raw columns are described in lds_utils.schema).
DESCRIPCIONES = {
    "anio_mes": "Mes de facturación AAAA-MM (partición)",
    "anio": "Año de facturación",
    "mes": "Mes de facturación (1-12)",
    "motivo": "Motivo de rechazo REGLA[:columna]; vacío si el registro es válido",
    "registro": "Registro RAW original como texto, para auditoría (el libro no muestra los de clientes)",
    "firma": "Contenido normalizado del registro, para distinguir duplicados exactos de claves repetidas",
    "clave_repetida": "La clave aparece en más de un registro RAW: su motivo final está en stg_acumulado_duplicado",
    "tabla": "Tabla RAW de origen",
    "filas_raw": "Filas en RAW",
    "filas_bronze": "Filas válidas en BRONZE",
    "filas_rechazadas": "Filas rechazadas (en bronze_rechazos)",
    "cuadra": "Verdadero si filas RAW = filas BRONZE + filas rechazadas",
    "n_medidores": "Medidores del suministro con lecturas en el mes",
    "n_lecturas": "Lecturas del mes",
    "n_diferencias": "Diferencias de lectura que aportan consumo",
    "n_sin_lectura_previa": "Lecturas sin lectura anterior en los 12 meses previos",
    "n_vueltas": "Vueltas a cero del registro detectadas",
    "n_retrocesos": "Lecturas menores que la anterior sin ser vuelta a cero (error de registro)",
    "es_estimada": "Verdadero si alguna lectura del mes fue estimada",
    "consumo_kwh": "Energía activa consumida en el mes, kWh (con factor de medidor)",
    "consumo_kwh_hp": "Energía en horas punta, kWh (medidores de doble registro)",
    "consumo_kwh_hfp": "Energía fuera de punta, kWh",
    "demanda_max_kw": "Máxima demanda del mes, kW",
    "demanda_kw": "Máxima demanda del mes, kW",
    "dias_facturados": "Días del periodo de lectura",
    "fecha_ultima_lectura": "Fecha de la última lectura del mes",
    "pct_error": "Registros de intervalo con error o faltantes, % de los esperados",
    "tarifa": "Opción tarifaria vigente en el mes",
    "doble_registro": "Verdadero si la opción mide la energía en dos registros, horas punta y fuera de punta, cada uno a "
                      "su cargo",
    "cobra_potencia": "Verdadero si la opción cobra potencia: máxima demanda del mes × cargos de potencia del pliego",
    "aplica_fose": "Verdadero si un suministro residencial con esta opción recibe el descuento o el recargo del FOSE",
    "admite_residencial": "Verdadero si un suministro residencial puede tener esta opción",
    "cargo_fijo_soles": "Cargo fijo, S/ sin IGV",
    "energia_soles": "Cargo por energía, S/ sin IGV",
    "potencia_soles": "Cargo por potencia, S/ sin IGV",
    "alumbrado_soles": "Alumbrado público, S/ sin IGV",
    "descuento_fose_soles": "Descuento FOSE, S/",
    "recargo_fose_soles": "Recargo FOSE, S/",
    "subtotal_soles": "Subtotal antes de IGV, S/",
    "igv_soles": f"IGV ({billing.IGV * 100:.0f} %), S/",
    "facturacion_teorica": "Factura teórica del mes, S/ con IGV",
    "facturacion_referencia": f"Mediana de las facturas teóricas del propio suministro en sus {detect.HISTORIA_MESES} "
                              "meses previos (los que tenga), S/",
    "meses_historia": f"Meses con factura entre los {detect.HISTORIA_MESES} previos (0: el suministro no se evalúa)",
    "valor_evaluado": "Valor al que se aplica el cerco: ln(factura teórica / facturación de referencia)",
    "n_segmento": "Suministros evaluados en el segmento (tipo de cliente, tensión, mes)",
    "segmento_valido": f"Verdadero si el segmento tiene al menos {fence.MIN_SEGMENTO} suministros",
    "q1": "Primer cuartil del valor evaluado en el segmento",
    "q3": "Tercer cuartil del valor evaluado en el segmento",
    "iqr": "Rango intercuartílico q3 - q1",
    "umbral_atipico": f"Cerco superior q3 + {fence.IQR_FACTOR} × iqr (en unidades del valor evaluado)",
    "umbral_soles": "Factura en S/ que alcanzaría el cerco para este suministro (referencia × e^umbral)",
    "es_atipico": "Verdadero si el segmento es válido y el valor evaluado supera el cerco",
    "exceso_valor": "Valor evaluado menos el cerco (0.1 equivale a ~10 % por encima)",
    "exceso_iqr": "(valor evaluado - q3) / iqr: el factor k de Tukey alcanzado",
    "exceso_soles": "Factura teórica menos la factura en el cerco, S/",
    "veces_umbral": "Factura teórica dividida entre la factura en el cerco",
    "razon": "Factura teórica dividida entre la facturación de referencia",
    "meses": "Meses del año con datos",
    "total_suministros": "Suministros facturados (en vistas anuales: suministro-meses)",
    "total_atipicos": "Suministros con factura atípica (en vistas anuales: suministro-meses)",
    "pct_atipicos": "100 × total_atipicos / total_suministros",
}
_DESCRIPCIONES_RAW = {f"{tabla}.{c.name}": c.description for tabla, columnas in RAW_SCHEMAS.items() for c in columnas}
#: A raw column's description wherever the column travels: from its own table when it is the key there.
_CLAVES = set(PRIMARY_KEYS.values())
_DESCRIPCIONES_COLUMNA = {
    c.name: c.description
    for tabla, columnas in RAW_SCHEMAS.items() for c in columnas
    if c.name not in _CLAVES or PRIMARY_KEYS[tabla] == c.name
}


def describir(tablas: pd.Series, columnas: pd.Series) -> pd.Series:
    """Description of each (table, column): raw contract first, then derived columns.

    BRONZE tables (bronze_<t>, stg_<t>) inherit the raw description of a column of the same name;
    ``<col>_txt`` staging columns are the raw text of ``<col>``; a raw column carried into a later
    layer (id_suministro, distrito...) keeps the description it has in RAW.
    """
    origen = tablas.str.replace(r"^(bronze|stg)_", "", regex=True)
    base = columnas.str.removesuffix("_txt")
    descripcion = (
        (origen + "." + base).map(_DESCRIPCIONES_RAW)
        .fillna(base.map(DESCRIPCIONES))
        .fillna(base.map(_DESCRIPCIONES_COLUMNA))
    )
    texto = columnas.str.endswith("_txt") & descripcion.notna()
    descripcion = descripcion.where(~texto, "Texto RAW antes de tipar: " + descripcion.fillna(""))
    return descripcion.fillna("")


# -- pure computations shared by notebooks -----------------------------------------------------------------
def comparar_interanual(kpi_mensual: pd.DataFrame, period: str) -> dict:
    """KPIs of ``period`` and of the same month one year earlier, with their changes.

    kpi_mensual: vw_kpi_atipicos_mes rows (anio_mes, total_suministros, total_atipicos, pct_atipicos).
    Changes are None when the earlier month has no data.
    """
    por_mes = kpi_mensual.set_index("anio_mes")
    if period not in por_mes.index:
        raise UsageError(f"no KPI row for period {period}")
    actual = por_mes.loc[period]
    anterior_mes = config.shift_period(period, -12)
    resumen = {
        "periodo": period,
        "periodo_anterior": anterior_mes,
        "total_suministros": int(actual["total_suministros"]),
        "total_atipicos": int(actual["total_atipicos"]),
        "pct_atipicos": float(actual["pct_atipicos"]),
        "total_atipicos_anterior": None,
        "pct_atipicos_anterior": None,
        "variacion_atipicos": None,
        "variacion_pct_pp": None,
    }
    if anterior_mes in por_mes.index:
        anterior = por_mes.loc[anterior_mes]
        resumen |= {
            "total_atipicos_anterior": int(anterior["total_atipicos"]),
            "pct_atipicos_anterior": float(anterior["pct_atipicos"]),
            "variacion_atipicos": int(actual["total_atipicos"] - anterior["total_atipicos"]),
            "variacion_pct_pp": float(actual["pct_atipicos"] - anterior["pct_atipicos"]),
        }
    return resumen


def factura_tipica(gold: pd.DataFrame, tipo_cliente: str = "RESIDENCIAL", tarifa: str = "BT5B") -> pd.Series:
    """A non-atypical bill of the given kind whose consumption is closest to its median (ties: lowest id)."""
    candidatas = gold[(gold["tipo_cliente"] == tipo_cliente) & (gold["tarifa"] == tarifa) & ~gold["es_atipico"]]
    if candidatas.empty:
        raise ValueError(f"no {tipo_cliente} {tarifa} bill to use as example")
    distancia = (candidatas["consumo_kwh"] - candidatas["consumo_kwh"].median()).abs()
    orden = candidatas.assign(_distancia=distancia).sort_values(["_distancia", "id_suministro"])
    return orden.drop(columns="_distancia").iloc[0]


def desglose_factura(factura: pd.Series, pliego: pd.Series) -> pd.DataFrame:
    """One bill line by line (concepto, calculo, importe_soles) from its GOLD row and its pliego.

    The energy line is recomputed from the pliego for single-register options, so a reader can
    follow the arithmetic; the other lines are the GOLD amounts with how they arise.
    """
    kwh, demanda = float(factura["consumo_kwh"]), float(factura["demanda_kw"] or 0.0)
    opcion = billing.tariff_options().loc[factura["tarifa"]]
    energia = ("kWh en punta y fuera de punta a sus cargos del pliego" if opcion["doble_registro"]
               else f"{kwh:,.2f} kWh × {pliego['cargo_energia']:.2f} ctm. S/ por kWh / 100")
    con_fose = "residencial " + "/".join(billing.options_where("aplica_fose"))
    potencia_cargo = float(pliego["cargo_potencia_generacion"]) + float(pliego["cargo_potencia_distribucion"])
    lineas = [
        ("Cargo fijo", f"pliego {factura['tarifa']} de {pliego['anio_mes']}", factura["cargo_fijo_soles"]),
        ("Energía", energia, factura["energia_soles"]),
        ("Potencia", f"{demanda:,.2f} kW × S/ {potencia_cargo:.2f} por kW-mes"
         if opcion["cobra_potencia"] else "no aplica a la opción", factura["potencia_soles"]),
        ("Alumbrado público", "alícuota por tramo de consumo", factura["alumbrado_soles"]),
        ("Descuento FOSE", f"{con_fose} hasta el umbral del FOSE", -factura["descuento_fose_soles"]),
        ("Recargo FOSE", f"{con_fose} sobre el umbral del FOSE", factura["recargo_fose_soles"]),
        ("Subtotal", "suma de las líneas anteriores", factura["subtotal_soles"]),
        ("IGV", f"{billing.IGV * 100:.0f} % del subtotal", factura["igv_soles"]),
        ("Total factura teórica", "subtotal + IGV", factura["facturacion_teorica"]),
    ]
    return pd.DataFrame(lineas, columns=["concepto", "calculo", "importe_soles"]).astype({"importe_soles": float})


#: The fence's segment within one month's bills (the month is implicit).
_MONTH_SEGMENT = [column for column in fence.SEGMENTO if column != "anio_mes"]


def tasa_atipicos(gold: pd.DataFrame, factor: float = fence.IQR_FACTOR, minimo: int = fence.MIN_SEGMENTO,
                  valor: str = "valor_evaluado") -> float:
    """% of the month's bills above q3 + factor × iqr of a segment of at least ``minimo`` bills (lds_utils.fence)."""
    flagged = fence.atypical(gold, valor, _MONTH_SEGMENT, factor, minimo)
    return 100.0 * float(flagged.sum()) / len(gold)


def sensibilidad(gold: pd.DataFrame, parametro: str, valores, factor: float = fence.IQR_FACTOR,
                 minimo: int = fence.MIN_SEGMENTO) -> pd.DataFrame:
    """pct_atipicos of the month when one parameter (``factor`` or ``minimo``) takes each of ``valores``."""
    if parametro not in ("factor", "minimo"):
        raise ValueError(f"parametro must be 'factor' or 'minimo' (got {parametro!r})")
    base = {"factor": factor, "minimo": minimo}
    return pd.DataFrame({
        parametro: list(valores),
        "pct_atipicos": [tasa_atipicos(gold, **(base | {parametro: v})) for v in valores],
    })


def etiqueta_segmento(datos: pd.DataFrame) -> pd.Series:
    """'RESIDENCIAL BT'-style label of each row's segment (the month is implicit)."""
    return datos["tipo_cliente"] + " " + datos["nivel_tension"]


def segmentos_legibles(segmentos: pd.DataFrame) -> pd.DataFrame:
    """ctx.segmentos() with a label and the quartiles and fence as % above the supply's own median.

    valor_evaluado is ln(bill / reference), so a quartile q reads as a bill (e^q - 1) × 100 % away
    from the supply's reference.
    """
    return pd.DataFrame({
        "segmento": etiqueta_segmento(segmentos),
        "n_segmento": segmentos["n_segmento"],
        "segmento_valido": segmentos["segmento_valido"].astype(bool),
        "q1_pct": 100 * np.expm1(segmentos["q1"]),
        "q3_pct": 100 * np.expm1(segmentos["q3"]),
        "umbral_pct": 100 * np.expm1(segmentos["umbral_atipico"]),
        "atipicos": segmentos["atipicos"],
    })


def razones_segmento(gold: pd.DataFrame) -> pd.DataFrame:
    """The month's evaluated bills with their segment label and razon = bill / reference (= e^valor_evaluado)."""
    evaluadas = gold[gold["valor_evaluado"].notna()]
    return pd.DataFrame({"segmento": etiqueta_segmento(evaluadas), "razon": np.exp(evaluadas["valor_evaluado"])})


#: Spanish labels of detect.candidate_values' columns.
CANDIDATOS = {
    "importe": "Factura teórica en S/",
    "log_importe": "ln(factura teórica)",
    "log_ratio_mes_anterior": "ln(factura / factura del mes anterior)",
    "log_ratio_mediana_12m": f"ln(factura / mediana de sus {detect.HISTORIA_MESES} meses previos)",
    "log_ratio_mediana_12m_por_dia": f"ln(factura diaria / mediana diaria de sus {detect.HISTORIA_MESES} meses previos)",
}


def tabla_candidatos(comparacion: pd.DataFrame) -> pd.DataFrame:
    """detect.compare_candidates' result as a readable table: one row per candidate, main metrics."""
    columnas = ["pct_atipicos", "pct_mes_min", "pct_mes_max", "precision", "recall"]
    tabla = comparacion[columnas].astype(float).rename_axis("clave").reset_index()
    return tabla.assign(valor=tabla["clave"].map(CANDIDATOS))[["clave", "valor", *columnas]]


def clientes_luz_del_sur() -> dict:
    """Luz del Sur's customer count with its year and source (first entry of the reference file)."""
    from lds_utils.reference import load_reference

    dato = load_reference()["company"]["customers"][0]
    return {"valor": int(dato["value"]), "anio": int(dato["year"]), "fuente": dato["source"]}


def parametros_generacion(generacion: dict) -> pd.DataFrame:
    """The headline parameters and results of generacion.json as (parametro, valor) rows."""
    filas = [
        ("Clientes", f"{generacion['n_clientes']:,}"),
        ("Semilla", str(generacion["seed"])),
        ("Meses", f"{generacion['desde']} a {generacion['hasta']}"),
        ("Suministro-meses simulados", f"{generacion['meses_suministro']:,}"),
        ("Suministro-meses con anomalía", f"{generacion['meses_con_anomalia']:,}"),
        ("Versión del generador", str(generacion["version"])),
    ]
    filas += [(f"Filas RAW de {tabla}", f"{n:,}") for tabla, n in generacion["filas"].items() if tabla in config.RAW_TABLES]
    return pd.DataFrame(filas, columns=["parametro", "valor"])


def distritos_referencia() -> pd.DataFrame:
    """Districts of the concession from the reference file, for the data chapter."""
    from lds_utils.reference import districts

    tabla = districts()[["distrito", "provincia", "zona", "subzona", "lat", "lon", "approx_customers"]]
    return tabla.rename(columns={"approx_customers": "clientes_aprox"}).sort_values(["zona", "distrito"], ignore_index=True)


def fuentes_referencia() -> pd.DataFrame:
    from lds_utils.reference import sources

    return pd.DataFrame([(clave, _en_castellano(texto)) for clave, texto in sources().items()], columns=["clave", "fuente"])


def resumen_anomalias(anomalias: pd.DataFrame) -> pd.DataFrame:
    """Injected anomalies per type: how many, on how many supplies, and one example description."""
    grupos = anomalias.sort_values("id_anomalia").groupby("tipo")
    resumen = pd.DataFrame({
        "anomalias": grupos.size(),
        "suministros": grupos["id_suministro"].nunique(),
        "ejemplo": grupos["detalle"].first(),
    })
    return resumen.sort_values(["anomalias"], ascending=False).reset_index()


def rechazos_por_regla(rechazos: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows per rule (the part of motivo before ':'), largest first."""
    regla = rechazos["motivo"].str.split(":").str[0]
    por_regla = rechazos.assign(regla=regla).groupby("regla", as_index=False)["filas"].sum()
    return por_regla.sort_values(["filas", "regla"], ascending=[False, True], ignore_index=True)


def perfil_consumo(gold: pd.DataFrame) -> pd.DataFrame:
    """Supplies, median and p90 of kWh and kW per customer type in the month."""
    grupos = gold.groupby("tipo_cliente")
    return pd.DataFrame({
        "suministros": grupos.size(),
        "kwh_mediana": grupos["consumo_kwh"].median(),
        "kwh_p90": grupos["consumo_kwh"].quantile(0.9),
        "kw_mediana": grupos["demanda_kw"].median(),
        "kw_p90": grupos["demanda_kw"].quantile(0.9),
    }).sort_values("suministros", ascending=False).reset_index()


def perfil_facturacion(gold: pd.DataFrame) -> pd.DataFrame:
    """Supplies, median, p90 and total theoretical bill per customer type and voltage in the month."""
    grupos = gold.groupby(["tipo_cliente", "nivel_tension"])["facturacion_teorica"]
    perfil = pd.DataFrame({"suministros": grupos.size(), "mediana": grupos.median(), "p90": grupos.quantile(0.9),
                           "total": grupos.sum()})
    return perfil.sort_values("suministros", ascending=False).reset_index()


def errores_registro(silver: pd.DataFrame) -> pd.DataFrame:
    """Supplies of the month with each measurement-quality signal, and their share."""
    senales = {
        "Lectura estimada": silver["es_estimada"].astype(bool),
        "Retroceso del registro": silver["n_retrocesos"] > 0,
        "Vuelta a cero del registro": silver["n_vueltas"] > 0,
        "Sin lectura previa": silver["n_sin_lectura_previa"] > 0,
        "Registros de intervalo con error": silver["registros_error"].fillna(0) > 0,
    }
    cuenta = pd.Series({nombre: int(marca.sum()) for nombre, marca in senales.items()})
    return pd.DataFrame({"senal": cuenta.index, "suministros": cuenta.to_numpy(),
                         "pct_suministros": 100.0 * cuenta.to_numpy() / len(silver)})


_APROXIMADO = {
    "approx, common knowledge (not found in the searched corpora; verify before relying on it)":
        "aproximado, conocimiento común (no hallado en las fuentes consultadas; verificar antes de usarlo)",
    "derived in this file by arithmetic from the cited inputs (see 'derivation')":
        "derivado por aritmética de los datos citados",
    "band limits and amounts ": "límites y montos de los tramos: ",
}


def _en_castellano(fuente: str) -> str:
    """Translate the fixed English phrases the reference file uses to qualify a source."""
    for ingles, castellano in _APROXIMADO.items():
        fuente = fuente.replace(ingles, castellano)
    return fuente


def _reglas_facturacion() -> dict[str, str]:
    """A Spanish statement of each rule of lds_utils.billing, written from its constants."""
    tramos = billing.ALUMBRADO_TRAMOS
    textos = [f"hasta {limite:.0f} kWh: S/ {monto:.2f}" for limite, monto in tramos[:-1]]
    textos.append(f"más de {tramos[-2][0]:.0f} kWh: S/ {tramos[-1][1]:.2f}")
    return {
        "igv": f"IGV de {billing.IGV * 100:.0f} % sobre el subtotal (IGV 16 % más IPM 2 %)",
        "fose_umbral_kwh": f"Umbral del FOSE con la Ley 31429: {billing.FOSE_UMBRAL_KWH:.0f} kWh al mes",
        "fose_umbral_kwh_antes": f"Umbral del FOSE antes de la Ley 31429: {billing.FOSE_UMBRAL_KWH_ANTES:.0f} kWh al mes",
        "fose_reforma_desde": f"Primer mes facturado con la Ley 31429: {billing.FOSE_REFORMA_DESDE}",
        "fose_tramo1": f"FOSE hasta {billing.FOSE_TRAMO1_KWH:.0f} kWh: descuento de "
                       f"{billing.FOSE_TRAMO1_DESCUENTO * 100:.0f} % del cargo por energía",
        "fose_tramo2": f"FOSE de {billing.FOSE_TRAMO1_KWH:.0f} kWh al umbral: descuento de "
                       f"{billing.FOSE_TRAMO2_KWH_DESCONTADOS:g} kWh valorizados al cargo por energía",
        "recargo_fose": f"Recargo FOSE sobre el umbral: {billing.RECARGO_FOSE_ANTES * 100:.1f} % de la energía antes de "
                        f"la reforma y {billing.RECARGO_FOSE * 100:.1f} % después",
        "alumbrado": f"Alumbrado público por tramo de consumo mensual: {'; '.join(textos)}",
    }


def fuentes_facturacion() -> pd.DataFrame:
    """Each regulated billing rule of lds_utils.billing, in Spanish, with its source."""
    reglas = _reglas_facturacion()
    fuentes = {clave: _en_castellano(texto.split("Source", 1)[1].split(":", 1)[1].strip().rstrip("."))
               for clave, texto in billing.SOURCES.items()}
    return pd.DataFrame({"regla": [reglas[clave] for clave in fuentes], "fuente": list(fuentes.values())})


def frase_interanual(resumen: dict) -> str:
    """The year-on-year comparison as a clause of a Spanish sentence."""
    anterior = resumen["periodo_anterior"]
    if resumen["variacion_pct_pp"] is None:
        return f"no hay datos de {anterior} para compararlo con el mismo mes del año anterior"
    return (f"en {anterior} fue el {resumen['pct_atipicos_anterior']:.2f} %, una variación de "
            f"{resumen['variacion_pct_pp']:+.2f} puntos porcentuales")


def resumen_tabla(resumen: dict) -> pd.DataFrame:
    """comparar_interanual's dict as (indicador, valor) rows in the house number format."""
    from lds_utils.plots import formato_miles, formato_pct

    anterior = resumen["periodo_anterior"]
    sin_dato = f"sin datos de {anterior}"
    variacion = resumen["variacion_pct_pp"]
    filas = [
        ("Periodo", resumen["periodo"]),
        ("Suministros facturados", formato_miles(resumen["total_suministros"])),
        ("Suministros con factura atípica", formato_miles(resumen["total_atipicos"])),
        ("% de suministros atípicos", formato_pct(resumen["pct_atipicos"])),
        (f"Atípicos en {anterior}", formato_miles(resumen["total_atipicos_anterior"])
         if resumen["total_atipicos_anterior"] is not None else sin_dato),
        (f"% atípicos en {anterior}", formato_pct(resumen["pct_atipicos_anterior"])
         if resumen["pct_atipicos_anterior"] is not None else sin_dato),
        ("Variación interanual", f"{variacion:+.2f} p.p." if variacion is not None else sin_dato),
    ]
    return pd.DataFrame(filas, columns=["indicador", "valor"])


def sin_datos_personales(tabla: pd.DataFrame) -> pd.DataFrame:
    """Return the table unchanged, or fail if it carries a personal-data column."""
    presentes = sorted(set(tabla.columns) & set(PERSONAL_DATA_COLUMNS))
    if presentes:
        raise ValueError(f"personal data must never be shown: {', '.join(presentes)}")
    return tabla


def pegar(nombre: str, valor) -> None:
    """myst-nb ``glue`` without display, with numpy scalars turned into plain Python numbers.

    Plain numbers keep ``text/plain`` parseable, so pages can format them (``{glue:text}`key:,.0f```).
    """
    from myst_nb import glue

    glue(nombre, valor.item() if hasattr(valor, "item") else valor, display=False)


# -- the context object -------------------------------------------------------------------------------------
@dataclass
class Contexto:
    """Parameters of the run plus read helpers over the engine; every query is bound to ``period``."""

    period: str
    engine_name: str
    lake: Path
    n_clientes: int
    seed: int
    engine: object = field(repr=False)
    duraciones: dict[str, float] = field(default_factory=dict)

    def sql(self, query: str, **params) -> pd.DataFrame:
        """Run a Trino SELECT; ``:period`` is always bound to the analysis month."""
        return self.engine.read_sql(query, {"period": self.period, **params})

    def cerrar(self) -> None:
        self.engine.close()

    # KPIs and dashboard ------------------------------------------------------------------------------------
    def kpi_mensual(self) -> pd.DataFrame:
        """vw_kpi_atipicos_mes from the first month up to the analysis month."""
        return self.sql(
            "select anio_mes, total_suministros, total_atipicos, pct_atipicos "
            "from gold_db.vw_kpi_atipicos_mes where anio_mes <= :period order by anio_mes"
        )

    def resumen_periodo(self) -> dict:
        return comparar_interanual(self.kpi_mensual(), self.period)

    def kpi_distritos(self) -> pd.DataFrame:
        """District KPIs of the month with the district's coordinates (mean of its sectors)."""
        return self.sql(
            "with coordenadas as (select distrito, avg(lat) as lat, avg(lon) as lon "
            "from bronze_db.bronze_sector group by distrito) "
            "select k.distrito, k.zona, c.lat, c.lon, k.total_suministros, k.total_atipicos, k.pct_atipicos "
            "from gold_db.vw_kpi_atipicos_distrito_mes as k left join coordenadas as c on k.distrito = c.distrito "
            "where k.anio_mes = :period "
            "order by k.total_atipicos desc, k.pct_atipicos desc, k.total_suministros desc, k.distrito"
        )

    def kpi_zonas(self) -> pd.DataFrame:
        return self.sql(
            "select zona, total_suministros, total_atipicos, pct_atipicos from gold_db.vw_kpi_atipicos_zona_mes "
            "where anio_mes = :period order by total_atipicos desc, zona"
        )

    def kpi_zonas_anual(self) -> pd.DataFrame:
        """Yearly zone KPIs up to the year of the analysis month (that year counts its months so far)."""
        return self.sql(
            "select zona, anio, total_suministros, total_atipicos, pct_atipicos "
            "from gold_db.vw_kpi_atipicos_zona_anual where anio <= cast(substr(:period, 1, 4) as integer) "
            "order by anio, zona"
        )

    def casos_criticos(self, n: int = 15) -> pd.DataFrame:
        """The month's atypical bills furthest above their segment's threshold (no personal data)."""
        casos = self.sql(
            "select d.id_suministro, d.distrito, d.zona, d.tipo_cliente, d.nivel_tension, d.tarifa, d.consumo_kwh, "
            "g.facturacion_referencia, d.facturacion_teorica, d.umbral_soles, d.exceso_soles, d.veces_umbral "
            "from gold_db.vw_facturacion_atipica_detalle as d "
            f"join {GOLD} as g on d.id_suministro = g.id_suministro and d.anio_mes = g.anio_mes "
            "where d.anio_mes = :period order by d.exceso_valor desc, d.id_suministro"
        )
        return sin_datos_personales(casos.head(n).reset_index(drop=True))

    # layers -------------------------------------------------------------------------------------------------
    def conciliacion(self) -> pd.DataFrame:
        return self.sql(
            "select tabla, filas_raw, filas_bronze, filas_rechazadas, cuadra from bronze_db.bronze_conciliacion "
            "order by tabla"
        )

    def rechazos_por_motivo(self) -> pd.DataFrame:
        return self.sql(
            "select tabla, motivo, count(*) as filas from bronze_db.bronze_rechazos "
            "group by tabla, motivo order by filas desc, tabla, motivo"
        )

    def ejemplos_rechazo(self) -> pd.DataFrame:
        """One rejected raw record per (table, reason); never from tables that hold personal data."""
        return self.sql(
            "select tabla, motivo, min(registro) as registro from bronze_db.bronze_rechazos "
            f"where tabla not in ({_TABLAS_CON_DATOS_PERSONALES}) group by tabla, motivo order by tabla, motivo"
        )

    def consumo_silver(self) -> pd.DataFrame:
        """SILVER rows of the analysis month."""
        return self.sql(
            "select id_suministro, consumo_kwh, consumo_kwh_hp, demanda_max_kw, dias_facturados, es_estimada, "
            "n_vueltas, n_retrocesos, n_sin_lectura_previa, registros_esperados, registros_error, pct_error "
            "from silver_db.silver_consumo_mensual where anio_mes = :period"
        )

    def facturas_todas(self) -> pd.DataFrame:
        """Every GOLD bill of the lake, whatever the analysis month, with what detect.compare_candidates needs.

        Choosing valor_evaluado is a design decision taken on the whole history, not a result of one month.
        """
        return self.sql(
            "select id_suministro, anio_mes, tipo_cliente, nivel_tension, facturacion_teorica, dias_facturados "
            f"from {GOLD}"
        )

    def gold_periodo(self) -> pd.DataFrame:
        """GOLD rows of the analysis month, without client identifiers."""
        return self.sql(
            "select id_suministro, tipo_cliente, nivel_tension, tarifa, distrito, zona, consumo_kwh, demanda_kw, "
            "cargo_fijo_soles, energia_soles, potencia_soles, alumbrado_soles, descuento_fose_soles, "
            "recargo_fose_soles, subtotal_soles, igv_soles, facturacion_teorica, facturacion_referencia, "
            "meses_historia, valor_evaluado, n_segmento, "
            "segmento_valido, q1, q3, iqr, umbral_atipico, umbral_soles, es_atipico "
            f"from {GOLD} where anio_mes = :period"
        )

    def consumo_mensual(self) -> pd.DataFrame:
        """SILVER totals per month up to the analysis month over supplies with measured consumption.

        A supply-month counts when at least one reading difference gave it consumption (the same rule
        GOLD bills by), so the first month of the data, made only of first readings, is left out.
        """
        return self.sql(
            "select anio_mes, count(*) as suministros, sum(consumo_kwh) as consumo_kwh, "
            "count_if(es_estimada) as con_lectura_estimada, sum(n_retrocesos) as retrocesos, "
            "sum(n_vueltas) as vueltas, 100 * cast(sum(registros_error) as double) / sum(registros_esperados) "
            "as pct_error from silver_db.silver_consumo_mensual where anio_mes <= :period and n_diferencias > 0 "
            "group by anio_mes order by anio_mes"
        )

    def pliego(self, tarifa: str) -> pd.Series:
        """The pliego of a tariff option in force in the analysis month."""
        filas = self.sql(
            "select opcion_tarifaria, anio_mes, cargo_fijo, cargo_energia, cargo_energia_hp, cargo_energia_hfp, "
            "cargo_potencia_generacion, cargo_potencia_distribucion from bronze_db.bronze_tarifa "
            "where opcion_tarifaria = :tarifa and anio_mes = :period",
            tarifa=tarifa,
        )
        if len(filas) != 1:
            raise ValueError(f"expected one pliego {tarifa} for {self.period}, found {len(filas)}")
        return filas.iloc[0]

    def segmentos(self) -> pd.DataFrame:
        """The month's segments: evaluated bills, quartiles and fence of valor_evaluado, atypical count."""
        return self.sql(
            "select tipo_cliente, nivel_tension, max(n_segmento) as n_segmento, bool_and(segmento_valido) as "
            "segmento_valido, max(q1) as q1, max(q3) as q3, max(iqr) as iqr, max(umbral_atipico) as umbral_atipico, "
            "count_if(es_atipico) as atipicos "
            f"from {GOLD} where anio_mes = :period group by tipo_cliente, nivel_tension "
            "order by n_segmento desc, tipo_cliente, nivel_tension"
        )

    def composicion(self) -> pd.DataFrame:
        """Supplies in BRONZE by zone and customer type (the whole sample, every month)."""
        return self.sql(
            "select se.zona, c.tipo_cliente, count(*) as suministros from bronze_db.bronze_suministro as s "
            "join bronze_db.bronze_cliente as c on s.id_cliente = c.id_cliente "
            "join bronze_db.bronze_sector as se on s.id_sector = se.id_sector "
            "group by se.zona, c.tipo_cliente order by se.zona, c.tipo_cliente"
        )

    def conteo_filas(self, base: str, tablas) -> pd.DataFrame:
        """Row count of each base.tabla (names are checked identifiers)."""
        check_identifier(base)
        consulta = " union all ".join(
            f"select '{t}' as tabla, count(*) as filas from {base}.{check_identifier(t)}" for t in tablas
        )
        return self.sql(consulta)

    def inventario_raw(self) -> pd.DataFrame:
        """Each RAW table: primary key, rows, columns, whether they are the schema contract's and all text."""
        catalogo = self.sql(
            "select table_name as tabla, column_name as columna, data_type as tipo from information_schema.columns "
            "where table_schema = 'raw_db' order by table_name, ordinal_position"
        )
        columnas = catalogo.groupby("tabla")["columna"].agg(list)
        texto = catalogo.assign(es_texto=catalogo["tipo"].str.upper().isin(["VARCHAR", "STRING"])).groupby("tabla")["es_texto"].all()
        tablas = list(config.RAW_TABLES)
        filas = self.conteo_filas("raw_db", tablas).set_index("tabla")["filas"]
        return pd.DataFrame({
            "tabla": tablas,
            "clave": [PRIMARY_KEYS[t] for t in tablas],
            "filas": filas.reindex(tablas).to_numpy(),
            "columnas": [len(columnas.get(t, [])) for t in tablas],
            "coincide_contrato": [columnas.get(t, []) == column_names(t) for t in tablas],
            "solo_texto": texto.reindex(tablas, fill_value=False).to_numpy(),
        })

    def muestra(self, base: str, tabla: str, n: int = 5) -> pd.DataFrame:
        """First rows of a table by its first column, refused if it holds personal data."""
        filas = self.sql(f"select * from {check_identifier(base)}.{check_identifier(tabla)} order by 1")
        return sin_datos_personales(filas.head(n).reset_index(drop=True))

    # catalog ------------------------------------------------------------------------------------------------
    def diccionario(self) -> pd.DataFrame:
        """Every table and view of the four databases: row count, columns, types and descriptions."""
        columnas = self.sql(
            "select table_schema as base_datos, table_name as tabla, column_name as columna, "
            # DuckDB's views read BRONZE code columns as ENUM (engines.CODED_COLUMNS); the tables hold text
            "case when data_type like 'ENUM(%' then 'VARCHAR' else data_type end as tipo, "
            "ordinal_position as posicion from information_schema.columns "
            "where table_schema in ('raw_db', 'bronze_db', 'silver_db', 'gold_db')"
        )
        tablas = columnas[["base_datos", "tabla"]].drop_duplicates()
        conteo = " union all ".join(
            f"select '{b}' as base_datos, '{t}' as tabla, count(*) as filas from {b}.{t}"
            for b, t in zip(tablas["base_datos"], tablas["tabla"].map(check_identifier))
        )
        filas = self.sql(conteo)
        orden_base = {base: i for i, base in enumerate(config.DATABASES.values())}
        return (
            columnas.merge(filas, on=["base_datos", "tabla"])
            .assign(descripcion=lambda d: describir(d["tabla"], d["columna"]),
                    _orden=lambda d: d["base_datos"].map(orden_base))
            .sort_values(["_orden", "tabla", "posicion"])
            .drop(columns=["_orden", "posicion"])
            .reset_index(drop=True)
        )


def contexto(period: str | None = None, engine: str = config.DEFAULT_ENGINE, lake: str | Path | None = None,
             n_clientes: int = config.DEFAULT_CLIENTES, seed: int = config.DEFAULT_SEED,
             progress: bool = False) -> Contexto:
    """Make sure the lake is ready for ``period`` (None = latest month with data) and open the engine.

    progress shows the generator's progress bar when the lake has to be generated.
    """
    from lds_utils.engines import open_engine

    nombre_motor = config.parse_engine(engine)
    lago = config.resolve_lake(lake)
    n_clientes = config.positive_int(n_clientes, "n_clientes", config.MAX_CLIENTES)
    seed = config.non_negative_int(seed, "seed")
    periodo = config.parse_period(period) if period else None
    duraciones = preparar_lago(lago, n_clientes, seed, periodo, progress) if nombre_motor == "duckdb" else {}
    motor = open_engine(nombre_motor, lago, read_only=True)
    if periodo is None:
        periodo = str(motor.read_sql(f"select max(anio_mes) as anio_mes from {GOLD}")["anio_mes"].iloc[0])
    return Contexto(periodo, nombre_motor, lago, n_clientes, seed, motor, duraciones)
