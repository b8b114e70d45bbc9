"""The test oracle: pandas/numpy computations of SILVER, the GOLD bills and fence, and the KPI views.

The SQL under ``sql/silver`` and ``sql/gold`` is what the pipeline runs; these functions compute the same
relations independently, from BRONZE frames, so the tests (and the scale benchmark's pandas way) can check the
SQL on any engine: ``silver_reference`` (monthly consumption from cumulative registers), ``bill_reference`` (the
theoretical bill, rules in ``lds_utils.rules.billing``), ``fence_reference`` (Tukey's fence per segment with
``numpy.quantile``), ``gold_reference`` (all of it) and ``kpi_reference`` (the KPI views). They take from the
product only the rules' values (``lds_utils.rules.billing``, ``lds_utils.rules.fence``) and the supply's own 12-month median
(``lds_utils.detection.detect.own_history``, which the comparison of valor_evaluado candidates uses too). No module of
``lds_utils`` imports this one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from lds_utils.detection.detect import own_history
from lds_utils.detection.evaluate import month_index
from lds_utils.rules import billing
from lds_utils.rules.fence import IQR_FACTOR, MIN_SEGMENTO, SEGMENTO

#: Months a reading may look back for the previous reading of its meter (see the silver SQL header).
MESES_BUSQUEDA_PREVIA = 12

_ORDEN_TIPO_LECTURA = {"INSTALACION": 0, "RETIRO": 2}


# -- SILVER -----------------------------------------------------------------------------------------------


def _readings_with_previous(acumulado: pd.DataFrame, medidor: pd.DataFrame) -> pd.DataFrame:
    cols = ["id_medidor", "id_suministro", "numero_digitos", "factor_medidor"]
    lecturas = acumulado.merge(medidor[cols], on="id_medidor", how="inner")
    lecturas["orden_tipo"] = lecturas["tipo_lectura"].map(_ORDEN_TIPO_LECTURA).fillna(1)
    lecturas = lecturas.sort_values(["id_medidor", "fecha_lectura", "orden_tipo", "id_lectura"], kind="stable")
    columnas = ["anio_mes", "fecha_lectura", "lectura_kwh", "lectura_kwh_hp"]
    previous = lecturas.groupby("id_medidor", sort=False)[columnas].shift().add_suffix("_previa")
    return pd.concat([lecturas, previous], axis=1)


def _unwrap(diferencia: pd.Series, modulo: pd.Series) -> pd.Series:
    """Add 10^digits to rollovers (a negative difference below -10^digits / 2)."""
    return diferencia + np.where(diferencia + modulo < modulo / 2, modulo, 0.0)


def _consumption_per_reading(lecturas: pd.DataFrame) -> pd.DataFrame:
    con_previa = lecturas["anio_mes_previa"].notna()
    brecha = month_index(lecturas["anio_mes"]) - month_index(lecturas["anio_mes_previa"].fillna("1900-01"))
    tiene_previa = (lecturas["tipo_lectura"] != "INSTALACION") & con_previa & (brecha <= MESES_BUSQUEDA_PREVIA)
    modulo = 10.0 ** lecturas["numero_digitos"].astype(float)
    dif_total = lecturas["lectura_kwh"] - lecturas["lectura_kwh_previa"]
    dif_hp = lecturas["lectura_kwh_hp"] - lecturas["lectura_kwh_hp_previa"]
    delta_total, delta_hp = _unwrap(dif_total, modulo), _unwrap(dif_hp, modulo)
    retroceso = tiene_previa & ((delta_total < 0) | (delta_hp < 0))
    vuelta = tiene_previa & ~retroceso & ((dif_total < 0) | (dif_hp < 0))
    factor = lecturas["factor_medidor"]
    kwh_total = np.where(retroceso, 0.0, delta_total * factor)
    kwh_hp = np.where(retroceso & delta_hp.notna(), 0.0, delta_hp * factor)
    dias = (lecturas["fecha_lectura"] - lecturas["fecha_lectura_previa"]).dt.days
    return pd.DataFrame(
        {
            "id_suministro": lecturas["id_suministro"],
            "anio_mes": lecturas["anio_mes"],
            "id_medidor": lecturas["id_medidor"],
            "fecha_lectura": lecturas["fecha_lectura"],
            "tiene_previa": tiene_previa,
            "sin_previa": ~tiene_previa & (lecturas["tipo_lectura"] != "INSTALACION"),
            "es_vuelta": vuelta,
            "es_retroceso": retroceso,
            "es_estimada": lecturas["tipo_lectura"] == "ESTIMADA",
            "kwh_total": np.where(tiene_previa, kwh_total, np.nan),
            "kwh_hp": np.where(tiene_previa, kwh_hp, np.nan),
            "dias": dias.where(tiene_previa),
            "demanda_max_kw": lecturas["demanda_max_kw"],
            "registros_esperados": lecturas["registros_esperados"],
            "registros_error": lecturas["registros_error"],
        }
    )


def silver_reference(acumulado: pd.DataFrame, medidor: pd.DataFrame, desde: str, hasta: str) -> pd.DataFrame:
    """silver_consumo_mensual for months desde..hasta from BRONZE acumulado and medidor frames."""
    lecturas = _consumption_per_reading(_readings_with_previous(acumulado, medidor))
    lecturas = lecturas[lecturas["anio_mes"].between(desde, hasta)]
    grupos = lecturas.groupby(["id_suministro", "anio_mes"], sort=True)
    silver = grupos.agg(
        n_medidores=("id_medidor", "nunique"),
        n_lecturas=("id_medidor", "size"),
        n_diferencias=("tiene_previa", "sum"),
        n_sin_lectura_previa=("sin_previa", "sum"),
        n_vueltas=("es_vuelta", "sum"),
        n_retrocesos=("es_retroceso", "sum"),
        es_estimada=("es_estimada", "any"),
        consumo_kwh=("kwh_total", "sum"),
        demanda_max_kw=("demanda_max_kw", "max"),
        dias_facturados=("dias", "sum"),
        fecha_ultima_lectura=("fecha_lectura", "max"),
    )
    silver["consumo_kwh_hp"] = grupos["kwh_hp"].sum(min_count=1)
    silver["registros_esperados"] = grupos["registros_esperados"].sum(min_count=1)
    silver["registros_error"] = grupos["registros_error"].sum(min_count=1)
    silver = silver.reset_index()
    silver["anio"] = silver["anio_mes"].str.slice(0, 4).astype(int)
    silver["mes"] = silver["anio_mes"].str.slice(5, 7).astype(int)
    silver["consumo_kwh_hfp"] = silver["consumo_kwh"] - silver["consumo_kwh_hp"]
    esperados = silver["registros_esperados"].astype(float)
    silver["pct_error"] = (100.0 * silver["registros_error"].astype(float) / esperados).where(esperados > 0)
    return silver


# -- GOLD: the bill ---------------------------------------------------------------------------------------


def _tariff_in_force(silver: pd.DataFrame, asignacion: pd.DataFrame) -> pd.DataFrame:
    """(id_suministro, anio_mes, tarifa): the assignment covering the month's last reading."""
    cols = ["id_asignacion", "id_suministro", "opcion_tarifaria", "fecha_inicio", "fecha_fin"]
    meses = silver[["id_suministro", "anio_mes", "fecha_ultima_lectura"]]
    candidatos = meses.merge(asignacion[cols], on="id_suministro")
    fecha, fin = candidatos["fecha_ultima_lectura"], candidatos["fecha_fin"]
    cubre = (candidatos["fecha_inicio"] <= fecha) & (fin.isna() | (fin >= fecha))
    vigente = candidatos[cubre].sort_values(["fecha_inicio", "id_asignacion"], ascending=False)
    vigente = vigente.drop_duplicates(["id_suministro", "anio_mes"], keep="first")
    return vigente[["id_suministro", "anio_mes", "opcion_tarifaria"]].rename(columns={"opcion_tarifaria": "tarifa"})


