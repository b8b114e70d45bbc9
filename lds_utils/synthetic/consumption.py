"""Monthly consumption of each supply and the injected anomalies (the ground truth).

A billing period runs from one reading to the next; its consumption is a daily rate (base x season
x trend x noise) times the days in the period, so 28-33 day cycles show in the kWh. Anomalies then
change what the meter records (the register advances by the anomalous amount) and are listed, one
event per supply at most, in the truth table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lds_utils.synthetic import text
from lds_utils.synthetic import legitimate
from lds_utils.synthetic.catalog import STREAM_CONSUMPTION, STREAM_LEGITIMATE, Calendar, rng_for
from lds_utils.synthetic.population import CLASES, DIAS_MES, DOBLE, Population, seasonal_curves, supply_ids
from lds_utils.synthetic.settings import MESES, OPCIONES, TIPOS_ANOMALIA, GeneratorConfig

(PICO, X10, DECIMAL, CAIDA, CERO, ESTIMADA, TARIFA, DEMANDA, DESCENSO, CASI_CERO, RETROCEDE) = range(
    len(TIPOS_ANOMALIA))
ANOMALIA_COLUMNS = ["id_anomalia", "tipo", "id_suministro", "anio_mes_inicio", "anio_mes_fin", "magnitud", "detalle"]


@dataclass
class Events:
    """One anomaly per row: supply row, type, first and last month (calendar columns) and parameters."""

    supply: np.ndarray
    tipo: np.ndarray
    start: np.ndarray
    end: np.ndarray
    magnitude: np.ndarray  # multiplier at the most extreme month (nan for a tariff error)
    ramp: np.ndarray
    wrong_option: np.ndarray
    demand_x10: np.ndarray
    impossible_load_factor: np.ndarray

    def of_type(self, tipo: int) -> np.ndarray:
        return np.flatnonzero(self.tipo == tipo)


@dataclass
class Consumption:
    closing: np.ndarray  # [supply, month] a reading closes a billing period this month
    close_date: np.ndarray  # date of the reading (route day, or the disconnection)
    days: np.ndarray  # days of the billing period (0 when not closing)
    normal: np.ndarray  # kWh the supply really used (no anomaly)
    recorded: np.ndarray  # kWh the register advances (anomalies included)
    estimated: np.ndarray  # reading typed ESTIMADA
    anomaly: np.ndarray  # anomaly type index, -1 when normal
    demand: np.ndarray  # kW recorded with the reading
    load_factor: np.ndarray  # the period's real load factor (a demand anomaly records another demand)
    hp_share: np.ndarray
    load_kept: np.ndarray  # share of the usual load still on the meter: a bypass or an empty home lowers it, else 1
    events: Events
    legitimate: legitimate.Legitimate
    legitimo: np.ndarray  # [supply, month] kind of the legitimate event covering it, -1 when none


def simulate_consumption(cfg: GeneratorConfig, calendar: Calendar, pop: Population) -> Consumption:
    rng = rng_for(cfg, STREAM_CONSUMPTION, pop.chunk)
    size, months = pop.lectura.shape
    month = np.arange(months)
    closing = (month >= pop.primer_cierre[:, None]) & (month <= pop.ultimo_cierre[:, None])
    close_date = pop.lectura.copy()
    with_baja = np.flatnonzero(pop.baja >= 0)
    close_date[with_baja, pop.ultimo_cierre[with_baja]] = pop.baja[with_baja]
    previous = np.empty_like(close_date)
    previous[:, 1:] = close_date[:, :-1]
    opened = np.flatnonzero(pop.primer_cierre < months)
    previous[opened, pop.primer_cierre[opened]] = np.where(pop.nuevo, pop.conexion, pop.lectura[:, 0])[opened]
    days = np.where(closing, close_date - previous, 0)

    season = seasonal_curves(cfg)[pop.curva][:, calendar.month_number - 1]
    trend = (1 + cfg.crecimiento_consumo_anual) ** ((month - (months - 1) / 2) / MESES)
    sigma = np.array([dict(cfg.ruido_mensual)[c] for c in CLASES])[pop.clase]
    noise = np.exp(rng.normal(0.0, 1.0, (size, months)) * sigma[:, None])
    rate = pop.base_kwh[:, None] / DIAS_MES * season * trend[None, :] * noise
    normal = rate * days

    events = draw_events(cfg, rng, pop, closing)
    rng_legitimate = rng_for(cfg, STREAM_LEGITIMATE, pop.chunk)
    usage = legitimate.change_usage(cfg, rng_legitimate, pop, normal, events.supply)
    recorded, estimated, anomaly, demand_factor = apply_events(cfg, events, pop, normal, closing)
    def average(supply: np.ndarray, month: np.ndarray) -> np.ndarray:
        return _recent_average(normal, closing, supply, month, cfg.meses_promedio_estimada)

    estimates = legitimate.routine_estimates(cfg, rng_legitimate, pop, closing, recorded, estimated, anomaly, average)
    # the estimates first: a month they bill differently is labelled with them
    listed = legitimate.Legitimate.concat([estimates, usage, legitimate.listed_from_population(cfg, pop)])
    cap = cfg.tope_avance_registro * 10.0**pop.digitos * pop.factor
    recorded = np.minimum(recorded, cap[:, None])
    _realised_magnitudes(events, recorded, normal)

    load_factor = pop.factor_carga[:, None] * np.exp(rng.normal(0.0, cfg.ruido_demanda, (size, months)))
    daily = np.divide(np.where(recorded < 0, normal, recorded), days, out=rate.copy(), where=days > 0)
    demand = daily / (24 * load_factor) * demand_factor
    hp_share = np.clip(pop.cuota_hp[:, None] * np.exp(rng.normal(0.0, cfg.ruido_cuota_hp, (size, months))), 0.05, 0.6)
    return Consumption(closing, close_date, days, normal, recorded, estimated, anomaly, demand, load_factor, hp_share,
                       _load_kept(cfg, anomaly, recorded, normal, usage), events, listed,
                       _legitimate_labels(listed, closing.shape))


def draw_events(cfg: GeneratorConfig, rng: np.random.Generator, pop: Population, closing: np.ndarray) -> Events:
    """Events on distinct supplies, in random order, until they cover tasa_anomalias of the supply-months."""
    budget = cfg.tasa_anomalias * int(closing[:, 1:].sum())
    supply = rng.permutation(np.flatnonzero((pop.evento_mes < 0) & (pop.n_cierres >= 6)))
    mix = np.array([dict(cfg.mezcla_anomalias)[t] for t in TIPOS_ANOMALIA])
    tipo = rng.choice(len(TIPOS_ANOMALIA), len(supply), p=mix)
    low, high = np.array([dict(cfg.duracion_anomalias)[t] for t in TIPOS_ANOMALIA]).T
    duration = rng.integers(low[tipo], high[tipo] + 1)
    # Events start after the first billed month (an estimate needs history) and a wrong tariff period
    # ends before the last one (so the right option comes back inside the supply's life).
    first = pop.primer_cierre[supply] + 1
    room = pop.ultimo_cierre[supply] - (tipo == TARIFA) - first + 1
    duration = np.minimum(duration, room)
    keep = np.cumsum(duration) <= budget
    order = np.argsort(supply[keep], kind="stable")
    supply, tipo, duration, first, room = (a[keep][order] for a in (supply, tipo, duration, first, room))
    count = len(supply)
    start = first + np.floor(rng.random(count) * (room - duration + 1)).astype(int)

    magnitude = np.select(
        [tipo == PICO, tipo == X10, tipo == DECIMAL, tipo == CAIDA, tipo == CERO, tipo == ESTIMADA, tipo == DESCENSO,
         tipo == CASI_CERO, tipo == RETROCEDE],
        [rng.uniform(*cfg.pico_multiplicador, count), np.full(count, 10.0), np.full(count, cfg.desplazamiento_decimal),
         1 - rng.uniform(*cfg.caida_sostenida, count), np.zeros(count), rng.uniform(*cfg.estimada_fraccion, count),
         1 - rng.uniform(*cfg.descenso_lento, count), rng.uniform(*cfg.casi_cero, count),
         -rng.uniform(*cfg.registro_retrocede, count)],
        np.nan)
    demand_x10 = rng.random(count) < cfg.cuota_demanda_multiplicada
    impossible = rng.uniform(*cfg.demanda_factor_carga_imposible, count)
    demand_magnitude = np.where(demand_x10, cfg.demanda_multiplicador, pop.factor_carga[supply] / impossible)
    return Events(supply=supply, tipo=tipo, start=start, end=start + duration - 1,
                  magnitude=np.where(tipo == DEMANDA, demand_magnitude, magnitude),
                  ramp=rng.integers(cfg.caida_rampa_meses[0], cfg.caida_rampa_meses[1] + 1, count),
                  wrong_option=_wrong_option(rng, pop.opcion[supply]), demand_x10=demand_x10,
                  impossible_load_factor=impossible)


def _wrong_option(rng: np.random.Generator, opcion: np.ndarray) -> np.ndarray:
    """Another option read on the same registers (single or double), so the meter still fits the bill."""
    others = [[o for o in range(len(OPCIONES)) if o != code and DOBLE[o] == DOBLE[code]] for code in range(len(OPCIONES))]
    count = np.array([len(row) for row in others])
    width = count.max()
    table = np.array([row + row[:1] * (width - len(row)) for row in others])
    return table[opcion, np.floor(rng.random(len(opcion)) * count[opcion]).astype(int)]


def _load_kept(cfg: GeneratorConfig, anomaly: np.ndarray, recorded: np.ndarray, normal: np.ndarray,
               usage: legitimate.Legitimate) -> np.ndarray:
    """[supply, month] share of the supply's usual load on the meter's circuits: what a bypass leaves (an anomaly of
    ``cfg.tipos_derivacion``) or an empty home uses; 1 otherwise."""
    kept = np.ones(normal.shape)
    bypass = np.isin(anomaly, [TIPOS_ANOMALIA.index(tipo) for tipo in cfg.tipos_derivacion]) & (normal > 0)
    kept[bypass] = np.clip(recorded[bypass] / normal[bypass], 0.0, 1.0)
    event, _, month = event_months(usage)
    empty = usage.tipo[event] == legitimate.DESOCUPADO
    kept[usage.supply[event][empty], month[empty]] = usage.magnitude[event][empty]
    return kept


def _legitimate_labels(listed: legitimate.Legitimate, shape: tuple[int, int]) -> np.ndarray:
    """[supply, month] the kind of the legitimate event covering it (the first listed), -1 when none."""
    event, _, month = event_months(listed)
    label = np.full(shape, -1, dtype=np.int8)
    first = np.unique(np.ravel_multi_index((listed.supply[event], month), shape), return_index=True)[1]
    label[listed.supply[event][first], month[first]] = listed.tipo[event][first]
    return label


def event_months(events: Events | legitimate.Legitimate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(event row, offset in the event, calendar month) of every month inside an event."""
    length = events.end - events.start + 1
    event = np.repeat(np.arange(len(length)), length)
    offset = np.arange(len(event)) - np.repeat(np.cumsum(length) - length, length)
    return event, offset, events.start[event] + offset


