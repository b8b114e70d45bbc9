"""Smart meters (AMI): who has one, the 15-minute intervals they record and the events they log.

Who: every supply whose meter in place is on a demand option (``cfg.opciones_ami``: a maximum demand integrated over
15 minutes needs a load profile), and the residential BT5-I pilot: a share of residential BT5B supplies with an
electronic meter, switched on month by month from ``cfg.inicio_piloto``. RAW holds their data from
``cfg.intervalos_desde`` on, one delivery per calendar month.

Intervals (``lectura_intervalo``): a billing period's energy is spread over its days by the class's weekday weights, and
each day's over its 96 intervals by the class's typical day (its always-on base plus its appliance load, which varies
month to month) with lognormal noise, so the intervals between two readings sum to the register difference (to the
rounding of each value to Wh), and 4 x the period's largest interval is the maximum demand the register records (the
same meter integrates both). The energy is what the meter measured: the register's, except where the register reading is
wrong while the meter measured right (a misread spike, a factor or decimal error, a reading typed below the previous
one, an estimated reading and the catch-up after it, a demand register that records the wrong kW): there the intervals
hold the real consumption and demand, and their disagreement with the register is a signal. Tampering that slows or
bypasses the meter (a drop, near zero, a slow decline) lowers both. A bypass (``cfg.tipos_derivacion``) takes circuits
off the meter, the appliance load first, so the day it records flattens and its night/day ratio rises; a slow meter
keeps the shape. An empty home keeps only its base load too: the same flat day, legitimately.

What collection really does, each case listed in truth/suciedad.csv: feeder interruptions (every smart meter of the
sector records zeros and logs CORTE_ENERGIA / RESTABLECIMIENTO_ENERGIA: legitimate, within the register's energy),
communication gaps (missing intervals, or up to ``hueco_max_estimado`` filled by the head-end with calidad ESTIMADO;
COMUNICACION_PERDIDA / COMUNICACION_RESTABLECIDA), a day sent twice, a clock running minutes fast for some days
(timestamps off the 15-minute grid; ERROR_RELOJ) and runs of zeros while the register kept counting (a profile
recorder fault).

Events (``evento_medidor``): those above, tamper codes at background rates, and a burst of tamper codes when an
anomaly of ``cfg.tipos_manipulacion`` starts on a smart meter (with ``prob_rastro_manipulacion``), each such event
linked to its anomaly in truth/eventos_anomalia.csv.

Every draw comes from a stream of the seed, the chunk and the absolute month (feeder interruptions: the seed and the
month, shared by every chunk), so a month's files are the same whether the lake was generated to it or extended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lds_utils import config
from lds_utils.lake.schema import column_names
from lds_utils.synthetic import text
from lds_utils.synthetic.catalog import (STREAM_AMI, STREAM_AMI_MONTH, STREAM_AMI_NOISE, STREAM_OUTAGE, Calendar,
                                        rng_for)
from lds_utils.synthetic.consumption import Consumption
from lds_utils.synthetic.population import ANCHO_SUMINISTRO, CLASES, RESIDENCIAL, TIPOS_MEDIDOR, Population, meter_ids
from lds_utils.synthetic.settings import (CODIGOS_EVENTO, OPCIONES, TIPOS_ANOMALIA, TIPOS_SUCIEDAD_INTERVALO,
                                          GeneratorConfig)

INTERVALOS_DIA = 96
SEGUNDOS_INTERVALO = 900
CALIDADES = ("VALIDO", "ESTIMADO")
CORTE, RESTABLECIMIENTO, COMUNICACION_PERDIDA, COMUNICACION_RESTABLECIDA, ERROR_RELOJ = (
    CODIGOS_EVENTO.index(code) for code in ("CORTE_ENERGIA", "RESTABLECIMIENTO_ENERGIA", "COMUNICACION_PERDIDA",
                                            "COMUNICACION_RESTABLECIDA", "ERROR_RELOJ"))
HUECO, DIA_REENVIADO, RELOJ, RACHA_CEROS = TIPOS_SUCIEDAD_INTERVALO
#: Register readings that are wrong while the meter measured right: the intervals keep the real consumption.
NO_MEDIDAS = tuple(TIPOS_ANOMALIA.index(tipo) for tipo in
                   ("PICO", "MULTIPLICADOR_X10", "DESPLAZAMIENTO_DECIMAL", "ESTIMADA_RECUPERO", "REGISTRO_RETROCEDE"))
SIN_DIA = np.iinfo(np.int64).max
EVENTO_ANOMALIA_COLUMNS = ["id_evento", "id_anomalia"]

# Typical day per consumption class (CLASES order), hourly weights; APPROX (Lima: the residential evening peak falls
# in the 18-23 h punta window of lds_utils/synthetic/reference.yaml; shops and industry work by day; street lights
# burn at night).
_HORAS = np.array([
    [0.45, 0.4, 0.4, 0.4, 0.42, 0.5, 0.8, 1.0, 0.9, 0.75, 0.7, 0.7, 0.75, 0.75, 0.7, 0.7, 0.75, 0.9, 1.5, 1.8, 1.8,
     1.6, 1.3, 0.8],
    [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.35, 0.5, 0.9, 1.4, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.4, 1.2, 0.9,
     0.5, 0.35],
    [0.4, 0.4, 0.4, 0.4, 0.4, 0.45, 0.7, 1.4, 1.5, 1.5, 1.5, 1.5, 1.3, 1.5, 1.5, 1.5, 1.5, 1.4, 1.1, 0.9, 0.9, 0.8,
     0.6, 0.45],
    [0.7, 0.7, 0.7, 0.7, 0.7, 0.75, 0.9, 1.2, 1.3, 1.3, 1.3, 1.3, 1.2, 1.3, 1.3, 1.3, 1.3, 1.2, 1.1, 1.0, 1.0, 0.95,
     0.85, 0.75],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.6, 1.0, 1.0, 1.0,
     1.0, 1.0],
])
FORMA_DIA = np.repeat(_HORAS, 4, axis=1) / np.repeat(_HORAS, 4, axis=1).sum(axis=1, keepdims=True)
# Each class's always-on base (its lowest interval) and the appliance load above it
BASE_DIA = FORMA_DIA.min(axis=1, keepdims=True)
ARTEFACTOS_DIA = FORMA_DIA - BASE_DIA
# Weekday weights Monday..Sunday per class; APPROX (homes use more at weekends, shops and industry less).
PESO_DIA_SEMANA = np.array([
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.08, 1.12],
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.55],
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.4],
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.6],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
])
# Cumulative weekday weights over two weeks from Monday, to sum any run of days from any weekday.
_SEMANA_ACUMULADA = np.concatenate([np.zeros((len(CLASES), 1)), np.cumsum(np.tile(PESO_DIA_SEMANA, 2), axis=1)],
                                   axis=1)


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 for days since 1970-01-01 (a Thursday)."""
    return (np.asarray(days) + 3) % 7


