"""Detection quality against the generator's ground truth, and against the field inspections.

Unit of evaluation: a supply-month (id_suministro, anio_mes) of gold. It is anomalous when it lies
inside an injected anomaly's months (``lake/truth/anomalias.csv``: this module reads and labels it, for the
notebooks and for the comparison of valor_evaluado candidates; never the pipeline or the detectors). For each detector:
precision, recall and F1 over supply-months (per month and overall); recall of anomalies (an injected
anomaly counts as found when at least one of its months is alerted), overall and per type; and for the
combined ranking, precision@k where k is the month's inspection capacity.

Inspection validation uses what a utility really has: ``bronze_inspeccion`` outcomes. The generator
inspects in month m the supplies whose bill of month m - 1 looked suspicious to the utility (plus a
random control sample), so an inspection is "triggered" by a detector when that detector alerted the
supply's bill of the month before; a hit is an outcome other than SIN_ANOMALIA.

A lake of more than ``MAX_SUMINISTROS_EVALUADOS`` billed supplies is evaluated on a fixed sample of its supplies
(``Muestra``): the supply-months of every reported month do not fit in memory at the full universe (1.3 M supplies,
36 months: 47 M rows, killed above 14 GB). The sample is one supply of every ``cada``, those whose code's number is
a multiple of ``cada`` (codes are ``S`` and a number, the data contract's); counts are the sample's and the
capacity-bound figures are scaled back by ``cada``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
from matplotlib.figure import Figure

from lds_utils import config
from lds_utils.config import LakePaths, UsageError
from lds_utils.lake.sql import load_sql
from lds_utils.reporting import plots
from lds_utils.synthetic.legitimate import LEGITIMO_COLUMNS

#: Detectors evaluated: column of the evaluation frame -> Spanish label.
DETECTORES = {
    "es_alerta_iqr": "Cerco IQR (oficial)",
    "es_alerta_complementaria": "Detector complementario",
    "es_alerta_combinada": "Ranking combinado (todas sus alertas)",
    "dentro_capacidad": "Ranking combinado (dentro de la capacidad)",
}
#: Supplies whose every reported month the evaluation holds in memory (about 1 GB at 36 months); a larger lake
#: is evaluated on a sample of about this many.
MAX_SUMINISTROS_EVALUADOS = 100_000


@dataclass(frozen=True)
class Muestra:
    """The supplies an evaluation reads: one of every ``cada`` (1: all) of the period's ``suministros``."""

    suministros: int
    cada: int

    @classmethod
    def for_supplies(cls, suministros: int, maximo: int = MAX_SUMINISTROS_EVALUADOS) -> Muestra:
        return cls(suministros, max(1, math.ceil(suministros / maximo)))

    def sentence(self) -> str:
        """What the evaluation reads, in Spanish, for the chapters that show it."""
        if self.cada == 1:
            return f"La evaluación usa los {self.suministros:,} suministros facturados del periodo."
        return (f"Con {self.suministros:,} suministros facturados en el periodo, la evaluación usa una muestra fija: "
                f"uno de cada {self.cada} suministros (aquellos cuyo número de suministro, el código sin su letra "
                f"inicial, es múltiplo de {self.cada}), unos {self.suministros // self.cada:,}. Los conteos de esta "
                f"página son de la muestra; la precisión dentro de la capacidad se estima multiplicando por "
                f"{self.cada} los aciertos de la muestra.")


def read_anomalies(lake: Path, desde: str | None = None, hasta: str | None = None) -> pd.DataFrame:
    """truth/anomalias.csv of a generated lake (evaluation only): every column text but magnitud (a number, NaN
    when the anomaly has none). The one reader of the ground truth.

    With ``desde``/``hasta``, only the anomalies active in those months, their last month cut at ``hasta``: what
    had happened by the close of ``hasta``.
    """
    path = LakePaths(Path(lake)).truth / "anomalias.csv"
    if not path.is_file():
        raise UsageError(f"no ground truth at {path}: it exists only for lakes made by `lds_utils generate`")
    return _read_events(path, "id_anomalia", desde, hasta)


def read_legitimate(lake: Path, desde: str | None = None, hasta: str | None = None) -> pd.DataFrame:
    """truth/legitimos.csv (legitimate behaviour: lds_utils.synthetic.legitimate), read as read_anomalies reads its
    file; id_evento is its key. A lake generated before the file existed has none: an empty table."""
    path = LakePaths(Path(lake)).truth / "legitimos.csv"
    if not path.is_file():
        return pd.DataFrame(columns=LEGITIMO_COLUMNS)
    return _read_events(path, "id_evento", desde, hasta)