def _with_context(silver: pd.DataFrame, bronze: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    suministro = bronze["suministro"][["id_suministro", "id_cliente", "id_sector", "nivel_tension"]]
    frame = silver.merge(suministro, on="id_suministro")
    frame = frame.merge(bronze["cliente"][["id_cliente", "tipo_cliente"]], on="id_cliente")
    frame = frame.merge(bronze["sector"][["id_sector", "distrito", "zona"]], on="id_sector")
    vigente = _tariff_in_force(silver, bronze["asignacion_tarifa"])
    frame = frame.merge(vigente, on=["id_suministro", "anio_mes"], how="left")
    tarifa = bronze["tarifa"].rename(columns={"opcion_tarifaria": "tarifa"})
    charges = [
        "cargo_fijo",
        "cargo_energia",
        "cargo_energia_hp",
        "cargo_energia_hfp",
        "cargo_potencia_generacion",
        "cargo_potencia_distribucion",
    ]
    return frame.merge(tarifa[["tarifa", "anio_mes", *charges]], on=["tarifa", "anio_mes"], how="left")


def _alumbrado(kwh: pd.Series, tipo_cliente: pd.Series) -> np.ndarray:
    limits = [limit for limit, _ in billing.ALUMBRADO_TRAMOS[:-1]]
    amounts = np.array([amount for _, amount in billing.ALUMBRADO_TRAMOS])
    band = np.searchsorted(np.array(limits), kwh.to_numpy(dtype=float), side="left")
    return np.where(tipo_cliente == "ALUMBRADO_PUBLICO", 0.0, amounts[band])


def bill_components(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the bill's components to a frame with consumption, context and the month's charges."""
    out = frame.copy()
    kwh, tarifa = out["consumo_kwh"], out["tarifa"]
    opciones = billing.tariff_options()
    simple = tarifa.isin(opciones.index[~opciones["doble_registro"]])
    hp = out["consumo_kwh_hp"].fillna(0.0)  # kWh without an HP register reading are billed as HFP
    doble = hp * out["cargo_energia_hp"] / 100 + (kwh - hp) * out["cargo_energia_hfp"] / 100
    out["cargo_fijo_soles"] = out["cargo_fijo"]
    out["energia_soles"] = np.where(simple, kwh * out["cargo_energia"] / 100, doble)
    cargo_potencia = out["cargo_potencia_generacion"] + out["cargo_potencia_distribucion"]
    potencia = out["demanda_max_kw"].fillna(0.0) * cargo_potencia
    out["potencia_soles"] = np.where(tarifa.isin(billing.options_where("cobra_potencia")), potencia, 0.0)
    out["alumbrado_soles"] = _alumbrado(kwh, out["tipo_cliente"])
    antes = out["anio_mes"] < billing.FOSE_REFORMA_DESDE
    umbral = np.where(antes, billing.FOSE_UMBRAL_KWH_ANTES, billing.FOSE_UMBRAL_KWH)
    recargo = np.where(antes, billing.RECARGO_FOSE_ANTES, billing.RECARGO_FOSE)
    fose = (out["tipo_cliente"] == "RESIDENCIAL") & tarifa.isin(billing.options_where("aplica_fose"))
    tramo1 = kwh <= billing.FOSE_TRAMO1_KWH
    tramo2 = ~tramo1 & (kwh <= umbral)
    out["descuento_fose_soles"] = np.select(
        [fose & tramo1, fose & tramo2],
        [
            out["energia_soles"] * billing.FOSE_TRAMO1_DESCUENTO,
            billing.FOSE_TRAMO2_KWH_DESCONTADOS * out["cargo_energia"] / 100,
        ],
        0.0,
    )
    out["recargo_fose_soles"] = np.where(fose & (kwh > umbral), out["energia_soles"] * recargo, 0.0)
    out["subtotal_soles"] = (
        out["cargo_fijo_soles"]
        + out["energia_soles"]
        + out["potencia_soles"]
        + out["alumbrado_soles"]
        - out["descuento_fose_soles"]
        + out["recargo_fose_soles"]
    )
    out["igv_soles"] = out["subtotal_soles"] * billing.IGV
    out["facturacion_teorica"] = out["subtotal_soles"] + out["subtotal_soles"] * billing.IGV
    return out


def bill_reference(silver: pd.DataFrame, bronze: Mapping[str, pd.DataFrame], desde: str, hasta: str) -> pd.DataFrame:
    """The theoretical bill of every billed supply-month (silver rows with a consumption difference)."""
    billed = silver[silver["anio_mes"].between(desde, hasta) & (silver["n_diferencias"] > 0)]
    frame = bill_components(_with_context(billed, bronze))
    return frame.rename(columns={"demanda_max_kw": "demanda_kw"})



# -- GOLD: the fence --------------------------------------------------------------------------------------


def fence_reference(frame: pd.DataFrame, valor: str = "valor_evaluado") -> pd.DataFrame:
    """Tukey's upper fence per segment with numpy's (linear) quantiles; adds the contract columns."""
    evaluados = frame[frame[valor].notna()]
    grupos = evaluados.groupby(SEGMENTO)[valor]
    cerco = pd.DataFrame(
        {
            "n_segmento": grupos.size(),
            "q1": grupos.agg(lambda values: np.quantile(values.to_numpy(), 0.25)),
            "q3": grupos.agg(lambda values: np.quantile(values.to_numpy(), 0.75)),
        }
    ).reset_index()
    cerco["segmento_valido"] = cerco["n_segmento"] >= MIN_SEGMENTO
    cerco["iqr"] = cerco["q3"] - cerco["q1"]
    cerco["umbral_atipico"] = cerco["q3"] + IQR_FACTOR * cerco["iqr"]
    out = frame.drop(columns=[c for c in cerco.columns if c not in SEGMENTO], errors="ignore")
    out = out.merge(cerco, on=SEGMENTO, how="left")
    out["n_segmento"] = out["n_segmento"].fillna(0).astype(int)
    out["segmento_valido"] = out["segmento_valido"].fillna(False).astype(bool)
    out["es_atipico"] = out["segmento_valido"] & (out[valor] > out["umbral_atipico"])
    return out


def history_start(desde: str) -> str:
    """First month gold reads to give desde its 12 months of history (as the SQL: year - 1)."""
    return f"{int(desde[:4]) - 1}{desde[4:]}"


def gold_reference(bronze: Mapping[str, pd.DataFrame], desde: str, hasta: str) -> pd.DataFrame:
    """gold_facturacion_teorica_mes for months desde..hasta, computed from BRONZE frames only."""
    inicio = history_start(desde)
    silver = silver_reference(bronze["acumulado"], bronze["medidor"], inicio, hasta)
    bills = bill_reference(silver, bronze, inicio, hasta)
    historia = own_history(bills, "facturacion_teorica")
    bills["meses_historia"] = historia["meses"]
    bills["facturacion_referencia"] = historia["mediana"]
    bills["valor_evaluado"] = np.log(bills["facturacion_teorica"] / bills["facturacion_referencia"])
    gold = fence_reference(bills[bills["anio_mes"].between(desde, hasta)])
    gold["umbral_soles"] = gold["facturacion_referencia"] * np.exp(gold["umbral_atipico"])
    return gold


def kpi_reference(gold: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """total_suministros, total_atipicos and pct_atipicos of gold grouped by keys (the KPI views)."""
    kpi = gold.groupby(keys).agg(total_suministros=("es_atipico", "size"), total_atipicos=("es_atipico", "sum"))
    kpi = kpi.reset_index()
    kpi["pct_atipicos"] = 100 * kpi["total_atipicos"].astype(float) / kpi["total_suministros"]
    return kpi


#: BRONZE columns the references read (never the personal data of bronze_cliente).
BRONZE_COLUMNS = {
    "sector": ["id_sector", "distrito", "zona"],
    "tarifa": [
        "opcion_tarifaria",
        "anio_mes",
        "cargo_fijo",
        "cargo_energia",
        "cargo_energia_hp",
        "cargo_energia_hfp",
        "cargo_potencia_generacion",
        "cargo_potencia_distribucion",
    ],
    "cliente": ["id_cliente", "tipo_cliente"],
    "suministro": ["id_suministro", "id_cliente", "id_sector", "nivel_tension"],
    "medidor": ["id_medidor", "id_suministro", "numero_digitos", "factor_medidor"],
    "asignacion_tarifa": ["id_asignacion", "id_suministro", "opcion_tarifaria", "fecha_inicio", "fecha_fin"],
    "acumulado": [
        "id_lectura",
        "id_medidor",
        "fecha_lectura",
        "tipo_lectura",
        "lectura_kwh",
        "lectura_kwh_hp",
        "demanda_max_kw",
        "registros_esperados",
        "registros_error",
        "anio_mes",
    ],
}


def read_bronze(engine) -> dict[str, pd.DataFrame]:
    """The BRONZE columns the references need, read through an engine (lds_utils.lake.engines)."""
    return {
        table: engine.read_sql(f"select {', '.join(columns)} from bronze_db.bronze_{table}")
        for table, columns in BRONZE_COLUMNS.items()
    }

