"""Legitimate behaviour that a detector may mistake for an anomaly, listed in ``truth/legitimos.csv``.

Normal bills are not all steady: the distributor estimates a reading now and then and catches up with the next
real one; homes and shops stand empty for some months (zero, or the little a fridge or a standby load uses);
households grow or shrink and businesses expand or cut, for good. These change what the supply really uses (or,
for an estimate, what is billed when), never what the truth calls an anomaly. Three more kinds come from the
population and are only listed: new connections (a short history), meter replacements (a new register) and tariff
option changes. Evaluation counts false alarms on each kind; no detector reads the file.

Legitimate events fall on supplies without an injected anomaly, so a supply-month is never both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lds_utils.synthetic import text
from lds_utils.synthetic.catalog import Calendar
from lds_utils.synthetic.population import Population, supply_ids
from lds_utils.synthetic.settings import MESES, TIPOS_CLIENTE, TIPOS_LEGITIMOS, GeneratorConfig

(ESTIMADA, DESOCUPADO, NIVEL, CONEXION, MEDIDOR, OPCION) = range(len(TIPOS_LEGITIMOS))
LEGITIMO_COLUMNS = ["id_evento", "tipo", "id_suministro", "anio_mes_inicio", "anio_mes_fin", "magnitud", "detalle"]
#: Customer types that may stand empty for some months (public lighting and industry do not, here).
TIPOS_DESOCUPADO = (TIPOS_CLIENTE.index("RESIDENCIAL"), TIPOS_CLIENTE.index("COMERCIAL"))


@dataclass
class Legitimate:
    """One legitimate event per row: supply row, kind, first and last month (calendar columns), multiplier of the
    supply's usage (nan when the kind has none)."""

    supply: np.ndarray
    tipo: np.ndarray
    start: np.ndarray
    end: np.ndarray
    magnitude: np.ndarray

    @classmethod
    def concat(cls, parts: list[Legitimate]) -> Legitimate:
        return cls(*(np.concatenate([getattr(part, name) for part in parts])
                     for name in ("supply", "tipo", "start", "end", "magnitude")))


def change_usage(cfg: GeneratorConfig, rng: np.random.Generator, pop: Population, normal: np.ndarray,
                 anomalous: np.ndarray) -> Legitimate:
    """Empty months and permanent level changes, drawn on supplies without an anomaly; ``normal`` (what each supply
    really uses) is changed in place. At most one of the two per supply; each at its yearly rate over the supply's
    billed months."""
    size = pop.n_supplies
    years = pop.n_cierres / MESES
    u = rng.random(size)
    free = ~np.isin(np.arange(size), anomalous) & (pop.n_cierres >= 6)
    p_empty = np.where(np.isin(pop.tipo, TIPOS_DESOCUPADO), np.minimum(1.0, cfg.tasa_desocupado_anual * years), 0.0)
    p_level = np.minimum(1.0, cfg.tasa_cambio_nivel_anual * years)
    empty = free & (u < p_empty)
    level = free & ~empty & (u < p_empty + p_level)
    first = pop.primer_cierre + 1
    duration = np.minimum(rng.integers(cfg.duracion_desocupado[0], cfg.duracion_desocupado[1] + 1, size),
                          pop.ultimo_cierre - first + 1)
    start_empty = first + np.floor(rng.random(size) * (pop.ultimo_cierre - first - duration + 2)).astype(int)
    start_level = first + np.floor(rng.random(size) * (pop.ultimo_cierre - first + 1)).astype(int)
    share_empty = np.where(rng.random(size) < cfg.cuota_desocupado_cero, 0.0, rng.uniform(*cfg.consumo_desocupado, size))
    up = rng.random(size) < 0.5
    shift = np.where(up, rng.uniform(*cfg.cambio_nivel_alza, size), rng.uniform(*cfg.cambio_nivel_baja, size))
    supply = np.concatenate([np.flatnonzero(empty), np.flatnonzero(level)])
    events = Legitimate(
        supply=supply,
        tipo=np.repeat([DESOCUPADO, NIVEL], [empty.sum(), level.sum()]),
        start=np.concatenate([start_empty[empty], start_level[level]]),
        end=np.concatenate([(start_empty + duration - 1)[empty], pop.ultimo_cierre[level]]),
        magnitude=np.concatenate([share_empty[empty], shift[level]]),
    )
    months = np.arange(normal.shape[1])
    inside = (months >= events.start[:, None]) & (months <= events.end[:, None])
    normal[events.supply] = np.where(inside, normal[events.supply] * events.magnitude[:, None], normal[events.supply])
    return events