def _read_events(path: Path, clave: str, desde: str | None, hasta: str | None) -> pd.DataFrame:
    texto = [clave, "tipo", "id_suministro", "anio_mes_inicio", "anio_mes_fin", "detalle"]
    # Arrow's reader, three times as fast as pandas' on the 250 MB legitimos.csv of 1.3 M customers: empty text
    # stays '', an empty magnitud is NaN.
    eventos = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
        column_types={**dict.fromkeys(texto, pa.string()), "magnitud": pa.float64()}, null_values=[""],
        strings_can_be_null=False, quoted_strings_can_be_null=False)).to_pandas()
    activos = pd.Series(True, index=eventos.index)
    if desde:
        activos &= eventos["anio_mes_fin"] >= desde
    if hasta:
        activos &= eventos["anio_mes_inicio"] <= hasta
        eventos["anio_mes_fin"] = eventos["anio_mes_fin"].where(eventos["anio_mes_fin"] <= hasta, hasta)
    return eventos[activos].reset_index(drop=True)


def read_detections(engine, desde: str, hasta: str, muestra: Muestra | None = None) -> pd.DataFrame:
    """One row per billed supply-month from ``desde`` to ``hasta`` of the sample's supplies (all without one) with
    each detector's flag and the alert's rank."""
    return engine.read_sql(load_sql("report", "detections"), {"desde": desde, "hasta": hasta, "cada": _cada(muestra)})


def _cada(muestra: Muestra | None) -> int:
    return muestra.cada if muestra else 1


def label_detections(detecciones: pd.DataFrame, anomalias: pd.DataFrame) -> pd.DataFrame:
    """detecciones (rows with id_suministro and anio_mes) plus id_anomalia and tipo_anomalia (empty outside
    anomalies) and es_anomalia: whether the supply-month lies inside an injected anomaly's months. The one
    labeller of the ground truth (the detectors' evaluation and the comparison of valor_evaluado candidates).
    A supply-month inside two anomalies takes the first one of the file."""
    fila, evento = months_inside(detecciones, anomalias)
    primera = np.unique(fila, return_index=True)[1]  # pairs come by row, then in the file's order
    id_anomalia = np.full(len(detecciones), None, dtype=object)
    tipo_anomalia = np.full(len(detecciones), None, dtype=object)
    id_anomalia[fila[primera]] = anomalias["id_anomalia"].to_numpy(dtype=object)[evento[primera]]
    tipo_anomalia[fila[primera]] = anomalias["tipo"].to_numpy(dtype=object)[evento[primera]]
    etiquetado = detecciones.assign(id_anomalia=pd.Series(id_anomalia, index=detecciones.index, dtype="str"),
                                    tipo_anomalia=pd.Series(tipo_anomalia, index=detecciones.index, dtype="str"))
    return etiquetado.assign(es_anomalia=etiquetado["id_anomalia"].notna())