def apply_events(cfg, events: Events, pop: Population, normal: np.ndarray, closing: np.ndarray):
    event, offset, month = event_months(events)
    supply, tipo = events.supply[event], events.tipo[event]
    ramp = np.minimum(1.0, (offset + 1) / events.ramp[event])
    slow_ramp = (offset + 1) / (events.end - events.start + 1)[event]
    multiplier = np.select(
        [np.isin(tipo, [PICO, X10, DECIMAL, CERO, CASI_CERO]), tipo == CAIDA, tipo == DESCENSO],
        [events.magnitude[event], 1 - (1 - events.magnitude[event]) * ramp,
         1 - (1 - events.magnitude[event]) * slow_ramp], 1.0)
    recorded = normal.copy()
    recorded[supply, month] = normal[supply, month] * multiplier
    _backward_readings(events, event, offset, supply, month, tipo, normal, recorded)
    estimated = np.zeros(normal.shape, dtype=bool)
    _estimates_and_catch_up(events, event, offset, supply, month, tipo, normal, closing, recorded, estimated,
                            cfg.meses_promedio_estimada)
    anomaly = np.full(normal.shape, -1, dtype=np.int8)
    anomaly[supply, month] = tipo
    demand_factor = np.ones(normal.shape)
    is_demand = tipo == DEMANDA
    demand_factor[supply[is_demand], month[is_demand]] = events.magnitude[event[is_demand]]
    return recorded, estimated, anomaly, demand_factor


