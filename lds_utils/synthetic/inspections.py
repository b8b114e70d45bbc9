"""Field inspections: limited monthly capacity, aimed mostly at suspicious supplies, plus a random
control sample. Suspicion is a noisy score (how far the month is from the supply's own median, an
extra alert on some anomalous months, noise), never a perfect oracle; the outcome follows the truth
with small errors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lds_utils.lake.schema import column_names
from lds_utils.synthetic import text
from lds_utils.synthetic.catalog import STREAM_INSPECTION, Calendar, rng_for
from lds_utils.synthetic.consumption import Consumption
from lds_utils.synthetic.population import ANCHO_SUMINISTRO, Population, supply_ids
from lds_utils.synthetic.settings import RESULTADOS_INSPECCION, TIPOS_ANOMALIA, GeneratorConfig

MOTIVOS = ("SOSPECHA", "ALEATORIA")
SIN_ANOMALIA = RESULTADOS_INSPECCION.index("SIN_ANOMALIA")
ULTIMO_DIA_INSPECCION = 28


def inspeccion_table(cfg: GeneratorConfig, calendar: Calendar, pop: Population, cons: Consumption) -> pa.Table:
    rng = rng_for(cfg, STREAM_INSPECTION, pop.chunk)
    supply, month, motivo = _select(cfg, rng, pop, cons)
    day = np.minimum(rng.integers(0, ULTIMO_DIA_INSPECCION, len(supply)), calendar.days_in_month[month] - 1)
    date = calendar.month_start[month] + day
    still_connected = pop.baja[supply] < 0
    date = np.where(still_connected, date, np.minimum(date, pop.baja[supply]))
    flagged = cons.anomaly[supply, month - 1]
    columns = {
        "id_inspeccion": text.ids("I", pop.num[supply], ANCHO_SUMINISTRO),
        "id_suministro": supply_ids(pop).take(pa.array(supply)),
        "fecha_inspeccion": text.dates(date),
        "motivo_inspeccion": text.codes(MOTIVOS, motivo),
        "resultado": text.codes(RESULTADOS_INSPECCION, _outcome(cfg, rng, flagged)),
    }
    return text.table(columns, column_names("inspeccion"))


def _select(cfg: GeneratorConfig, rng: np.random.Generator, pop: Population, cons: Consumption):
    """Month by month: the supplies read in month k are ranked, and inspected in month k + 1.
    A supply is inspected at most once."""
    recorded = np.where(cons.closing, cons.recorded, np.nan)
    median = np.nanmedian(np.where(cons.closing.any(axis=1)[:, None], recorded, 0.0), axis=1)
    # a reading below the previous one bills nothing: it looks like a zero month
    deviation = np.abs(np.log1p(np.maximum(np.nan_to_num(recorded), 0)) - np.log1p(np.maximum(median, 0))[:, None])
    alert = (cons.anomaly >= 0) & (rng.random(cons.anomaly.shape) < cfg.prob_senal_anomalia)
    score = deviation + alert + rng.normal(0.0, cfg.ruido_sospecha, cons.anomaly.shape)

    inspected = np.zeros(pop.n_supplies, dtype=bool)
    chosen = []
    months = cons.closing.shape[1]
    for month in range(1, months - 1):
        candidates = np.flatnonzero(cons.closing[:, month] & ~inspected & (pop.ultimo_cierre > month))
        capacity = min(int(round(cfg.capacidad_inspeccion * len(candidates))), len(candidates))
        n_random = int(round(capacity * cfg.cuota_inspeccion_aleatoria))
        ranked = candidates[np.argsort(-score[candidates, month], kind="stable")]
        suspects = ranked[: capacity - n_random]
        controls = rng.choice(ranked[capacity - n_random:], n_random, replace=False)
        for group, motivo in ((suspects, 0), (controls, 1)):
            chosen.append(np.stack([group, np.full(len(group), month + 1), np.full(len(group), motivo)], axis=1))
        inspected[suspects] = True
        inspected[controls] = True
    rows = np.concatenate(chosen) if chosen else np.zeros((0, 3), dtype=int)
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    return rows[:, 0], rows[:, 1], rows[:, 2]


def _outcome(cfg: GeneratorConfig, rng: np.random.Generator, flagged: np.ndarray) -> np.ndarray:
    """What the inspector finds for the anomaly (if any) of the flagged month, with small errors."""
    by_type = dict(cfg.resultado_por_anomalia)
    expected = np.array([RESULTADOS_INSPECCION.index(by_type[t]) for t in TIPOS_ANOMALIA])
    truth = np.where(flagged >= 0, expected[np.maximum(flagged, 0)], SIN_ANOMALIA)
    u = rng.random(len(flagged))
    missed = (truth != SIN_ANOMALIA) & (u < cfg.prob_falso_negativo)
    false_alarm = (truth == SIN_ANOMALIA) & (u < cfg.prob_falso_positivo)
    invented = rng.choice([RESULTADOS_INSPECCION.index("HURTO_BYPASS"), RESULTADOS_INSPECCION.index("ERROR_MEDIDOR")],
                          len(flagged))
    return np.select([missed, false_alarm], [SIN_ANOMALIA, invented], truth)