def months_inside(meses: pd.DataFrame, eventos: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (row of meses, row of eventos), as positions, whose supply-month (id_suministro, anio_mes) lies
    within the event's months of the same supply (anio_mes_inicio..anio_mes_fin): ordered by the row of meses, then
    by the event's row. A join on integer codes: the supplies and months are coded once, not merged as text."""
    # one factorisation of both columns (hashing text once) instead of looking millions of texts up in an index
    codigos, suministros = pd.factorize(pd.concat([eventos["id_suministro"], meses["id_suministro"]],
                                                  ignore_index=True), use_na_sentinel=False)
    codigo_evento, codigo = codigos[: len(eventos)], codigos[len(eventos) :]
    por_suministro = np.argsort(codigo_evento, kind="stable")  # each supply's events together, in the file's order
    cuantos = np.bincount(codigo_evento, minlength=len(suministros))
    primero = np.cumsum(cuantos) - cuantos
    con_eventos = np.flatnonzero(cuantos[codigo] > 0)
    repeticiones = cuantos[codigo[con_eventos]]
    fila = np.repeat(con_eventos, repeticiones)
    desplazamiento = np.arange(len(fila)) - np.repeat(np.cumsum(repeticiones) - repeticiones, repeticiones)
    evento = por_suministro[np.repeat(primero[codigo[con_eventos]], repeticiones) + desplazamiento]
    mes = month_index(meses["anio_mes"]).to_numpy()[fila] if len(fila) else np.zeros(0, dtype=np.int64)
    dentro = ((mes >= month_index(eventos["anio_mes_inicio"]).to_numpy()[evento])
              & (mes <= month_index(eventos["anio_mes_fin"]).to_numpy()[evento]))
    return fila[dentro], evento[dentro]


def _precision_recall(marcas: pd.Series, es_anomalia: pd.Series) -> dict:
    verdaderos = int((marcas & es_anomalia).sum())
    alertas, anomalas = int(marcas.sum()), int(es_anomalia.sum())
    precision = verdaderos / alertas if alertas else np.nan
    recall = verdaderos / anomalas if anomalas else np.nan
    f1 = 2 * precision * recall / (precision + recall) if verdaderos else 0.0
    return {"alertas": alertas, "verdaderos": verdaderos, "precision": precision, "recall": recall, "f1": f1}


def anomaly_recall(etiquetado: pd.DataFrame, detector: str) -> pd.Series:
    """Per injected anomaly with billed months (indexed by id_anomalia): whether any of them was alerted."""
    evaluables = pd.Index(etiquetado.loc[etiquetado["es_anomalia"], "id_anomalia"].unique(), name="id_anomalia")
    alertadas = etiquetado.loc[etiquetado[detector].astype(bool) & etiquetado["es_anomalia"], "id_anomalia"]
    return pd.Series(evaluables.isin(alertadas), index=evaluables)


def overall_metrics(etiquetado: pd.DataFrame) -> pd.DataFrame:
    """One row per detector: supply-month precision, recall, F1 and recall of anomalies."""
    filas = []
    for detector, nombre in DETECTORES.items():
        marcas = etiquetado[detector].astype(bool)
        encontradas = anomaly_recall(etiquetado, detector)
        filas.append({"detector": detector, "nombre": nombre,
                      **_precision_recall(marcas, etiquetado["es_anomalia"]),
                      "recall_anomalias": float(encontradas.mean())})
    return pd.DataFrame(filas)


def metrics_by_month(etiquetado: pd.DataFrame, detector: str) -> pd.DataFrame:
    """Precision, recall and F1 over the supply-months of each month, for one detector."""
    filas = [
        {"anio_mes": mes, **_precision_recall(grupo[detector].astype(bool), grupo["es_anomalia"])}
        for mes, grupo in etiquetado.groupby("anio_mes", sort=True)
    ]
    return pd.DataFrame(filas)


def recall_by_kind(etiquetado: pd.DataFrame) -> pd.DataFrame:
    """Per anomaly type: how many anomalies, and the share each detector finds (anomalies and months)."""
    anomalas = etiquetado[etiquetado["es_anomalia"]]
    tipo = anomalas.drop_duplicates("id_anomalia").set_index("id_anomalia")["tipo_anomalia"]
    columnas = {}
    for detector in DETECTORES:
        encontradas = anomaly_recall(etiquetado, detector)
        columnas[f"{detector}_anomalias"] = encontradas.groupby(tipo.reindex(encontradas.index)).mean()
        columnas[f"{detector}_meses"] = anomalas[detector].astype(bool).groupby(anomalas["tipo_anomalia"]).mean()
    tabla = pd.DataFrame(columnas)
    tabla.insert(0, "anomalias", tipo.value_counts())
    tabla.insert(1, "meses", anomalas["tipo_anomalia"].value_counts())
    return tabla.rename_axis("tipo").reset_index().sort_values("anomalias", ascending=False, ignore_index=True)


def precision_at_k(etiquetado: pd.DataFrame, muestra: Muestra | None = None) -> pd.DataFrame:
    """Per month: capacity k, alerts within it, true ones, precision@k and the rate a random pick would hit.

    Capacity the list leaves unused counts as missed inspections. Months without any alert have no list
    (and no capacity row) and are left out. On a sample, the alerts within capacity and the true ones are the
    sample's times ``cada``: estimates for the whole list, whose capacity is the whole month's.
    """
    meses = etiquetado.groupby("anio_mes", sort=True)
    expansion = _cada(muestra)
    tabla = pd.DataFrame({
        "capacidad": meses["capacidad"].max(),
        "inspeccionables": meses["dentro_capacidad"].sum() * expansion,
        "verdaderos": (etiquetado["dentro_capacidad"] & etiquetado["es_anomalia"]).groupby(etiquetado["anio_mes"]).sum()
        * expansion,
        "tasa_aleatoria": meses["es_anomalia"].mean(),
    })
    tabla["precision_k"] = tabla["verdaderos"] / tabla["capacidad"]
    return tabla.reset_index()


def precision_at_k_summary(por_mes: pd.DataFrame) -> dict:
    """precision@k over all months: true alerts within capacity / total capacity."""
    con_capacidad = por_mes[por_mes["capacidad"] > 0]
    return {
        "capacidad_total": int(con_capacidad["capacidad"].sum()),
        "verdaderos": int(con_capacidad["verdaderos"].sum()),
        "precision_k": float(con_capacidad["verdaderos"].sum() / con_capacidad["capacidad"].sum()),
        "tasa_aleatoria": float(por_mes["tasa_aleatoria"].mean()),
    }


def precision_by_reason(etiquetado: pd.DataFrame) -> pd.DataFrame:
    """Per companion reason code: supply-months carrying it, and the share inside an injected anomaly."""
    motivos = etiquetado.loc[etiquetado["es_alerta_complementaria"].astype(bool), ["motivos", "es_anomalia"]]
    largo = motivos.assign(motivo=motivos["motivos"].str.split(",")).explode("motivo")
    tabla = largo.groupby("motivo")["es_anomalia"].agg(alertas="size", precision="mean")
    return tabla.sort_values("alertas", ascending=False).reset_index()


#: A band of consumption gets its own row in ref_valor_motivo when the tuning seed gave the reason this many alerts in
#: it; below that, the reason's row for every band applies.
MIN_ALERTAS_BANDA = 30


def reason_calibration(etiquetado: pd.DataFrame, anomalias: pd.DataFrame) -> pd.DataFrame:
    """Per motivo_principal of the combined list's alerts, over every band of consumption ('TODAS') and in each band
    with at least MIN_ALERTAS_BANDA alerts: how many, the share inside an injected anomaly (probabilidad) and, for
    those, the mean months the anomaly still had to run, the alert's month included (meses_en_juego: what an
    inspection stops). The values sql/gold/ref_valor_motivo.sql holds, measured on the tuning seed."""
    alertas = etiquetado[etiquetado["es_alerta_combinada"].astype(bool)]
    fin = anomalias.set_index("id_anomalia")["anio_mes_fin"]
    verdaderas = alertas[alertas["es_anomalia"]]
    restantes = pd.Series(month_index(fin.loc[verdaderas["id_anomalia"]]).to_numpy()
                          - month_index(verdaderas["anio_mes"]).to_numpy() + 1, index=verdaderas.index)
    alertas = alertas.assign(restantes=restantes.reindex(alertas.index))
    partes = [alertas.assign(banda_consumo="TODAS"), alertas]
    tabla = pd.concat(partes).groupby(["motivo_principal", "banda_consumo"]).agg(
        alertas=("es_anomalia", "size"), probabilidad=("es_anomalia", "mean"), meses_en_juego=("restantes", "mean"))
    tabla = tabla.fillna({"meses_en_juego": 1.0}).reset_index()
    tabla = tabla[(tabla["banda_consumo"] == "TODAS") | (tabla["alertas"] >= MIN_ALERTAS_BANDA)]
    return tabla.sort_values(["motivo_principal", "banda_consumo"], ignore_index=True)


def month_index(anio_mes: pd.Series) -> pd.Series:
    """config.month_index of a column of 'YYYY-MM': month differences become integer differences. Each distinct
    month is parsed once (a column of millions of bills holds a few dozen months)."""
    codigos, meses = pd.factorize(anio_mes)
    if (codigos < 0).any():
        raise ValueError("month_index: a null anio_mes")
    indices = np.array([config.month_index(mes) for mes in meses], dtype=np.int64)
    return pd.Series(indices[codigos], index=anio_mes.index)


#: Horizons of the timeliness table: an anomaly counts as inspected in time when the list held it, within the
#: capacity, in one of its first 1, 3 or 6 months.
HORIZONTES_MESES = (1, 3, 6)
#: Large drops: the anomaly types that lose consumption month after month, with a loss of at least CAIDA_GRANDE in
#: their most extreme month (magnitud = what is left: at most 1 - it). The target counts the sustained (step) drops,
#: which reach their level within 1-3 months; a slow decline spreads its loss over its 6-12 months, so it has not lost
#: half by its third month: it gets its own row, and a third row pools both.
CAIDA_GRANDE = 0.5
CAIDAS_GRANDES = {"CAIDA_SOSTENIDA": f"Caídas sostenidas de {100 * CAIDA_GRANDE:.0f} % o más",
                  "DESCENSO_LENTO": f"Descensos lentos de {100 * CAIDA_GRANDE:.0f} % o más"}
CAIDAS_GRANDES_JUNTAS = f"Caídas y descensos de {100 * CAIDA_GRANDE:.0f} % o más"


def _months_into(etiquetado: pd.DataFrame, anomalias: pd.DataFrame) -> pd.Series:
    """For the supply-months inside an anomaly: months since its start (0 = its first month)."""
    inicio = anomalias.set_index("id_anomalia")["anio_mes_inicio"]
    dentro = etiquetado[etiquetado["es_anomalia"]]
    return pd.Series(month_index(dentro["anio_mes"]).to_numpy()
                     - month_index(inicio.loc[dentro["id_anomalia"]]).to_numpy(), index=dentro.index)


def timeliness(etiquetado: pd.DataFrame, anomalias: pd.DataFrame, detector: str = "dentro_capacidad") -> pd.DataFrame:
    """Per anomaly type: how many anomalies, and the share the detector alerted in one of their first 1, 3 and 6
    months (``dentro_capacidad``: inspected within the capacity). Three rows more for the large drops (a loss of at
    least CAIDA_GRANDE): one per type of CAIDAS_GRANDES, the target's first, then both together."""
    meses = _months_into(etiquetado, anomalias)
    dentro = etiquetado.loc[meses.index]
    primero = meses[dentro[detector].astype(bool)].groupby(dentro["id_anomalia"]).min()
    por_anomalia = dentro.drop_duplicates("id_anomalia").set_index("id_anomalia")["tipo_anomalia"].to_frame("tipo")
    por_anomalia["primero"] = primero.reindex(por_anomalia.index)
    magnitud = anomalias.set_index("id_anomalia")["magnitud"].reindex(por_anomalia.index)
    grandes = por_anomalia[por_anomalia["tipo"].isin(list(CAIDAS_GRANDES)) & (magnitud <= 1 - CAIDA_GRANDE)]
    grupos = [por_anomalia, *(grandes[grandes["tipo"] == tipo].assign(tipo=nombre) for tipo, nombre in
                              CAIDAS_GRANDES.items()), grandes.assign(tipo=CAIDAS_GRANDES_JUNTAS)]
    filas = []
    for tipo, grupo in pd.concat(grupos).groupby("tipo", sort=False):
        filas.append({"tipo": tipo, "anomalias": len(grupo),
                      **{f"en_{h}_meses": float((grupo["primero"] < h).mean()) for h in HORIZONTES_MESES}})
    return pd.DataFrame(filas)


def read_smart_meter_months(engine, desde: str, hasta: str, muestra: Muestra | None = None) -> pd.DataFrame:
    """The supply-months from ``desde`` to ``hasta`` with a smart meter's intervals (id_suministro, anio_mes)."""
    return engine.read_sql(load_sql("report", "smart_meter_months"),
                           {"desde": desde, "hasta": hasta, "cada": _cada(muestra)})


def smart_meter_contribution(con: pd.DataFrame, sin: pd.DataFrame, meses_ami: pd.DataFrame,
                             anomalias: pd.DataFrame) -> dict:
    """What the smart meters' reasons add, on the supply-months with interval data (``meses_ami``).

    ``con`` and ``sin`` are the labelled detections (label_detections) of the same lake with the list built with the
    detector's parameters and with companion.SIN_MEDICION_INTELIGENTE (the same capacity). ``por_tipo``, per anomaly
    type with such a month and a last row for every type ('TODAS'): how many anomalies and the share the list
    inspected within the capacity in one of those months, with and without; how many of them start in such a month
    (empiezan) and the share inspected in that first month, with and without. ``inspecciones``: the inspections within
    the capacity on those supply-months and how many fell inside an anomaly, with and without."""
    claves = meses_ami[["id_suministro", "anio_mes"]].drop_duplicates()
    con, sin = (frame.merge(claves, on=["id_suministro", "anio_mes"]) for frame in (con, sin))
    por_anomalia = con.loc[con["es_anomalia"]].drop_duplicates("id_anomalia").set_index("id_anomalia")[
        "tipo_anomalia"].to_frame("tipo")
    inicio = anomalias.set_index("id_anomalia")["anio_mes_inicio"]
    primeros = con.loc[con["es_anomalia"] & con["anio_mes"].eq(inicio.reindex(con["id_anomalia"]).to_numpy()),
                       "id_anomalia"]
    por_anomalia["empieza"] = por_anomalia.index.isin(primeros)
    for nombre, frame in (("con", con), ("sin", sin)):
        inspeccionada = frame["es_anomalia"] & frame["dentro_capacidad"].astype(bool)
        en_primer_mes = inspeccionada & frame["anio_mes"].eq(inicio.reindex(frame["id_anomalia"]).to_numpy())
        por_anomalia[nombre] = por_anomalia.index.isin(frame.loc[inspeccionada, "id_anomalia"])
        por_anomalia[f"primer_mes_{nombre}"] = por_anomalia.index.isin(frame.loc[en_primer_mes, "id_anomalia"])
    grupos = pd.concat([por_anomalia, por_anomalia.assign(tipo="TODAS")]).groupby("tipo", sort=False)
    por_tipo = grupos.agg(anomalias=("con", "size"), inspeccionadas_con=("con", "mean"),
                          inspeccionadas_sin=("sin", "mean"), empiezan=("empieza", "sum"),
                          primer_mes_con=("primer_mes_con", "sum"), primer_mes_sin=("primer_mes_sin", "sum"))
    for nombre in ("con", "sin"):
        por_tipo[f"primer_mes_{nombre}"] = (por_tipo[f"primer_mes_{nombre}"] / por_tipo["empiezan"]).where(
            por_tipo["empiezan"] > 0)
    por_tipo = por_tipo.astype({"empiezan": int}).reset_index()
    inspecciones = {}
    for nombre, frame in (("con", con), ("sin", sin)):
        dentro = frame["dentro_capacidad"].astype(bool)
        inspecciones[nombre] = {"inspecciones": int(dentro.sum()),
                                "verdaderas": int((dentro & frame["es_anomalia"]).sum())}
    return {"suministro_meses": len(claves), "por_tipo": por_tipo.to_dict("records"), "inspecciones": inspecciones}


def soles_per_inspection(etiquetado: pd.DataFrame, anomalias: pd.DataFrame,
                         muestra: Muestra | None = None) -> pd.DataFrame:
    """Soles an inspection stops, per inspection, for three ways of spending the same monthly capacity: the ranked
    list (dentro_capacidad), the IQR rule's alerts alone by exceso_iqr, and a random pick.

    What a real anomaly still puts at stake from a month on: the sum of importe_en_juego (|bill - the supply's
    median bill|, S/) over its billed months from that one to its end (the ground truth's); a supply-month outside
    every anomaly puts nothing. An anomaly counts once, at its first inspection (a second visit stops nothing more).
    A random pick's figure is the mean over every supply-month. Needs the capacity per month, so the list's months.
    On a sample, the IQR list takes the sample's share of each month's capacity and the soles are scaled back by
    ``cada``, as in precision_at_k.
    """
    expansion = _cada(muestra)
    verdaderas = etiquetado[etiquetado["es_anomalia"]].sort_values("anio_mes", ascending=False)
    en_juego = verdaderas.groupby("id_anomalia")["importe_en_juego"].cumsum().reindex(etiquetado.index, fill_value=0.0)
    capacidad = etiquetado.groupby("anio_mes")["capacidad"].max().dropna()
    iqr = etiquetado[etiquetado["es_alerta_iqr"].astype(bool) & etiquetado["anio_mes"].isin(capacidad.index)]
    iqr = iqr.sort_values(["anio_mes", "exceso_iqr"], ascending=[True, False])
    dentro_iqr = iqr.groupby("anio_mes").cumcount() < capacidad.loc[iqr["anio_mes"]].to_numpy() / expansion
    listas = {"Ranking por valor esperado (dentro de la capacidad)": etiquetado["dentro_capacidad"].astype(bool),
              "Solo cerco IQR, por exceso (misma capacidad)": pd.Series(dentro_iqr, index=iqr.index).reindex(
                  etiquetado.index, fill_value=False)}
    total = float(capacidad.sum())
    filas = []
    for nombre, inspeccionadas in listas.items():
        elegidas = etiquetado[inspeccionadas].sort_values("anio_mes")
        primeras = elegidas[elegidas["es_anomalia"]].drop_duplicates("id_anomalia").index
        soles = float(en_juego.loc[primeras].sum()) * expansion
        filas.append({"lista": nombre, "inspecciones": total, "anomalias_detenidas": len(primeras) * expansion,
                      "soles": soles, "soles_por_inspeccion": soles / total})
    filas.append({"lista": "Inspección aleatoria", "inspecciones": total,
                  "anomalias_detenidas": float(etiquetado["es_anomalia"].mean() * total),
                  "soles": float(en_juego.mean() * total), "soles_por_inspeccion": float(en_juego.mean())})
    return pd.DataFrame(filas)


def false_alarms_on_legitimate(etiquetado: pd.DataFrame, legitimos: pd.DataFrame) -> pd.DataFrame:
    """Per kind of legitimate behaviour: its supply-months outside every anomaly, the share each detector alerted,
    and the share of the whole inspection capacity its alerts took (the list should not be filled by them)."""
    normales = etiquetado.loc[~etiquetado["es_anomalia"], ["id_suministro", "anio_mes", *DETECTORES]]
    fila, evento = months_inside(normales, legitimos)
    dentro = pd.DataFrame({"fila": fila, "tipo": legitimos["tipo"].to_numpy()[evento]}).drop_duplicates()
    marcas = normales[list(DETECTORES)].iloc[dentro["fila"]].astype(bool).set_axis(dentro.index)
    capacidad = float(etiquetado.groupby("anio_mes")["capacidad"].max().sum())
    tabla = marcas.groupby(dentro["tipo"]).mean()
    tabla.insert(0, "meses", dentro.groupby("tipo").size())
    tabla["cuota_capacidad"] = marcas["dentro_capacidad"].groupby(dentro["tipo"]).sum() / capacidad
    return tabla.rename_axis("tipo").reset_index().sort_values("meses", ascending=False, ignore_index=True)


# -- inspection validation --------------------------------------------------------------------------------
def read_inspections(engine, desde: str, hasta: str, muestra: Muestra | None = None) -> pd.DataFrame:
    """Inspections from ``desde`` to ``hasta`` of the sample's supplies (all without one) with the month of the bill
    they follow and whether they found a problem."""
    inspecciones = engine.read_sql(load_sql("report", "inspections"),
                                   {"desde": desde, "hasta": hasta, "cada": _cada(muestra)})
    anio, mes = inspecciones["mes_inspeccion"].str[:4].astype(int), inspecciones["mes_inspeccion"].str[5:].astype(int)
    indice = anio * 12 + mes - 2  # the month before, as year * 12 + month - 1
    anio_mes = (indice // 12).astype(str).str.zfill(4) + "-" + (indice % 12 + 1).astype(str).str.zfill(2)
    return inspecciones.assign(anio_mes=anio_mes, acierto=inspecciones["resultado"] != "SIN_ANOMALIA")


def inspection_validation(inspecciones: pd.DataFrame, detecciones: pd.DataFrame) -> pd.DataFrame:
    """Hit rate of the inspections each detector would have triggered, beside the random control sample."""
    marcadas = inspecciones.merge(detecciones, on=["id_suministro", "anio_mes"], how="left")
    grupos = {
        "Muestra aleatoria de control": marcadas["motivo_inspeccion"] == "ALEATORIA",
        "Sospecha de la distribuidora": marcadas["motivo_inspeccion"] == "SOSPECHA",
        **{nombre: marcadas[detector].fillna(False).astype(bool) for detector, nombre in DETECTORES.items()},
    }
    filas = [{"grupo": nombre, "inspecciones": int(marca.sum()), "aciertos": int(marcadas.loc[marca, "acierto"].sum()),
              "tasa_acierto": float(marcadas.loc[marca, "acierto"].mean()) if marca.any() else np.nan}
             for nombre, marca in grupos.items()]
    return pd.DataFrame(filas)


# -- what the chapter shows -----------------------------------------------------------------------------------
#: Spanish labels of the anomaly types the generator injects.
TIPOS_ANOMALIA = {
    "PICO": "Pico de un mes (×3 a ×10)",
    "MULTIPLICADOR_X10": "Error de factor (×10)",
    "DESPLAZAMIENTO_DECIMAL": "Punto decimal desplazado (×100)",
    "CAIDA_SOSTENIDA": "Caída sostenida (40-80 %, gradual)",
    "CONSUMO_CERO": "Consumo cero con suministro activo",
    "ESTIMADA_RECUPERO": "Lecturas estimadas bajas y recupero",
    "TARIFA_INCORRECTA": "Opción tarifaria incorrecta",
    "DEMANDA_INCONSISTENTE": "Demanda incoherente con la energía",
    "DESCENSO_LENTO": "Descenso lento (30-70 % en 6-12 meses)",
    "CASI_CERO": "Consumo casi cero (1-8 %) con suministro activo",
    "REGISTRO_RETROCEDE": "Lectura por debajo de la anterior y recupero",
}


#: Spanish labels of the legitimate behaviour the generator lists (truth/legitimos.csv).
TIPOS_LEGITIMOS = {
    "ESTIMADA_RUTINARIA": "Lectura estimada de rutina y su recupero",
    "DESOCUPADO": "Casa o local desocupado",
    "CAMBIO_NIVEL": "Cambio permanente de nivel de consumo",
    "CONEXION_NUEVA": "Conexión nueva (primeros 12 meses)",
    "CAMBIO_MEDIDOR": "Cambio de medidor",
    "CAMBIO_OPCION": "Cambio de opción tarifaria",
}


def overall_table(globales: pd.DataFrame) -> pd.DataFrame:
    """overall_metrics in percentages, with the Spanish detector names."""
    tabla = globales[["nombre", "alertas", "verdaderos"]].copy()
    for columna in ("precision", "recall", "f1", "recall_anomalias"):
        tabla[columna] = 100 * globales[columna]
    return tabla


def kinds_table(por_tipo: pd.DataFrame) -> pd.DataFrame:
    """recall_by_kind as the chapter shows it: share of anomalies found per detector, in percent."""
    tabla = pd.DataFrame({"tipo": por_tipo["tipo"].map(TIPOS_ANOMALIA).fillna(por_tipo["tipo"]),
                          "anomalias": por_tipo["anomalias"], "meses": por_tipo["meses"]})
    for detector in ("es_alerta_iqr", "es_alerta_complementaria", "dentro_capacidad"):
        tabla[detector] = 100 * por_tipo[f"{detector}_anomalias"].fillna(0)
        tabla[f"{detector}_meses"] = 100 * por_tipo[f"{detector}_meses"].fillna(0)
    return tabla


def smart_meter_table(aporte: dict) -> pd.DataFrame:
    """smart_meter_contribution's anomaly types as the chapter shows them: anomalies and the share inspected within
    the capacity with and without the smart meters' reasons; those starting in a month with interval data and the
    share inspected in that first month, with and without; shares in percent ('TODAS' last, as 'Todas')."""
    por_tipo = pd.DataFrame(aporte["por_tipo"])
    etiquetas = {**TIPOS_ANOMALIA, "TODAS": "Todas"}
    return pd.DataFrame({"tipo": por_tipo["tipo"].map(etiquetas).fillna(por_tipo["tipo"]),
                         "anomalias": por_tipo["anomalias"],
                         "sin": 100 * por_tipo["inspeccionadas_sin"], "con": 100 * por_tipo["inspeccionadas_con"],
                         "empiezan": por_tipo["empiezan"], "primer_mes_sin": 100 * por_tipo["primer_mes_sin"],
                         "primer_mes_con": 100 * por_tipo["primer_mes_con"]})


def monthly_chart(por_detector: dict[str, pd.DataFrame], metrica: str, titulo: str, etiqueta: str) -> Figure:
    """One line per detector of a monthly metric (a share, drawn in percent)."""
    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    ax = fig.subplots()
    for (nombre, tabla), color in zip(por_detector.items(), (plots.GRIS, plots.AZUL, plots.NARANJA)):
        ax.plot(pd.to_datetime(tabla["anio_mes"] + "-01"), 100 * tabla[metrica], color=color, marker="o",
                markersize=3, label=nombre)
    ax.set(title=titulo, xlabel="Mes", ylabel=etiqueta)
    ax.set_ylim(0, 105)
    plots.axis_pct(ax, decimales=0)
    ax.legend(fontsize=8)
    return fig
