"""The companion detector's rules: its thresholds and the monthly inspection capacity its ranking is cut at.

The thresholds were chosen on seed 42 at 100 000 customers and are reported on another seed
(``bench/eval_detection.py``). They are bound into sql/gold/gold_senales_mes.sql and gold_alertas_mes.sql (their
meaning is in those headers) together with the fence's minimum segment, which the companion's segments share.
"""

from __future__ import annotations

from lds_utils.config import UsageError
from lds_utils.rules.fence import fence_parameters

#: Inspections a month, as a share of billed supplies: the capacity the ranking is cut at. APPROX: the
#: synthetic utility inspects 0.5 % of its active supplies a month (GeneratorConfig.capacidad_inspeccion).
CAPACIDAD_INSPECCION = 0.005

#: Thresholds of gold_senales_mes (their meaning is in the SQL header).
UMBRALES = {
    "min_historia": 3,  # previous billed months a supply needs before its history is compared
    "escala_minima": 0.05,  # floor of 1.4826 MAD: a segment that hardly varies does not turn noise into z
    "z_alza": 4.0,
    "z_caida": 3.0,
    "z_caida_sin_anual": 4.0,
    "z_factor_carga": 5.0,
    "puntaje_regla": 10.0,  # score of a consistency rule, in z units: above most statistical alerts
}


def detection_parameters(capacidad_inspeccion: float = CAPACIDAD_INSPECCION, **umbrales) -> dict:
    """Bound parameters of the two SQL files (months excluded); keyword arguments override thresholds.

    A segment needs the IQR rule's minimum of supplies (lds_utils.rules.fence, ``min_segmento``) for its median
    and MAD.
    """
    unknown = set(umbrales) - set(UMBRALES)
    if unknown:
        raise UsageError(f"unknown detection parameters: {', '.join(sorted(unknown))}")
    if not 0 < capacidad_inspeccion <= 1:
        raise UsageError(f"capacidad_inspeccion must be a share in (0, 1] (got {capacidad_inspeccion})")
    return {**UMBRALES, **umbrales, "capacidad_inspeccion": float(capacidad_inspeccion), **fence_parameters()}
