"""The companion detector's rules: its thresholds, what each reason code is worth, and the monthly inspection
capacity its ranking is cut at.

The thresholds were chosen on seed 42 at 100 000 customers and are reported on another seed
(``bench/eval_detection.py``). They are bound into sql/gold/gold_senales_mes.sql and gold_alertas_mes.sql (their
meaning is in those headers) together with the fence's minimum segment, which the companion's segments share.
What a reason is worth (how often it was a real anomaly, for how many more months) is reference data of its own,
``sql/gold/ref_valor_motivo.sql``: the ranking joins it and Python reads it by running that file
(``reason_values``).
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pandas as pd

from lds_utils.config import UsageError
from lds_utils.lake import sql as sqlmod
from lds_utils.rules.fence import fence_parameters

#: The reference relation of what each leading reason code is worth (gold_db.<it>, sql/gold/<it>.sql, ephemeral).
REASON_VALUES = "ref_valor_motivo"

#: Inspections a month, as a share of billed supplies: the capacity the ranking is cut at. APPROX: the
#: synthetic utility inspects 0.5 % of its active supplies a month (GeneratorConfig.capacidad_inspeccion).
CAPACIDAD_INSPECCION = 0.005

#: A supply the published lists sent to inspection stays out of the capacity of the lists of this many months after
#: (sql/gold/gold_alertas_mes_incremental.sql). APPROX: a field visit is not repeated within half a year. Chosen on the
#: tuning seed (bench/eval_detection.py, 100,000 customers, seed 42): with 3 months the capacity's 15,050 true
#: inspections stopped 13,119 distinct anomalies, with 6 its 14,618 stopped 14,345 (soles per inspection 3,069 and
#: 3,051), and 61 % of the sustained drops of 50 % or more were inspected within 3 months against 70 %.
MESES_SIN_REINSPECCION = 6

#: Limits of the bands of consumption (this month's consumption per day / the median of its previous 12 months) that
#: the likelihood of an alert's reason depends on (sql/gold/gold_alertas_valoradas.sql, ref_valor_motivo.sql).
BANDAS_CONSUMO = {"razon_muy_baja": 0.2, "razon_baja": 0.7, "razon_alta": 1.5, "razon_muy_alta": 2.5}

#: Thresholds of gold_senales_mes (their meaning is in the SQL header).
UMBRALES = {
    "min_historia": 3,  # previous billed months a supply needs before its history is compared
    "escala_minima": 0.05,  # floor of 1.4826 MAD: a segment that hardly varies does not turn noise into z
    "z_alza": 4.0,
    "z_caida": 3.0,
    "z_caida_sin_anual": 4.0,
    "z_descenso": 4.0,
    "z_descenso_anual": 2.0,  # DESCENSO_GRADUAL's confirmation by the same month last year
    "z_factor_carga": 5.0,
    # smart meters (silver_intervalo_mensual). APPROX, not tuned: outside injected faults the intervals of a whole
    # period add up to the register to the Wh, and a few days of missing intervals or a zero run take off well
    # under 20 %, while the register errors are x3 and more
    "razon_intervalos": 1.25,
    # the register's maximum demand and 4 x the largest interval agree to the W on a sound meter; a zero run over the
    # peak takes some off, while a demand register's errors are x10 or a demand the energy cannot give
    "razon_demanda": 1.25,
    "min_eventos_manipulacion": 2,  # a lone tamper event is maintenance or the background rate; tampering bursts
    # the night/day ratio against the supply's own previous periods, as a z against its segment: the month's
    # appliance use moves it, a bypass of 40 % or more of the load takes most of the day's appliance load off the
    # meter (a home's z above 6). Two previous periods: the head-end extract is short (interval data from 2025-07 in
    # the lakes here). Chosen on the tuning seed (seed 42, 20,000 customers): z = 3 raised 10 alerts in 3,900 of its
    # homes' periods with no anomaly, and the highest z of those periods was 3.9
    "min_historia_perfil": 2,
    "z_perfil": 5.0,
    "puntaje_regla": 10.0,  # score of a consistency rule, in z units: above most statistical alerts
}

#: Threshold overrides that switch the smart meters' reasons (INTERVALOS_DISCREPAN, DEMANDA_DISCREPA,
#: EVENTO_MANIPULACION, PERFIL_CAMBIA) off: the list without them, at the same capacity, to measure what they add
#: (bench/eval_detection.py).
SIN_MEDICION_INTELIGENTE = {"razon_intervalos": float("inf"), "razon_demanda": float("inf"),
                            "min_eventos_manipulacion": 2**62, "z_perfil": float("inf")}


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
    return {**UMBRALES, **umbrales, "capacidad_inspeccion": float(capacidad_inspeccion),
            "meses_sin_reinspeccion": MESES_SIN_REINSPECCION, **BANDAS_CONSUMO, **fence_parameters()}


@lru_cache(maxsize=1)
def _reason_value_rows() -> tuple[tuple[str, ...], tuple[tuple, ...]]:
    with duckdb.connect() as con:
        result = con.execute(sqlmod.to_duckdb(sqlmod.load_sql("gold", REASON_VALUES)))
        return tuple(column[0] for column in result.description), tuple(result.fetchall())


def reason_values() -> pd.DataFrame:
    """probabilidad and meses_en_juego of each leading reason code in each band of consumption, 'TODAS' for every
    band (sql/gold/ref_valor_motivo.sql), indexed by (motivo, banda_consumo)."""
    columns, rows = _reason_value_rows()
    return pd.DataFrame(list(rows), columns=list(columns)).set_index(["motivo", "banda_consumo"])
