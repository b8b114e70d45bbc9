"""Atypical-bill detection: the value the IQR fence is applied to (valor_evaluado), and how it was chosen.

The pipeline computes valor_evaluado and the fence in SQL (``sql/gold``; the fence's constants and its pandas
form are ``lds_utils.rules.fence``). Here: ``own_history`` (the supply's median bill of its previous 12 months, as
the SQL takes it) and the comparison of the candidates for valor_evaluado that the methodology chapter shows
(``compare_candidates``, which reads the generator's ground truth through ``lds_utils.detection.evaluate``; the pipeline
never does). The pandas computations the tests check the SQL against are the test oracle, ``tests/oracle.py``.

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

import numpy as np
import pandas as pd

from lds_utils.detection import evaluate
from lds_utils.rules.fence import SEGMENTO, atypical

#: valor_evaluado compares a bill with the median of the supply's own bills of this many previous months.
HISTORIA_MESES = 12


def month_index(anio_mes: pd.Series) -> pd.Series:
    """'YYYY-MM' -> year * 12 + month: month differences become integer differences."""
    return anio_mes.str.slice(0, 4).astype(int) * 12 + anio_mes.str.slice(5, 7).astype(int)


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
    filas = {}
    for nombre, valor in valores.items():
        marcado = atypical(bills[SEGMENTO].assign(valor=valor), value="valor")
        filas[nombre] = _metrics(marcado, etiquetas, bills["anio_mes"])
    return pd.DataFrame(filas).T


def valor_evaluado_methodology() -> str:
    """The comparison and rationale behind valor_evaluado (Markdown), for the methodology chapter."""
    return __doc__[__doc__.index("Choosing valor_evaluado") :]