def _estimates_and_catch_up(events, event, offset, supply, month, tipo, normal, closing, recorded, estimated,
                            months: int):
    """ESTIMADA_RECUPERO: low estimates of the recent average, then a real reading recovering the rest."""
    n_estimated = events.end - events.start  # the last month of the event is the catch-up reading
    chosen = tipo == ESTIMADA
    true_total = np.bincount(event[chosen], weights=normal[supply[chosen], month[chosen]], minlength=len(events.tipo))
    estimate = _recent_average(normal, closing, events.supply, events.start, months) * events.magnitude
    # Keep the catch-up positive: the estimates never add up to more than 90% of what was really used.
    scale = np.minimum(1.0, 0.9 * true_total / np.maximum(estimate * n_estimated, 1e-9))
    is_estimada = events.tipo == ESTIMADA
    events.magnitude[is_estimada] *= scale[is_estimada]
    estimate = estimate * scale
    is_estimate = chosen & (offset < n_estimated[event])
    is_catch_up = chosen & (offset == n_estimated[event])
    recorded[supply[is_estimate], month[is_estimate]] = estimate[event[is_estimate]]
    estimated[supply[is_estimate], month[is_estimate]] = True
    recovered = true_total - estimate * n_estimated
    recorded[supply[is_catch_up], month[is_catch_up]] = recovered[event[is_catch_up]]