def weekday_weight_sum(clase: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Sum of the class's weekday weights over the days start..end-1."""
    length = np.maximum(end - start, 0)
    first = weekday(start)
    whole_weeks = length // 7
    rest = length % 7
    return (whole_weeks * PESO_DIA_SEMANA[clase].sum(axis=-1)
            + _SEMANA_ACUMULADA[clase, first + rest] - _SEMANA_ACUMULADA[clase, first])


@dataclass
class SmartMeters:
    """Which supplies of a chunk send intervals, and when."""

    pilot_day: np.ndarray  # [supply] day the pilot meter starts sending; SIN_DIA when not in the pilot
    demand_meter: np.ndarray  # [supply, 2] the first / replacement meter is on an AMI option
    tan_phi: np.ndarray  # [supply] kVArh per kWh (billed on the demand options only)
    sigma: np.ndarray  # [supply] noise of the 15-minute values


def smart_meters(cfg: GeneratorConfig, pop: Population) -> SmartMeters:
    rng = rng_for(cfg, STREAM_AMI, pop.chunk)
    size = pop.n_supplies
    on_ami_option = np.isin(np.arange(len(OPCIONES)), [OPCIONES.index(code) for code in cfg.opciones_ami])
    second_option = np.where(pop.cambia_opcion, pop.opcion_nueva, pop.opcion)
    demand_meter = np.stack([on_ami_option[pop.opcion], on_ami_option[second_option]], axis=1)
    # The pilot's meters are the electronic ones (a communication module): its share is of every residential supply.
    eligible = ((pop.tipo == RESIDENCIAL) & (pop.opcion == OPCIONES.index("BT5B")) & ~pop.cambia_opcion
                & (pop.tipo_medidor[:, 0] == TIPOS_MEDIDOR.index("ELECTRONICO")))
    share = min(1.0, cfg.cuota_piloto_residencial / max(1.0 - cfg.cuota_electromecanico, 1e-9))
    joins, month, day = rng.random(size), rng.integers(0, cfg.meses_despliegue_piloto, size), rng.integers(0, 28, size)
    first_month = np.datetime64(cfg.inicio_piloto, "M")
    start = ((first_month + month).astype("datetime64[D]") - text.EPOCH).astype(np.int64) + day
    pilot_day = np.where(eligible & (joins < share), start, SIN_DIA)
    tan_phi = rng.uniform(*cfg.tangente_fi, size)
    sigma = np.array([dict(cfg.ruido_intervalo)[c] for c in CLASES])[pop.clase]
    return SmartMeters(pilot_day, demand_meter, tan_phi, sigma)


@dataclass
class MonthData:
    """One chunk's AMI files of one month and their truth."""

    intervalos: pa.Table
    eventos: pa.Table
    suciedad: pa.Table  # SUCIEDAD_COLUMNS
    eventos_anomalia: pa.Table  # EVENTO_ANOMALIA_COLUMNS


@dataclass
class _Grid:
    """The month's smart-meter days: supplies (rows of the chunk) x days, their energy and its 15-minute shares."""

    supply: np.ndarray  # [n] chunk rows with at least one interval in the month
    days: np.ndarray  # [d] days since epoch
    valid: np.ndarray  # [n, d] the meter sent this day
    second: np.ndarray  # [n, d] the replacement meter is in place
    day_kwh: np.ndarray  # [n, d]
    peak_kwh: np.ndarray  # [n, d] the largest interval of the day's billing period: its real maximum demand / 4
    peak_day: np.ndarray  # [n, d] the day holds its billing period's largest interval
    load_kept: np.ndarray  # [n, d] share of the usual load the meter still sees (Consumption.load_kept)
    share: np.ndarray | None  # [n, d, 96] each interval's share of its day (sums to 1), when computed

    def flat_seconds(self, flat: np.ndarray) -> np.ndarray:
        """Seconds since epoch of a flat interval index of the month (day x 96 + slot)."""
        return self.days[flat // INTERVALOS_DIA] * 86_400 + flat % INTERVALOS_DIA * SEGUNDOS_INTERVALO


def feeder_outages(cfg: GeneratorConfig, n_sectors: int, month: int,
                   n_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interruptions of an absolute month: (sector, first flat interval, intervals), the same for every chunk."""
    rng = rng_for(cfg, STREAM_OUTAGE, 0, month)
    count = rng.poisson(cfg.cortes_por_sector_mes, n_sectors)
    sector = np.repeat(np.arange(n_sectors), count)
    start = rng.integers(0, n_days * INTERVALOS_DIA, len(sector))
    length = rng.integers(cfg.duracion_corte_intervalos[0], cfg.duracion_corte_intervalos[1] + 1, len(sector))
    return sector, start, np.minimum(length, n_days * INTERVALOS_DIA - start)


def month_data(cfg: GeneratorConfig, calendar: Calendar, pop: Population, cons: Consumption, meters: SmartMeters,
               n_sectors: int, column: int, values: bool = True) -> MonthData:
    """The intervals, events and truth of calendar column ``column`` for one chunk.

    Without ``values`` the intervals are not computed (an empty table): the events and the truth are the same, for
    an extension that rewrites the truth of months it does not deliver again.
    """
    month = config.month_index(calendar.periods[column])
    draws = rng_for(cfg, STREAM_AMI_MONTH, pop.chunk, month)
    grid = _grid(calendar, pop, cons, meters, column)
    outages = feeder_outages(cfg, n_sectors, month, len(grid.days))
    events = [_outage_events(grid, pop, outages, draws)]
    rows = None
    if values:
        _add_shares(cfg, grid, pop, meters, outages, rng_for(cfg, STREAM_AMI_NOISE, pop.chunk, month))
        rows = _Rows.from_grid(grid, meters)
    truths = []
    for process in (_zero_runs, _gaps, _clock_shifts, _resent_days):
        rows, found, logged = process(cfg, draws, pop, grid, rows)
        truths.append(found)
        events.append(logged)
    events.append(_background_events(cfg, draws, grid))
    events.append(_tamper_bursts(cfg, pop, cons, grid))
    return _month_tables(pop, grid, rows, _Events.concat(events), truths, month)


def _grid(calendar: Calendar, pop: Population, cons: Consumption, meters: SmartMeters, column: int) -> _Grid:
    days = calendar.month_start[column] + np.arange(calendar.days_in_month[column])
    connected = (days >= pop.conexion[:, None]) & ((pop.baja[:, None] < 0) | (days < pop.baja[:, None]))
    second = pop.reemplaza_medidor[:, None] & (days >= pop.evento_fecha[:, None])
    on_ami = np.where(second, meters.demand_meter[:, 1:2], meters.demand_meter[:, 0:1]) | (
        days >= meters.pilot_day[:, None])
    period, start, end = _billing_period(calendar, cons, days, column)
    valid = connected & on_ami & (period >= 0)
    supply = np.flatnonzero(valid.any(axis=1))
    valid, second, period, start, end = (a[supply] for a in (valid, second, period, start, end))

    column = supply[:, None], np.maximum(period, 0)
    energy, load_kept = (values[column] for values in _measured(cons))
    clase = pop.clase[supply][:, None]
    day_kwh = np.where(valid, energy * PESO_DIA_SEMANA[clase, weekday(days)[None, :]]
                       / np.maximum(weekday_weight_sum(clase, start, end), 1e-12), 0.0)
    peak_kwh = energy / np.maximum(cons.days[column], 1) / (24 * cons.load_factor[column]) / 4
    # the period's first day of the class's heaviest weekday: the period's heaviest day (periods last a week or more)
    heaviest = np.argmax(PESO_DIA_SEMANA, axis=1)[clase]
    peak_day = days[None, :] == start + (heaviest - weekday(start)) % 7
    return _Grid(supply, days, valid, second, day_kwh, peak_kwh, peak_day, load_kept, None)


def _add_shares(cfg: GeneratorConfig, grid: _Grid, pop: Population, meters: SmartMeters, outages, rng) -> None:
    """Each interval's share of its day: the supply's day shape (``_day_shape``) with lognormal noise, zero while the
    feeder is out (the day's energy goes to its other intervals: the register saw the same)."""
    activity = np.exp(rng.standard_normal(len(grid.supply)) * cfg.ruido_actividad_mensual)
    noise = np.exp(rng.standard_normal((len(grid.supply), len(grid.days), INTERVALOS_DIA))
                   * meters.sigma[grid.supply][:, None, None])
    share = _day_shape(pop.clase[grid.supply], activity, grid.load_kept) * noise
    flat = share.reshape(len(grid.supply), -1)
    for rows, first, size in _outage_hits(grid, pop, outages):
        flat[np.ix_(rows, np.arange(first, first + size))] = 0.0
    total = share.sum(axis=2, keepdims=True)
    np.divide(share, total, out=share, where=total > 0)
    grid.share = _fit_peak(share, grid)


def _day_shape(clase: np.ndarray, activity: np.ndarray, load_kept: np.ndarray) -> np.ndarray:
    """[n, d, 96] unnormalised day shape: the class's always-on base (its lowest hour) plus its appliance load times
    the month's ``activity``; the load a bypass or an empty home takes off (1 - ``load_kept``) leaves the appliance
    load first, so such a day flattens (once the appliance load is gone, what is left is the flat base)."""
    base = BASE_DIA[clase][:, None, :]
    appliances = ARTEFACTOS_DIA[clase] * activity[:, None]
    appliance_share = appliances.sum(axis=1) / (appliances.sum(axis=1) + base[:, 0, 0] * INTERVALOS_DIA)
    taken = np.minimum((1 - load_kept) / np.maximum(appliance_share, 1e-12)[:, None], 1.0)
    return base + appliances[:, None, :] * (1 - taken)[..., None]


def _fit_peak(share: np.ndarray, grid: _Grid) -> np.ndarray:
    """Shares whose billing period peaks at the register's maximum demand: a smart meter integrates both from the
    same measurement. Each day's intervals above the peak are cut to it, the excess going to the day's other non-zero
    intervals in proportion to their room below it; then the peak day's largest interval is raised to the peak, the
    rest of that day scaled down. A day whose energy cannot fit under the peak keeps its shape."""
    energy = grid.day_kwh > 0
    cap = np.divide(grid.peak_kwh, grid.day_kwh, out=np.ones_like(grid.day_kwh), where=energy)[..., None]
    over = share > cap
    room = np.where(~over & (share > 0), cap - share, 0.0)
    excess = np.where(over, share - cap, 0.0).sum(axis=2, keepdims=True)
    total_room = room.sum(axis=2, keepdims=True)
    fits = total_room >= excess
    cut = np.where(over, cap, share + excess * np.divide(room, total_room, out=np.zeros_like(room),
                                                          where=total_room > 0))
    share = np.where(fits, cut, share)

    row, day = np.nonzero(grid.peak_day & grid.valid & energy)
    top = share[row, day].argmax(axis=1)
    largest, peak = share[row, day, top], cap[row, day, 0]
    raise_ = (largest < peak) & (peak < 1) & fits[row, day, 0]
    row, day, top, largest, peak = (a[raise_] for a in (row, day, top, largest, peak))
    share[row, day] *= ((1 - peak) / (1 - largest))[:, None]
    share[row, day, top] = peak
    return share


def _outage_hits(grid: _Grid, pop: Population, outages):
    """(grid rows of the sector sending that day, first flat interval, intervals) per interruption."""
    sector_of_row = pop.sector[grid.supply]
    for where, first, size in zip(*outages):
        yield np.flatnonzero((sector_of_row == where) & grid.valid[:, first // INTERVALOS_DIA]), first, size


def _outage_events(grid: _Grid, pop: Population, outages, rng) -> _Events:
    """CORTE_ENERGIA and RESTABLECIMIENTO_ENERGIA on every smart meter of the sector that sends that day."""
    parts = [_Events.empty()]
    for rows, first, size in _outage_hits(grid, pop, outages):
        at = grid.flat_seconds(np.array([first]))[0] + rng.integers(0, SEGUNDOS_INTERVALO, len(rows))
        parts += [_Events(rows, at, np.full(len(rows), CORTE)),
                  _Events(rows, at + size * SEGUNDOS_INTERVALO, np.full(len(rows), RESTABLECIMIENTO))]
    return _Events.concat(parts)


def _billing_period(calendar: Calendar, cons: Consumption, days: np.ndarray, column: int):
    """[supply, day]: the billing column whose period holds the day (-1 when none), and that period's first day and
    closing day. After the last simulated reading a day takes the last period's rate."""
    def holds(k):
        close = cons.close_date[:, k][:, None]
        first = close - cons.days[:, k][:, None]
        return cons.closing[:, k][:, None] & (days >= first) & (days < close), first, close

    this, first_this, close_this = holds(column)
    if column + 1 < calendar.n_months:
        following, first_next, close_next = holds(column + 1)
        next_column = column + 1
    else:
        following, first_next, close_next, next_column = cons.closing[:, column][:, None] & (
            days >= close_this), first_this, close_this, column
    period = np.where(this, column, np.where(following, next_column, -1))
    return period, np.where(this, first_this, first_next), np.where(this, close_this, close_next)


def _measured(cons: Consumption) -> tuple[np.ndarray, np.ndarray]:
    """[supply, column] kWh the meter measured in each billing period, and the share of the usual load it saw."""
    estimated_before = np.zeros_like(cons.estimated)
    estimated_before[:, 1:] = cons.estimated[:, :-1]
    register_wrong = np.isin(cons.anomaly, NO_MEDIDAS) | cons.estimated | estimated_before
    # an anomaly's period measured whole (cons.normal) saw the whole load; an empty home's normal is already low
    return (np.where(register_wrong, cons.normal, cons.recorded),
            np.where(register_wrong & (cons.anomaly >= 0), 1.0, cons.load_kept))


@dataclass
class _Rows:
    """Interval rows as flat arrays, in (supply, day, interval) order until a process appends rows."""

    grid_row: np.ndarray  # row of grid.supply
    flat: np.ndarray  # interval of the month: day x 96 + slot
    kwh: np.ndarray
    kvarh: np.ndarray  # nan where reactive energy is not billed
    estimated: np.ndarray
    minutes_fast: np.ndarray  # the clock's error, minutes

    @staticmethod
    def from_grid(grid: _Grid, meters: SmartMeters) -> "_Rows":
        row, day = np.nonzero(grid.valid)
        slot = np.tile(np.arange(INTERVALOS_DIA), len(row))
        row, day = np.repeat(row, INTERVALOS_DIA), np.repeat(day, INTERVALOS_DIA)
        kwh = grid.day_kwh[row, day] * grid.share[row, day, slot]
        supply = grid.supply[row]
        on_demand_option = np.where(grid.second[row, day], meters.demand_meter[supply, 1],
                                    meters.demand_meter[supply, 0])
        kvarh = np.where(on_demand_option, kwh * meters.tan_phi[supply], np.nan)
        return _Rows(row, day * INTERVALOS_DIA + slot, kwh, kvarh, np.zeros(len(row), bool),
                     np.zeros(len(row), np.int64))

    def take(self, index) -> "_Rows":
        return _Rows(**{name: getattr(self, name)[index] for name in _Rows.__dataclass_fields__})

    def append(self, other: "_Rows") -> "_Rows":
        return _Rows(**{name: np.concatenate([getattr(self, name), getattr(other, name)])
                        for name in _Rows.__dataclass_fields__})

    def in_runs(self, n_grid: int, run_rows: np.ndarray, first: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Which rows fall in one of the runs (at most one run per grid row)."""
        start = np.full(n_grid, -1, np.int64)
        stop = np.full(n_grid, -1, np.int64)
        start[run_rows], stop[run_rows] = first, first + length
        return (self.flat >= start[self.grid_row]) & (self.flat < stop[self.grid_row])


@dataclass
class _Events:
    grid_row: np.ndarray
    second: np.ndarray  # seconds since epoch
    code: np.ndarray
    anomaly: np.ndarray | None = None  # chunk row of the supply whose anomaly a tamper burst belongs to, else -1

    def __post_init__(self):
        if self.anomaly is None:
            self.anomaly = np.full(len(self.grid_row), -1, np.int64)

    @staticmethod
    def concat(parts: list["_Events"]) -> "_Events":
        names = ("grid_row", "second", "code", "anomaly")
        return _Events(*(np.concatenate([getattr(p, name) for p in parts]).astype(np.int64) for name in names))

    @staticmethod
    def empty() -> "_Events":
        return _Events(*(np.zeros(0, np.int64) for _ in range(3)))


def _runs(rng, grid: _Grid, probability: float, length: tuple[int, int]):
    """Per grid supply, with ``probability``: a run of ``length`` intervals (log-uniform: short runs are the common
    ones) from a random interval of a day it sent, cut at the month's end. Returns (grid rows, first flat interval,
    length)."""
    size = len(grid.supply)
    hit, u = rng.random(size) < probability, rng.random(size)
    draw = np.floor(np.exp(rng.uniform(np.log(length[0]), np.log(length[1] + 1), size))).astype(np.int64)
    rows = np.flatnonzero(hit)
    sent = grid.valid[rows]
    nth = np.floor(u[rows] * sent.sum(axis=1) * INTERVALOS_DIA).astype(np.int64)
    # the (nth // 96)-th day sent: the first day whose running count of days sent passes it
    day = np.argmax(np.cumsum(sent, axis=1) > (nth // INTERVALOS_DIA)[:, None], axis=1)
    first = day * INTERVALOS_DIA + nth % INTERVALOS_DIA
    return rows, first, np.minimum(draw[rows], len(grid.days) * INTERVALOS_DIA - first)


def _truth(pop: Population, grid: _Grid, run_rows, first, kind: str, detail: pa.Array) -> pa.Table:
    second = grid.second[run_rows, first // INTERVALOS_DIA]
    meter = meter_ids(pop, grid.supply[run_rows], second.astype(np.int64) + 1)
    size = len(run_rows)
    return pa.table({"tabla": pa.repeat(pa.scalar("lectura_intervalo"), size),
                     "id": text.join(meter, "|", _timestamps(grid.flat_seconds(first))),
                     "tipo_suciedad": pa.repeat(pa.scalar(kind), size), "detalle": detail})


def _zero_runs(cfg, rng, pop, grid, rows: _Rows | None):
    run_rows, first, length = _runs(rng, grid, cfg.prob_racha_ceros, (INTERVALOS_DIA, 3 * INTERVALOS_DIA))
    if rows is not None:
        zero = rows.in_runs(len(grid.supply), run_rows, first, length)
        rows.kwh[zero] = 0.0
        rows.kvarh[zero & ~np.isnan(rows.kvarh)] = 0.0
    detail = text.join(text.integers(length), " intervalos en cero con el registro avanzando")
    return rows, _truth(pop, grid, run_rows, first, RACHA_CEROS, detail), _Events.empty()


def _gaps(cfg, rng, pop, grid, rows: _Rows | None):
    run_rows, first, length = _runs(rng, grid, cfg.prob_hueco_mes, cfg.duracion_hueco_intervalos)
    filled_by_head_end = length <= cfg.hueco_max_estimado
    if rows is not None:
        inside = rows.in_runs(len(grid.supply), run_rows, first, length)
        short = np.zeros(len(grid.supply), bool)
        short[run_rows] = filled_by_head_end
        filled = inside & short[rows.grid_row]
        rows.estimated[filled] = True
        rows = rows.take(np.flatnonzero(~inside | filled))
    detail = pc.if_else(pa.array(filled_by_head_end),
                        text.join(text.integers(length), " intervalos estimados por el sistema de lectura"),
                        text.join(text.integers(length), " intervalos faltantes"))
    lost = grid.flat_seconds(first) + rng.integers(0, SEGUNDOS_INTERVALO, len(first))
    events = _Events.concat([_Events(run_rows, lost, np.full(len(run_rows), COMUNICACION_PERDIDA)),
                             _Events(run_rows, lost + length * SEGUNDOS_INTERVALO,
                                     np.full(len(run_rows), COMUNICACION_RESTABLECIDA))])
    return rows, _truth(pop, grid, run_rows, first, HUECO, detail), events


def _clock_shifts(cfg, rng, pop, grid, rows: _Rows | None):
    run_rows, first, length = _runs(rng, grid, cfg.prob_reloj_desfasado, (INTERVALOS_DIA, 5 * INTERVALOS_DIA))
    minutes = rng.integers(1, 15, len(run_rows))
    if rows is not None:
        fast = np.zeros(len(grid.supply), np.int64)
        fast[run_rows] = minutes
        shifted = rows.in_runs(len(grid.supply), run_rows, first, length)
        rows.minutes_fast[shifted] = fast[rows.grid_row[shifted]]
    detail = text.join("reloj adelantado ", text.integers(minutes), " minutos durante ", text.integers(length),
                       " intervalos")
    events = _Events(run_rows, grid.flat_seconds(first), np.full(len(run_rows), ERROR_RELOJ))
    return rows, _truth(pop, grid, run_rows, first, RELOJ, detail), events


def _resent_days(cfg, rng, pop, grid, rows: _Rows | None):
    run_rows, first, _ = _runs(rng, grid, cfg.prob_dia_reenviado, (1, 1))
    first = first - first % INTERVALOS_DIA  # the whole day
    if rows is not None:
        again = rows.in_runs(len(grid.supply), run_rows, first, np.full(len(run_rows), INTERVALOS_DIA))
        rows = rows.append(rows.take(np.flatnonzero(again)))
    detail = pa.repeat(pa.scalar("dia enviado dos veces por el sistema de lectura"), len(run_rows))
    return rows, _truth(pop, grid, run_rows, first, DIA_REENVIADO, detail), _Events.empty()


def _background_events(cfg, rng, grid: _Grid) -> _Events:
    """Tamper codes at their background rates per meter-month, at a random moment of a day the meter sent."""
    days_sent = grid.valid.sum(axis=1)
    share_of_month = days_sent / len(grid.days)
    parts = [_Events.empty()]
    for code, rate in cfg.tasas_eventos_fondo:
        count = rng.poisson(rate * share_of_month)
        rows = np.repeat(np.arange(len(grid.supply)), count)
        nth = np.floor(rng.random(len(rows)) * days_sent[rows]).astype(np.int64)
        day = np.argmax(np.cumsum(grid.valid[rows], axis=1) > nth[:, None], axis=1)
        moment = grid.days[day] * 86_400 + rng.integers(0, 86_400, len(rows))
        parts.append(_Events(rows, moment, np.full(len(rows), CODIGOS_EVENTO.index(code))))
    return _Events.concat(parts)


def tamper_bursts(cfg: GeneratorConfig, pop: Population, cons: Consumption) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]:
    """Every tamper burst of a chunk: (chunk row of the supply, seconds since epoch, code), drawn once per chunk.

    An anomaly of ``cfg.tipos_manipulacion`` leaves, with ``prob_rastro_manipulacion``, a burst of tamper codes in the
    first days of its first billing period (whether a smart meter was there to log it is decided per month)."""
    rng = rng_for(cfg, STREAM_AMI, pop.chunk, 1)
    events = cons.events
    kinds = [TIPOS_ANOMALIA.index(tipo) for tipo in cfg.tipos_manipulacion]
    size = len(events.supply)
    logged, count = rng.random(size) < cfg.prob_rastro_manipulacion, rng.integers(
        cfg.eventos_por_manipulacion[0], cfg.eventos_por_manipulacion[1] + 1, size)
    when = rng.random(size)
    chosen = np.flatnonzero(np.isin(events.tipo, kinds) & logged)
    supply, column = events.supply[chosen], events.start[chosen]
    days = cons.days[supply, column]
    first_day = cons.close_date[supply, column] - days
    moment = (first_day + np.floor(when[chosen] * np.minimum(days, 5))) * 86_400
    repeat = count[chosen]
    supply, moment = np.repeat(supply, repeat), np.repeat(moment, repeat)
    moment = moment.astype(np.int64) + rng.integers(0, 2 * 86_400, len(supply))
    codes, shares = zip(*cfg.mezcla_eventos_manipulacion)
    code = np.array([CODIGOS_EVENTO.index(c) for c in codes])[rng.choice(len(codes), len(supply), p=shares)]
    return supply, moment, code


def _tamper_bursts(cfg, pop, cons, grid: _Grid) -> _Events:
    supply, moment, code = tamper_bursts(cfg, pop, cons)
    row_of_supply = np.full(pop.n_supplies, -1, np.int64)
    row_of_supply[grid.supply] = np.arange(len(grid.supply))
    day = moment // 86_400 - grid.days[0]
    row = row_of_supply[supply]
    here = (day >= 0) & (day < len(grid.days)) & (row >= 0)
    here[here] = grid.valid[row[here], day[here]]
    return _Events(row[here], moment[here], code[here], supply[here])


def _month_tables(pop: Population, grid: _Grid, rows: _Rows, events: _Events, truths: list[pa.Table],
                  month: int) -> MonthData:
    intervalos = _interval_table(pop, grid, rows)
    order = np.lexsort((events.code, events.second, events.grid_row))
    row, moment, code, anomaly = (a[order] for a in (events.grid_row, events.second, events.code, events.anomaly))
    starts = np.searchsorted(row, row, side="left")
    sequence = np.arange(len(row)) - starts
    if len(sequence) and sequence.max() >= 1000:
        raise ValueError("more than 999 meter events of one meter in a month")
    event_supply = grid.supply[row]
    day = np.clip(moment // 86_400 - grid.days[0], 0, len(grid.days) - 1)
    event_second = grid.second[row, day].astype(np.int64)
    id_evento = text.ids("EV", pop.num[event_supply], ANCHO_SUMINISTRO, suffix=month * 1000 + sequence)
    eventos = text.table({
        "id_evento": id_evento,
        "id_medidor": meter_ids(pop, event_supply, event_second + 1),
        "fecha_hora": _timestamps(moment),
        "codigo_evento": text.codes(CODIGOS_EVENTO, code),
    }, column_names("evento_medidor"))
    linked = np.flatnonzero(anomaly >= 0)
    links = pa.table({"id_evento": id_evento.take(pa.array(linked)),
                      "id_anomalia": text.ids("AN", pop.num[anomaly[linked]], 9)})
    return MonthData(intervalos, eventos, pa.concat_tables(truths), links)


def _interval_table(pop: Population, grid: _Grid, rows: _Rows | None) -> pa.Table:
    names = column_names("lectura_intervalo")
    if rows is None:
        return pa.table({name: pa.array([], pa.string()) for name in names})
    supply = grid.supply[rows.grid_row]
    second = grid.second[rows.grid_row, rows.flat // INTERVALOS_DIA].astype(np.int64)
    return text.table({
        "id_medidor": meter_ids(pop, supply, second + 1),
        "fecha_hora": _timestamps(grid.flat_seconds(rows.flat) + rows.minutes_fast * 60),
        "energia_kwh": text.decimals(rows.kwh, 3),
        "energia_reactiva_kvarh": text.decimals(np.nan_to_num(rows.kvarh), 3, valid=~np.isnan(rows.kvarh)),
        "calidad": text.codes(CALIDADES, rows.estimated.astype(np.int64)),
    }, names)


def _timestamps(seconds: np.ndarray) -> pa.Array:
    """Seconds since epoch -> 'YYYY-MM-DD HH:MM:SS'."""
    return pc.cast(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), pa.string())
