"""The inspection list's targets, measured at scale on a seed its thresholds and reason values were not tuned on.

``bench/eval_detection.py --resultados bench/results/deteccion.json`` writes :func:`summarise` of a whole generated
lake (100,000 customers, seed 7: the held-out seed; seed 42 tuned them); the validation chapter reads the committed
file with :func:`load` and shows :func:`targets_table`: each target, what it asks, what was measured, whether it holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lds_utils.config import PROJECT_ROOT
from lds_utils.detection import evaluate

RESULTS = PROJECT_ROOT / "bench" / "results" / "deteccion.json"

#: The seed the detector's thresholds and the reasons' values were chosen on (sql/gold/ref_valor_motivo.sql).
SEMILLA_CALIBRACION = 42
#: The targets: precision@capacity and the share of large sustained drops inspected within their first 3 months.
META_PRECISION = 0.6
META_CAIDAS_A_TIEMPO = 0.6
MESES_A_TIEMPO = 3
#: The IQR rule's monthly rate of atypical bills stays within this band, in % of the month's bills.
BANDA_TASA_IQR = (1.0, 2.0)
#: "The list is not filled by vacancies", read as: empty homes take less than this share of the whole capacity.
#: ASSUMPTION: the target gives no figure; a quarter leaves three inspections in four to everything else.
MAX_CUOTA_DESOCUPADOS = 0.25


def summarise(etiquetado: pd.DataFrame, anomalias: pd.DataFrame, legitimos: pd.DataFrame, *, clientes: int,
              semilla: int, capacidad: float, meses_sin_reinspeccion: int, medicion_inteligente: dict | None = None
              ) -> dict:
    """The evaluation's figures as plain JSON values: the labelled detections of every month (evaluate.
    label_detections), the ground truth's anomalies and legitimate events, how the list was built, and what the
    smart meters' reasons add (evaluate.smart_meter_contribution; None without interval data)."""
    por_mes = evaluate.precision_at_k(etiquetado)
    tasa_iqr = etiquetado.groupby("anio_mes")["es_alerta_iqr"].mean() * 100
    return {
        "clientes": clientes, "semilla": semilla, "semilla_calibracion": SEMILLA_CALIBRACION,
        "desde": str(etiquetado["anio_mes"].min()), "hasta": str(etiquetado["anio_mes"].max()),
        "capacidad": capacidad, "meses_sin_reinspeccion": meses_sin_reinspeccion,
        "precision_k": evaluate.precision_at_k_summary(por_mes),
        "precision_k_peor_mes": float(por_mes.loc[por_mes["capacidad"] > 0, "precision_k"].min()),
        "a_tiempo": evaluate.timeliness(etiquetado, anomalias).to_dict("records"),
        "falsas_alarmas": evaluate.false_alarms_on_legitimate(etiquetado, legitimos).to_dict("records"),
        "tasa_iqr_mes": {mes: float(tasa) for mes, tasa in tasa_iqr.items()},
        "soles": evaluate.soles_per_inspection(etiquetado, anomalias).to_dict("records"),
        "medicion_inteligente": medicion_inteligente,
    }


def write(resultados: dict, path: Path) -> None:
    """Write the summary atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporal = path.with_suffix(".tmp")
    temporal.write_text(json.dumps(resultados, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    temporal.replace(path)


def load(path: Path | None = None) -> dict | None:
    """The committed summary, or None when the evaluation has not been run."""
    path = RESULTS if path is None else path
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def targets_table(resultados: dict) -> pd.DataFrame:
    """One row per target (Spanish, for the book): meta, pedido, medido, cumple. No month is named: an edition
    shows nothing after its period, and the evaluation's lake runs to its own last month."""
    precision = resultados["precision_k"]["precision_k"]
    caidas = large_drops_in_time(resultados)
    falsas = pd.DataFrame(resultados["falsas_alarmas"]).set_index("tipo")["cuota_capacidad"]
    desocupados = float(falsas.get("DESOCUPADO", 0.0))
    tasa = pd.Series(resultados["tasa_iqr_mes"], dtype=float)
    bajo, alto = BANDA_TASA_IQR
    fuera = tasa[~tasa.between(bajo, alto)]
    filas = [
        ("Precisión de la lista dentro de la capacidad", f"al menos {_pct(META_PRECISION, 0)}",
         f"{_pct(precision)} (peor mes {_pct(resultados['precision_k_peor_mes'])})", precision >= META_PRECISION),
        (f"{evaluate.CAIDAS_GRANDES['CAIDA_SOSTENIDA']} inspeccionadas en sus {MESES_A_TIEMPO} primeros meses",
         f"al menos {_pct(META_CAIDAS_A_TIEMPO, 0)}", _pct(caidas), caidas >= META_CAIDAS_A_TIEMPO),
        ("Capacidad que se llevan las casas desocupadas", f"menos de {_pct(MAX_CUOTA_DESOCUPADOS, 0)}",
         _pct(desocupados), desocupados < MAX_CUOTA_DESOCUPADOS),
        ("Tasa mensual del cerco IQR", f"entre {bajo:.0f} % y {alto:.0f} % cada mes",
         f"{tasa.min():.2f}-{tasa.max():.2f} % ({len(tasa) - len(fuera)} de {len(tasa)} meses en la banda)",
         fuera.empty),
    ]
    return pd.DataFrame(filas, columns=["meta", "pedido", "medido", "cumple"])


def large_drops_in_time(resultados: dict) -> float:
    """Share of the large sustained drops the list inspected within their first MESES_A_TIEMPO months."""
    a_tiempo = pd.DataFrame(resultados["a_tiempo"]).set_index("tipo")
    return float(a_tiempo.loc[evaluate.CAIDAS_GRANDES["CAIDA_SOSTENIDA"], f"en_{MESES_A_TIEMPO}_meses"])


def _pct(share: float, decimales: int = 1) -> str:
    return f"{100 * share:.{decimales}f} %"
