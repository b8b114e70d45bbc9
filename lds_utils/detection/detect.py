"""Atypical-bill detection: the value the IQR fence is applied to (valor_evaluado), and how it was chosen.

The pipeline computes valor_evaluado and the fence in SQL (``sql/gold``; the fence's constants and its pandas
form are ``lds_utils.rules.fence``). Here: ``own_history`` (the supply's median bill of its previous 12 months, as
the SQL takes it) and the comparison of the candidates for valor_evaluado that the methodology chapter shows
(``compare_candidates``, which reads the generator's ground truth through ``lds_utils.detection.evaluate``; the pipeline
never does). The pandas computations the tests check the SQL against are the test oracle, ``tests/oracle.py``.

Choosing valor_evaluado
-----------------------

The fence (segment = tipo_cliente x nivel_tension x month, q3 + 1.5 iqr, upper side only) is applied
to ``valor_evaluado``. Five candidates were compared with the ground truth on the default sample (1,500
customers, seed 42) and on 100,000 customers (seed 42), reported months 2022-01..2025-12 (the generator adds
2021 as history, so every reported bill has its 12 previous months); a bill is a true anomaly when its
supply-month lies inside an injected anomaly's months. Candidates:

- ``importe``: the bill itself (facturacion_teorica, S/).
- ``log_importe``: ln(bill).
- ``log_ratio_mes_anterior``: ln(bill / the supply's bill of the previous month).
- ``log_ratio_mediana_12m``: ln(bill / median of the supply's own bills of the previous 12 months,
  those it has). **Chosen.**
- ``log_ratio_mediana_12m_por_dia``: the same on S/ per billing day.

The criterion, fixed before comparing (``chosen_candidate``): the official KPI must flag, every month, a
volume inside the review band ``fence.BANDA_REVISION_PCT`` (1-2 % of bills, the project's working assumption,
also the traffic light's cut-offs): a volume the commercial area can review and a rate comparable month to
month. So candidates are ranked by the share of reported months whose flag rate lies in the band, then by
F1 (precision and recall against the ground truth).

Columns: flag rate (% of bills), monthly min-max, % of months in the band, precision, recall, F1 (%), then the
recall of the upward anomaly types (PICO, MULTIPLICADOR_X10, DESPLAZAMIENTO_DECIMAL, ESTIMADA_RECUPERO).
Most anomalous supply-months are drops or zeros that an upper fence cannot see, so every recall is low.

Measured again with legitimate behaviour in the data (routine estimates, empty homes, level changes:
``lds_utils.synthetic.legitimate``) and slow declines among the anomalies. Default sample (68,320 reported bills):

| candidate | flag rate | monthly | in band | precision | recall | F1 | PICO | X10 | DECIMAL | RECUPERO |
|---|---|---|---|---|---|---|---|---|---|---|
| importe | 5.54 | 4.70-7.06 | 0 | 3.0 | 10.4 | 4.7 | 77 | 97 | 92 | 10 |
| log_importe | 0.25 | 0.07-0.50 | 0 | 28.6 | 4.4 | 7.6 | 25 | 72 | 92 | 1 |
| log_ratio_mes_anterior | 1.06 | 0.43-1.64 | 56 | 18.6 | 12.3 | 14.8 | 98 | 100 | 92 | 25 |
| log_ratio_mediana_12m | 1.53 | 0.85-2.45 | 83 | 12.0 | 11.5 | 11.8 | 98 | 100 | 92 | 19 |
| log_ratio_mediana_12m_por_dia | 1.33 | 0.57-2.72 | 77 | 13.3 | 11.1 | 12.1 | 98 | 100 | 92 | 17 |

100,000 customers, seed 42 (4,526,060 reported bills):

| candidate | flag rate | monthly | in band | precision | recall | F1 | PICO | X10 | DECIMAL | RECUPERO |
|---|---|---|---|---|---|---|---|---|---|---|
| importe | 5.77 | 5.40-6.39 | 0 | 2.8 | 10.1 | 4.3 | 80 | 95 | 100 | 8 |
| log_importe | 0.39 | 0.32-0.46 | 0 | 20.1 | 5.0 | 8.0 | 38 | 64 | 100 | 1 |
| log_ratio_mes_anterior | 1.06 | 0.89-1.34 | 69 | 18.4 | 12.5 | 14.9 | 100 | 100 | 100 | 25 |
| log_ratio_mediana_12m | 1.63 | 1.40-1.98 | 100 | 11.5 | 11.9 | 11.7 | 100 | 100 | 100 | 20 |
| log_ratio_mediana_12m_por_dia | 1.46 | 1.24-1.81 | 100 | 12.8 | 11.9 | 12.3 | 100 | 100 | 100 | 20 |

What the comparison shows:

- The amount itself flags 5-6 % of bills every month, simply the largest customers of each segment
  (precision 3 %); its logarithm flags only 0.3-0.4 %, the same large customers, and misses most spikes.
- The three history ratios find the same anomalies (every x10 error, nearly every spike); they differ in
  how many ordinary fluctuations also cross the fence. The previous-month ratio absorbs seasonal changes:
  higher precision and F1, but it flags too little to stay in the band (56-69 % of the months).

Choice by the criterion: ``log_ratio_mediana_12m``, the candidate with the most months in the band on the default
sample (83 % against 77 % for the per-day version). Every edition applies the criterion to its own data and says
which candidate it picks (``notebooks/06_metodologia_iqr.ipynb``, ``report.criterion_sentence``). Open question: at
100,000 customers, with the legitimate behaviour in the data, both the 12-month median and its per-day version stay
in the band every month, and the per-day version's F1 is higher (12.3 % against 11.7 %): there the criterion would
pick the per-day version, and the edition says so. Changing valor_evaluado changes the official KPI: not done. Before the legitimate behaviour
the 12-month median was the only candidate in the band every month at that size (1.07-1.66 %). Nothing was tuned:
12 months, the median, the contract's 1.5 and 30.

Rates obtained (``vw_kpi_atipicos_mes``) with the year of history: 100,000 customers, seed 42, 1.40-1.98 % in every
month 2022-01..2025-12; default sample 0.85-2.45 %, no month at 0 %. Without the history year, 2022-01 had no bill
evaluated (0 %) and 2022 climbed from 0.66 % as the history grew.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lds_utils.detection import evaluate
from lds_utils.rules.fence import BANDA_REVISION_PCT, atypical, segment_codes

#: valor_evaluado compares a bill with the median of the supply's own bills of this many previous months.
HISTORIA_MESES = 12


def own_history(bills: pd.DataFrame, column: str, meses: int = HISTORIA_MESES) -> pd.DataFrame:
    """Per bill: median of column over the same supply's previous ``meses`` months, and how many there were.

    Months, not rows: a supply without a bill in some month simply has fewer values in its window.
    The median is the middle value, or the mean of the middle two (as the SQL computes it).
    """
    mediana, cuenta = MonthGrid(bills).history(bills[column], meses)
    return pd.DataFrame({"mediana": mediana, "meses": cuenta}, index=bills.index)


class MonthGrid:
    """The bills laid out as one row per supply and one column per month, so a supply's previous months are the
    columns to the left of its bill. Laid out once, it serves every value and window of the same bills."""

    def __init__(self, bills: pd.DataFrame):
        indice = evaluate.month_index(bills["anio_mes"]).to_numpy()
        self.fila, _ = pd.factorize(bills["id_suministro"])
        self.mes = indice - indice.min()
        self.shape = (self.fila.max() + 1, self.mes.max() + 1)
        if len(bills) and np.bincount(self.fila * self.shape[1] + self.mes).max() > 1:
            raise ValueError("own_history: more than one bill for a supply and month")

    def history(self, values: pd.Series, meses: int) -> tuple[np.ndarray, np.ndarray]:
        """Per bill (in the bills' order): the median of values over the supply's previous ``meses`` months and
        how many of them have a value."""
        valores = np.full(self.shape, np.inf)  # no value (or a non-finite one) sorts last and is not counted
        valores[self.fila, self.mes] = values.to_numpy(dtype=float, na_value=np.inf)
        valores[~np.isfinite(valores)] = np.inf
        if meses == 1:  # the median of the previous month alone is its value
            previo = np.full(self.shape, np.inf)
            previo[:, 1:] = valores[:, :-1]
            tiene = np.isfinite(previo)
            return np.where(tiene, previo, np.nan)[self.fila, self.mes], tiene.astype(int)[self.fila, self.mes]
        mediana = np.full(self.shape, np.nan)
        cuenta = np.zeros(self.shape, dtype=int)
        filas = np.arange(self.shape[0])
        for mes in range(1, self.shape[1]):  # one vectorised step per month, over every supply at once
            ordenada = np.sort(valores[:, max(0, mes - meses) : mes], axis=1)
            n = np.isfinite(ordenada).sum(axis=1)
            medio = (ordenada[filas, np.maximum(n - 1, 0) // 2] + ordenada[filas, n // 2]) / 2
            mediana[:, mes] = np.where(n > 0, medio, np.nan)
            cuenta[:, mes] = n
        return mediana[self.fila, self.mes], cuenta[self.fila, self.mes]


# -- Choosing valor_evaluado ------------------------------------------------------------------------------


def candidate_values(bills: pd.DataFrame) -> pd.DataFrame:
    """Every valor_evaluado candidate for the bills of gold (one column each; NaN = not evaluated)."""
    importe = bills["facturacion_teorica"]
    importe_dia = importe / bills["dias_facturados"].where(bills["dias_facturados"] > 0)
    grid = MonthGrid(bills)
    mediana_dia, _ = grid.history(importe_dia, HISTORIA_MESES)
    mes_anterior, _ = grid.history(importe, 1)
    mediana, _ = grid.history(importe, HISTORIA_MESES)
    return pd.DataFrame(
        {
            "importe": importe,
            "log_importe": np.log(importe),
            "log_ratio_mes_anterior": np.log(importe / mes_anterior),
            "log_ratio_mediana_12m": np.log(importe / mediana),
            "log_ratio_mediana_12m_por_dia": np.log(importe_dia / mediana_dia),
        },
        index=bills.index,
    )


def _metrics(flag: pd.Series, etiquetas: pd.DataFrame, anio_mes: pd.Series) -> dict:
    verdaderos = flag & etiquetas["es_anomalia"]
    tasa_mes = flag.groupby(anio_mes, observed=True).mean() * 100
    por_tipo = verdaderos.groupby(etiquetas["tipo_anomalia"], observed=True).mean() * 100
    precision = 100 * verdaderos.sum() / max(flag.sum(), 1)
    recall = 100 * verdaderos.sum() / max(etiquetas["es_anomalia"].sum(), 1)
    return {
        "pct_atipicos": 100 * flag.mean(),
        "pct_mes_min": tasa_mes.min(),
        "pct_mes_max": tasa_mes.max(),
        "pct_meses_en_banda": 100 * tasa_mes.between(*BANDA_REVISION_PCT).mean(),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        **{f"recall_{tipo.lower()}": value for tipo, value in por_tipo.items()},
    }


def compare_candidates(bills: pd.DataFrame, anomalias: pd.DataFrame, desde: str) -> pd.DataFrame:
    """Flag rate (overall, monthly min/max), precision and recall (%) of each valor_evaluado candidate over the
    bills from ``desde`` on (earlier bills are only their history).

    bills: gold rows (at least id_suministro, anio_mes, tipo_cliente, nivel_tension,
    facturacion_teorica, dias_facturados); anomalias: the ground truth (``evaluate.read_anomalies``).
    """
    evaluadas = bills["anio_mes"] >= desde
    valores = candidate_values(bills)[evaluadas]
    bills = bills[evaluadas]
    etiquetas = evaluate.label_detections(bills[["id_suministro", "anio_mes"]], anomalias)
    # grouped once per candidate: coded once
    segmentos = segment_codes(bills)
    meses = bills["anio_mes"].astype("category")
    etiquetas = etiquetas.assign(tipo_anomalia=etiquetas["tipo_anomalia"].astype("category"))
    filas = {}
    for nombre, valor in valores.items():
        marcado = atypical(segmentos.assign(valor=valor), value="valor", segment=["segmento"])
        filas[nombre] = _metrics(marcado, etiquetas, meses)
    return pd.DataFrame(filas).T


def chosen_candidate(comparacion: pd.DataFrame) -> str:
    """The candidate the criterion picks from compare_candidates' table: the most months whose flag rate lies in
    the review band (a volume the commercial area can review, comparable month to month), then the highest F1."""
    orden = comparacion.sort_values(["pct_meses_en_banda", "f1"], ascending=False, kind="stable")
    return str(orden.index[0])


def valor_evaluado_methodology() -> str:
    """The comparison and rationale behind valor_evaluado (Markdown), for the methodology chapter."""
    return __doc__[__doc__.index("Choosing valor_evaluado") :]