def _backward_readings(events, event, offset, supply, month, tipo, normal, recorded) -> None:
    """REGISTRO_RETROCEDE: the first month's reading is typed below the previous one (the register goes back by
    -magnitude x that month's consumption); the next real reading bills both months and the gap."""
    first = (tipo == RETROCEDE) & (offset == 0)
    second = (tipo == RETROCEDE) & (offset == 1)
    gap = -events.magnitude[event[first]] * normal[supply[first], month[first]]
    recorded[supply[first], month[first]] = -gap
    recorded[supply[second], month[second]] = (normal[supply[second], month[second]]
                                               + normal[supply[first], month[first]] + gap)


def _recent_average(normal, closing, supply: np.ndarray, start: np.ndarray, months: int) -> np.ndarray:
    """Mean billed consumption of each supply over the (at most ``months``) months before ``start``."""
    sums = np.cumsum(np.where(closing, normal, 0.0), axis=1)
    counts = np.cumsum(closing, axis=1)
    last, first = start - 1, start - 1 - months
    has_first = first >= 0
    first = np.maximum(first, 0)
    total = sums[supply, last] - np.where(has_first, sums[supply, first], 0.0)
    count = counts[supply, last] - np.where(has_first, counts[supply, first], 0)
    return total / np.maximum(count, 1)


def _realised_magnitudes(events: Events, recorded: np.ndarray, normal: np.ndarray) -> None:
    """Single-month multipliers as recorded, after the register cap (a huge error can be capped)."""
    single = np.flatnonzero(np.isin(events.tipo, [PICO, X10, DECIMAL]))
    s, m = events.supply[single], events.start[single]
    events.magnitude[single] = recorded[s, m] / normal[s, m]


# -- truth table ---------------------------------------------------------------------------------------------
def anomalias_table(events: Events, pop: Population, calendar: Calendar) -> pa.Table:
    periods = pa.array(calendar.periods)
    start, end = periods.take(pa.array(events.start)), periods.take(pa.array(events.end))
    magnitude = np.round(events.magnitude, 3)
    mag_text = text.decimals(magnitude, 3, valid=~np.isnan(magnitude))
    pct = text.integers(np.round(100 * np.nan_to_num(1 - events.magnitude)))
    months = text.integers(events.end - events.start + 1)
    original = text.codes(OPCIONES, pop.opcion[events.supply])
    wrong = text.codes(OPCIONES, np.maximum(events.wrong_option, 0))
    details = [
        text.join("consumo x", mag_text, " en un mes"),
        text.join("consumo x", mag_text, " en un mes (error de factor)"),
        text.join("consumo x", mag_text, " en un mes (punto decimal desplazado)"),
        text.join("caida de ", pct, "% tras ", text.integers(events.ramp), " meses de descenso"),
        text.join("consumo cero durante ", months, " meses con el suministro activo"),
        text.join(text.integers(events.end - events.start), " lecturas estimadas al ",
                  text.integers(np.round(100 * np.nan_to_num(events.magnitude))), "% del promedio y recupero en ", end),
        text.join("opcion ", original, " facturada como ", wrong),
        pc.if_else(pa.array(events.demand_x10), pa.scalar("demanda x10"),
                   text.join("demanda con factor de carga ", text.decimals(events.impossible_load_factor, 2),
                             " (mayor que 1)")),
        text.join("descenso gradual hasta ", pct, "% menos en ", months, " meses"),
        text.join("consumo al ", text.integers(np.round(100 * np.nan_to_num(events.magnitude))), "% durante ", months,
                  " meses con el suministro activo"),
        text.join("lectura ", text.integers(np.round(-100 * np.nan_to_num(events.magnitude))),
                  "% de un mes por debajo de la anterior y recupero al mes siguiente"),
    ]
    columns = {
        "id_anomalia": text.ids("AN", pop.num[events.supply], 9),
        "tipo": text.codes(TIPOS_ANOMALIA, events.tipo),
        "id_suministro": supply_ids(pop).take(pa.array(events.supply)),
        "anio_mes_inicio": start,
        "anio_mes_fin": end,
        "magnitud": mag_text,
        "detalle": pc.choose(pa.array(events.tipo.astype(np.int8)), *details),
    }
    return text.table(columns, ANOMALIA_COLUMNS)