def routine_estimates(cfg: GeneratorConfig, rng: np.random.Generator, pop: Population, closing: np.ndarray,
                      recorded: np.ndarray, estimated: np.ndarray, anomaly: np.ndarray, average) -> Legitimate:
    """Estimated readings of normal times, on ``tasa_estimada_rutinaria`` of the billed months: the month is billed at
    the supply's recent average (``average``, the distributor's rule) and the next real reading recovers the
    difference. Never two months running, never in a supply's first billed month or its last, never next to an
    injected anomaly's months (``anomaly``: its type, -1 outside). ``recorded`` and ``estimated`` change in place."""
    size, months = closing.shape
    column = np.arange(months)
    near_anomaly = anomaly >= 0
    near_anomaly[:, 1:] |= anomaly[:, :-1] >= 0
    near_anomaly[:, :-1] |= anomaly[:, 1:] >= 0
    room = closing & ~near_anomaly
    room[:, :-1] &= closing[:, 1:] & ~near_anomaly[:, 1:]
    room &= (column > pop.primer_cierre[:, None]) & (column < pop.ultimo_cierre[:, None])
    rate = cfg.tasa_estimada_rutinaria * closing[:, 1:].sum() / max(room.sum(), 1)  # a share of all billed months
    chosen = room & (rng.random((size, months)) < rate)
    chosen[:, 1:] &= ~chosen[:, :-1]
    supply, month = np.nonzero(chosen)
    used = recorded[supply, month].copy()
    two_months = used + recorded[supply, month + 1]
    estimate = np.minimum(average(supply, month), 0.9 * two_months)  # the catch-up stays positive
    recorded[supply, month + 1] = two_months - estimate
    recorded[supply, month] = estimate
    estimated[supply, month] = True
    share = np.divide(estimate, used, out=np.full(len(used), np.nan), where=used > 0)
    return Legitimate(supply=supply, tipo=np.full(len(supply), ESTIMADA), start=month, end=month + 1, magnitude=share)


def listed_from_population(cfg: GeneratorConfig, pop: Population) -> Legitimate:
    """New connections (their first ``meses_conexion_nueva`` billed months), meter replacements and option changes
    (their month): what the population already holds, listed for evaluation."""
    nuevo = np.flatnonzero(pop.nuevo & (pop.primer_cierre <= pop.ultimo_cierre))
    medidor = np.flatnonzero(pop.reemplaza_medidor & ~pop.cambia_opcion)
    opcion = np.flatnonzero(pop.cambia_opcion)
    return Legitimate(
        supply=np.concatenate([nuevo, medidor, opcion]),
        tipo=np.repeat([CONEXION, MEDIDOR, OPCION], [len(nuevo), len(medidor), len(opcion)]),
        start=np.concatenate([pop.primer_cierre[nuevo], pop.evento_mes[medidor], pop.evento_mes[opcion]]),
        end=np.concatenate([np.minimum(pop.primer_cierre[nuevo] + cfg.meses_conexion_nueva - 1, pop.ultimo_cierre[nuevo]),
                            pop.evento_mes[medidor], pop.evento_mes[opcion]]),
        magnitude=np.full(len(nuevo) + len(medidor) + len(opcion), np.nan),
    )


def legitimos_table(events: Legitimate, pop: Population, calendar: Calendar) -> pa.Table:
    """truth/legitimos.csv rows of a chunk, by supply and start month."""
    order = np.lexsort((events.start, events.supply))
    supply, tipo, start, end, magnitude = (getattr(events, name)[order]
                                           for name in ("supply", "tipo", "start", "end", "magnitude"))
    periods = pa.array(calendar.periods)
    start_text = periods.take(pa.array(start))
    valid = ~np.isnan(magnitude)
    pct = text.integers(np.round(100 * np.nan_to_num(magnitude)))
    months = text.integers(end - start + 1)
    details = [
        text.join("lectura estimada al ", pct, "% de lo consumido y recupero al mes siguiente"),
        text.join("desocupado ", months, " meses al ", pct, "% de su consumo"),
        text.join("cambio permanente de nivel: consumo x", text.decimals(np.round(magnitude, 3), 3, valid=valid)),
        text.join("conexion nueva: sus primeros ", months, " meses"),
        pa.array(np.full(len(tipo), "cambio de medidor: registro nuevo"), pa.string()),
        pa.array(np.full(len(tipo), "cambio de opcion tarifaria"), pa.string()),
    ]
    columns = {
        "id_evento": text.join(text.ids("LE", pop.num[supply], 9), "-", start_text, "-", text.integers(tipo)),
        "tipo": text.codes(TIPOS_LEGITIMOS, tipo),
        "id_suministro": supply_ids(pop).take(pa.array(supply)),
        "anio_mes_inicio": start_text,
        "anio_mes_fin": periods.take(pa.array(end)),
        "magnitud": text.decimals(np.round(magnitude, 3), 3, valid=valid),
        "detalle": pc.choose(pa.array(tipo.astype(np.int8)), *details),
    }
    return text.table(columns, LEGITIMO_COLUMNS)
