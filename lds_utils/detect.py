"""Atypical-bill detection: pandas reference implementations of SILVER and GOLD, and valor_evaluado.

The SQL under ``sql/silver`` and ``sql/gold`` is what the pipeline runs. The functions here compute
the same relations independently with pandas/numpy, so tests can check the SQL on any engine:
``silver_reference`` (monthly consumption from cumulative registers), ``bill_reference`` (the
theoretical bill, rules in ``lds_utils.billing``), ``own_history`` (the supply's median bill of the
previous 12 months), ``fence_reference`` (Tukey's fence per segment with ``numpy.quantile``),
``gold_reference`` (all of it) and ``kpi_reference`` (the KPI views).

Evaluation code (``compare_candidates``) reads the generator's ground truth
(``lake/truth/anomalias.csv``); the pipeline never does.

Choosing valor_evaluado
-----------------------

The fence (segment = tipo_cliente x nivel_tension x month, q3 + 1.5 iqr, upper side only) is applied
to ``valor_evaluado``. Five candidates were compared on the default sample (1,500 customers, seed 42)
and on 100,000 customers (seed 42), 2022-01..2025-12, with the ground truth: a bill is a true
anomaly when its supply-month lies inside an injected anomaly's months. Candidates:

- ``importe``: the bill itself (facturacion_teorica, S/).
- ``log_importe``: ln(bill).
- ``log_ratio_mes_anterior``: ln(bill / the supply's bill of the previous month).
- ``log_ratio_mediana_12m``: ln(bill / median of the supply's own bills of the previous 12 months,
  those it has). **Chosen.**
- ``log_ratio_mediana_12m_por_dia``: the same on S/ per billing day.

Rates are % of billed supply-months (flag rate over all months; monthly min-max over all months
and from 2023); precision, recall and F1 in %; the last four columns are the recall of the upward
anomaly types (PICO, MULTIPLICADOR_X10, DESPLAZAMIENTO_DECIMAL, ESTIMADA_RECUPERO, whose window
includes the low estimated months). About 1.5 % of supply-months are inside an anomaly, but most of
them are drops or zeros (CAIDA_SOSTENIDA, CONSUMO_CERO) that an upper fence cannot see: the overall
recall of any candidate is bounded near 12 %.

Default sample (1,500 customers; 69,212 bills):

| candidate | flag rate | monthly | from 2023 | precision | recall | F1 | PICO | X10 | DECIMAL | RECUPERO |
|---|---|---|---|---|---|---|---|---|---|---|
| importe | 5.83 | 4.74-6.95 | 4.74-6.95 | 2.3 | 8.8 | 3.6 | 90 | 100 | 100 | 4 |
| log_importe | 0.30 | 0.14-0.42 | 0.14-0.42 | 24.2 | 4.8 | 8.1 | 53 | 71 | 100 | 2 |
| log_ratio_mes_anterior | 0.77 | 0.00-1.53 | 0.34-1.53 | 19.2 | 10.0 | 13.1 | 97 | 100 | 100 | 25 |
| log_ratio_mediana_12m | 1.09 | 0.00-1.73 | 0.90-1.73 | 13.2 | 9.7 | 11.2 | 97 | 100 | 100 | 21 |
| log_ratio_mediana_12m_por_dia | 0.95 | 0.00-1.54 | 0.62-1.52 | 15.6 | 9.9 | 12.1 | 97 | 100 | 100 | 20 |

100,000 customers (4,589,706 bills):

| candidate | flag rate | monthly | from 2023 | precision | recall | F1 | PICO | X10 | DECIMAL | RECUPERO |
|---|---|---|---|---|---|---|---|---|---|---|
| importe | 5.65 | 5.27-6.40 | 5.28-6.40 | 2.8 | 10.4 | 4.4 | 81 | 94 | 100 | 8 |
| log_importe | 0.39 | 0.34-0.48 | 0.34-0.48 | 21.2 | 5.5 | 8.7 | 41 | 67 | 100 | 1 |
| log_ratio_mes_anterior | 0.81 | 0.00-1.10 | 0.75-1.10 | 23.7 | 12.8 | 16.6 | 100 | 100 | 100 | 24 |
| log_ratio_mediana_12m | 1.22 | 0.00-1.68 | 1.19-1.68 | 15.1 | 12.3 | 13.6 | 100 | 100 | 100 | 20 |
| log_ratio_mediana_12m_por_dia | 1.04 | 0.00-1.48 | 1.00-1.48 | 17.9 | 12.3 | 14.6 | 100 | 100 | 100 | 20 |

What the comparison shows:

- The amount itself is skewed: its fence flags 5-6 % of bills every month, and what it flags are
  simply the largest customers of each segment (precision 3 %).
- Its logarithm is symmetric enough that the fence flags only 0.3-0.5 %, again the same large
  customers month after month; it misses most spikes of small customers (PICO recall 41 %).
- Comparing each bill with the supply's own history finds what changed: every ratio catches all
  x10 and decimal errors and nearly every spike. The three history candidates differ in how many
  ordinary fluctuations also cross the fence, not in the anomalies they find: the previous month
  absorbs seasonal changes (fewer flags, higher precision); a 12-month median keeps them (summer
  in the beach districts and Lima Moderna's air-conditioning months are flagged).

Choice: ``log_ratio_mediana_12m``, the method the reference suggests a priori ('the ratio to the
customer's own 12-month median'; utility bill audits compare each bill with the account's last
12-24 bills). Nothing in it was tuned: 12 months, the median, the contract's 1.5 and 30. It finds
the same anomalies as the other history ratios; its median is robust to one odd month in the
history (the previous-month ratio is not: after one zero or very low month, the next ordinary
bill looks atypical); and its volume matches what the source system reports (1-2 % a month), which the
previous-month ratio (0.8 %) does not. The price is lower precision (15 % against 24 %): seasonal
supplies are flagged in their high season, a pattern the book explains and the companion signals
(``gold_senales_mes``) qualify.

Rates obtained (``vw_kpi_atipicos_mes``): default sample, 48-month mean 1.09 %; 100,000 customers,
1.03-1.68 % every month from 2022-11 to 2025-12 (2023-2025: 1.19-1.68 %), but below 1 % in the
first ten months: 0 % in 2022-01 and 0.66-0.97 % in 2022-02..2022-10. Why: the data start in
2022-01, so 2022-01 has no history to compare with (no bill is evaluated, n_segmento = 0) and
during 2022 the history holds fewer than 12 months; a short history sits closer to the current
level, so fewer bills cross the fence (with one month it is the previous-month ratio, 0.8 %). A
lake with a year of earlier readings would not show this ramp. The rate was not forced.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from lds_utils import billing

IQR_FACTOR = 1.5
MIN_SEGMENTO = 30
SEGMENTO = ["tipo_cliente", "nivel_tension", "anio_mes"]
#: Months a reading may look back for the previous reading of its meter (see the silver SQL header).
MESES_BUSQUEDA_PREVIA = 12
#: valor_evaluado compares a bill with the median of the supply's own bills of this many previous months.
HISTORIA_MESES = 12

_ORDEN_TIPO_LECTURA = {"INSTALACION": 0, "RETIRO": 2}


def month_index(anio_mes: pd.Series) -> pd.Series:
    """'YYYY-MM' -> year * 12 + month: month differences become integer differences."""
    return anio_mes.str.slice(0, 4).astype(int) * 12 + anio_mes.str.slice(5, 7).astype(int)


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
    brecha = month_index(lecturas["anio_mes"]) - month_index(lecturas["anio_mes_previa"].fillna("0000-00"))
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
    simple = tarifa.isin(billing.OPCIONES_SIMPLE_MEDICION)
    hp = out["consumo_kwh_hp"].fillna(0.0)  # kWh without an HP register reading are billed as HFP
    doble = hp * out["cargo_energia_hp"] / 100 + (kwh - hp) * out["cargo_energia_hfp"] / 100
    out["cargo_fijo_soles"] = out["cargo_fijo"]
    out["energia_soles"] = np.where(simple, kwh * out["cargo_energia"] / 100, doble)
    cargo_potencia = out["cargo_potencia_generacion"] + out["cargo_potencia_distribucion"]
    potencia = out["demanda_max_kw"].fillna(0.0) * cargo_potencia
    out["potencia_soles"] = np.where(tarifa.isin(billing.OPCIONES_CON_POTENCIA), potencia, 0.0)
    out["alumbrado_soles"] = _alumbrado(kwh, out["tipo_cliente"])
    antes = out["anio_mes"] < billing.FOSE_REFORMA_DESDE
    umbral = np.where(antes, billing.FOSE_UMBRAL_KWH_ANTES, billing.FOSE_UMBRAL_KWH)
    recargo = np.where(antes, billing.RECARGO_FOSE_ANTES, billing.RECARGO_FOSE)
    fose = (out["tipo_cliente"] == "RESIDENCIAL") & (tarifa == billing.OPCION_FOSE)
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


def own_history(bills: pd.DataFrame, column: str, meses: int = HISTORIA_MESES) -> pd.DataFrame:
    """Per bill: median of column over the same supply's previous ``meses`` months, and how many there were.

    Months, not rows: a supply without a bill in some month simply has fewer values in its window.
    The median is the middle value, or the mean of the middle two (as the SQL computes it).
    """
    indice = month_index(bills["anio_mes"])
    ancho = bills.assign(indice=indice).pivot(index="id_suministro", columns="indice", values=column)
    ancho = ancho.reindex(columns=range(indice.min(), indice.max() + 1))
    valores = ancho.to_numpy(dtype=float)
    mediana = np.full_like(valores, np.nan)
    cuenta = np.zeros(valores.shape, dtype=int)
    filas = np.arange(valores.shape[0])
    for mes in range(1, valores.shape[1]):  # one vectorised step per month, over every supply at once
        ventana = valores[:, max(0, mes - meses) : mes]
        n = np.isfinite(ventana).sum(axis=1)
        ordenada = np.sort(np.where(np.isfinite(ventana), ventana, np.inf), axis=1)
        medio = (ordenada[filas, np.maximum(n - 1, 0) // 2] + ordenada[filas, n // 2]) / 2
        mediana[:, mes] = np.where(n > 0, medio, np.nan)
        cuenta[:, mes] = n
    claves = pd.MultiIndex.from_arrays([bills["id_suministro"], indice])
    largo = pd.DataFrame(
        {"mediana": mediana.ravel(), "meses": cuenta.ravel()},
        index=pd.MultiIndex.from_product([ancho.index, ancho.columns]),
    )
    return largo.reindex(claves).set_axis(bills.index)


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
    """The BRONZE columns the references need, read through an engine (lds_utils.engines)."""
    return {
        table: engine.read_sql(f"select {', '.join(columns)} from bronze_db.bronze_{table}")
        for table, columns in BRONZE_COLUMNS.items()
    }


# -- Choosing valor_evaluado ------------------------------------------------------------------------------


def candidate_values(bills: pd.DataFrame) -> pd.DataFrame:
    """Every valor_evaluado candidate for the bills of gold (one column each; NaN = not evaluated)."""
    importe = bills["facturacion_teorica"]
    por_dia = bills.assign(importe_dia=importe / bills["dias_facturados"].where(bills["dias_facturados"] > 0))
    mediana_dia = own_history(por_dia, "importe_dia")["mediana"]
    return pd.DataFrame(
        {
            "importe": importe,
            "log_importe": np.log(importe),
            "log_ratio_mes_anterior": np.log(importe / own_history(bills, "facturacion_teorica", 1)["mediana"]),
            "log_ratio_mediana_12m": np.log(importe / own_history(bills, "facturacion_teorica")["mediana"]),
            "log_ratio_mediana_12m_por_dia": np.log(por_dia["importe_dia"] / mediana_dia),
        },
        index=bills.index,
    )


def truth_labels(bills: pd.DataFrame, anomalias: pd.DataFrame) -> pd.DataFrame:
    """Per bill: es_anomalia (inside an injected anomaly's months) and the anomaly's tipo."""
    claves = bills[["id_suministro", "anio_mes"]].reset_index()
    ventanas = claves.merge(anomalias[["id_suministro", "tipo", "anio_mes_inicio", "anio_mes_fin"]], on="id_suministro")
    dentro = ventanas[ventanas["anio_mes"].between(ventanas["anio_mes_inicio"], ventanas["anio_mes_fin"])]
    tipo = dentro.drop_duplicates("index").set_index("index")["tipo"]
    etiquetas = pd.DataFrame({"tipo_anomalia": tipo.reindex(bills.index)}, index=bills.index)
    etiquetas["es_anomalia"] = etiquetas["tipo_anomalia"].notna()
    return etiquetas


def _metrics(flag: pd.Series, etiquetas: pd.DataFrame, anio_mes: pd.Series) -> dict:
    verdaderos = flag & etiquetas["es_anomalia"]
    tasa_mes = flag.groupby(anio_mes).mean() * 100
    por_tipo = verdaderos.groupby(etiquetas["tipo_anomalia"]).mean() * 100
    precision = 100 * verdaderos.sum() / max(flag.sum(), 1)
    recall = 100 * verdaderos.sum() / max(etiquetas["es_anomalia"].sum(), 1)
    return {
        "pct_atipicos": 100 * flag.mean(),
        "pct_mes_min": tasa_mes.min(),
        "pct_mes_max": tasa_mes.max(),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        **{f"recall_{tipo.lower()}": value for tipo, value in por_tipo.items()},
    }


def compare_candidates(bills: pd.DataFrame, anomalias: pd.DataFrame) -> pd.DataFrame:
    """Flag rate (overall, monthly min/max), precision and recall (%) of each valor_evaluado candidate.

    bills: gold rows (at least id_suministro, anio_mes, tipo_cliente, nivel_tension,
    facturacion_teorica, dias_facturados); anomalias: lake/truth/anomalias.csv.
    """
    etiquetas = truth_labels(bills, anomalias)
    filas = {}
    for nombre, valores in candidate_values(bills).items():
        cercado = fence_reference(bills[SEGMENTO].assign(valor=valores), valor="valor")
        marcado = pd.Series(cercado["es_atipico"].to_numpy(), index=bills.index)
        filas[nombre] = _metrics(marcado, etiquetas, bills["anio_mes"])
    return pd.DataFrame(filas).T


def valor_evaluado_methodology() -> str:
    """The comparison and rationale behind valor_evaluado (Markdown), for the methodology chapter."""
    return __doc__[__doc__.index("Choosing valor_evaluado") :]
