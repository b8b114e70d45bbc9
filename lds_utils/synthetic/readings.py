"""Meter registers and the reading rows (acumulado).

Each meter shows an integer register (kWh / factor) that starts at a random value and wraps at
10^digits. SILVER recovers consumption as (reading - previous reading) x factor, unwrapping a
negative difference d as a rollover when d + 10^digits < 10^digits / 2. The generator guarantees
every real advance is below half the register (``tope_avance_registro``), so that rule is exact.

Rows per supply: an opening reading (a REAL reading in the month before ``desde_datos`` for supplies
connected earlier, or the INSTALACION reading of a new connection), one REAL/ESTIMADA reading per
billing month, a RETIRO reading at disconnection (it replaces that month's route reading), and on a
meter replacement a RETIRO of the old meter plus an INSTALACION of the new one on the same date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lds_utils.lake.schema import column_names
from lds_utils.synthetic import text
from lds_utils.synthetic.catalog import STREAM_CONSUMPTION, Calendar, rng_for
from lds_utils.synthetic.consumption import Consumption
from lds_utils.synthetic.population import ANCHO_SUMINISTRO, DOBLE, Population, meter_ids
from lds_utils.synthetic.settings import GeneratorConfig

REGISTROS_POR_DIA = 96  # 15-minute records (metering.interval_minutes)
TIPOS_LECTURA = ("INSTALACION", "REAL", "ESTIMADA", "RETIRO")
INSTALACION, REAL, ESTIMADA, RETIRO = range(4)
# Reading number = supply number x 10^4 + month x 4 + slot: unique per supply, independent of the chunk.
SLOT_INSTALACION, SLOT_RETIRO_REEMPLAZO, SLOT_INSTALACION_REEMPLAZO, SLOT_CIERRE = range(4)


@dataclass
class Registers:
    """Unwrapped register advance (in register units since the meter started) per supply and month."""

    total: np.ndarray  # [supply, month] floor of the cumulative units of the meter in place at the reading
    hp: np.ndarray
    second_meter: np.ndarray  # [supply, month] the reading is taken on the replacement meter
    cut_total: np.ndarray  # [supply] units on the old meter at its RETIRO (replaced supplies)
    cut_hp: np.ndarray
    recorded_kwh: np.ndarray  # [supply, month] kWh the registers show for the billing month (x factor)


def build_registers(pop: Population, cons: Consumption) -> Registers:
    size, months = cons.recorded.shape
    factor = pop.factor[:, None].astype(float)
    cumulative = np.cumsum(np.where(cons.closing, cons.recorded, 0.0) / factor, axis=1)
    cumulative_hp = np.cumsum(np.where(cons.closing, cons.recorded * cons.hp_share, 0.0) / factor, axis=1)

    replaced = np.flatnonzero(pop.reemplaza_medidor)
    month = pop.evento_mes[replaced]
    share = (pop.evento_fecha[replaced] - (cons.close_date - cons.days)[replaced, month]) / cons.days[replaced, month]
    cut_total = np.zeros(size)
    cut_hp = np.zeros(size)
    cut_total[replaced] = cumulative[replaced, month - 1] + share * (cumulative[replaced, month] - cumulative[replaced, month - 1])
    cut_hp[replaced] = cumulative_hp[replaced, month - 1] + share * (
        cumulative_hp[replaced, month] - cumulative_hp[replaced, month - 1])

    second = pop.reemplaza_medidor[:, None] & (np.arange(months)[None, :] >= pop.evento_mes[:, None])
    total = np.floor(np.where(second, cumulative - cut_total[:, None], cumulative)).astype(np.int64)
    hp = np.floor(np.where(second, cumulative_hp - cut_hp[:, None], cumulative_hp)).astype(np.int64)

    before = np.zeros_like(total)
    before[:, 1:] = total[:, :-1]
    # Replacement month: old meter from its last reading to the RETIRO, new meter from 0 to the reading.
    before[replaced, month] = np.floor(cumulative[replaced, month - 1]) - np.floor(cut_total[replaced])
    recorded_kwh = np.where(cons.closing, (total - before) * pop.factor[:, None], 0)
    return Registers(total, hp, second, cut_total, cut_hp, recorded_kwh)


def acumulado_table(cfg: GeneratorConfig, calendar: Calendar, pop: Population, cons: Consumption,
                    reg: Registers) -> pa.Table:
    rng = rng_for(cfg, STREAM_CONSUMPTION, pop.chunk, table=1)
    size, months = cons.recorded.shape
    kind = np.where(cons.estimated, ESTIMADA, REAL)
    with_baja = np.flatnonzero(pop.baja >= 0)
    kind[with_baja, pop.ultimo_cierre[with_baja]] = RETIRO
    rows = cons.closing.copy()
    rows[:, 0] = ~pop.nuevo  # opening reading of supplies connected before the window
    supply, month = np.nonzero(rows)
    second = reg.second_meter[supply, month].astype(int)
    grid = _Readings(
        supply=supply, month=month, meter=second + 1, kind=kind[supply, month],
        date=cons.close_date[supply, month], units=reg.total[supply, month], units_hp=reg.hp[supply, month],
        demand=cons.demand[supply, month], slot=np.full(len(supply), SLOT_CIERRE))

    new = np.flatnonzero(pop.nuevo)
    replaced = np.flatnonzero(pop.reemplaza_medidor)
    zeros = np.zeros(len(replaced), dtype=np.int64)
    parts = [
        grid,
        _Readings(supply=new, month=np.maximum(pop.primer_cierre[new] - 1, 0), meter=np.ones(len(new), int),
                  kind=np.full(len(new), INSTALACION), date=pop.conexion[new], units=np.zeros(len(new), np.int64),
                  units_hp=np.zeros(len(new), np.int64), demand=np.full(len(new), np.nan),
                  slot=np.full(len(new), SLOT_INSTALACION)),
        _Readings(supply=replaced, month=pop.evento_mes[replaced], meter=np.ones(len(replaced), int),
                  kind=np.full(len(replaced), RETIRO), date=pop.evento_fecha[replaced],
                  units=np.floor(reg.cut_total[replaced]).astype(np.int64),
                  units_hp=np.floor(reg.cut_hp[replaced]).astype(np.int64),
                  demand=cons.demand[replaced, pop.evento_mes[replaced]],
                  slot=np.full(len(replaced), SLOT_RETIRO_REEMPLAZO)),
        _Readings(supply=replaced, month=pop.evento_mes[replaced], meter=np.full(len(replaced), 2),
                  kind=np.full(len(replaced), INSTALACION), date=pop.evento_fecha[replaced], units=zeros,
                  units_hp=zeros, demand=np.full(len(replaced), np.nan),
                  slot=np.full(len(replaced), SLOT_INSTALACION_REEMPLAZO)),
    ]
    r = _Readings.concat(parts)
    return _table(cfg, calendar, pop, r.take(r.order()), rng)


@dataclass
class _Readings:
    supply: np.ndarray
    month: np.ndarray
    meter: np.ndarray  # 1 = first meter, 2 = replacement
    kind: np.ndarray
    date: np.ndarray
    units: np.ndarray  # register units since the meter started
    units_hp: np.ndarray
    demand: np.ndarray
    slot: np.ndarray

    @staticmethod
    def concat(parts: list["_Readings"]) -> "_Readings":
        names = _Readings.__dataclass_fields__
        return _Readings(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in names})

    def order(self) -> np.ndarray:
        """Stable order by supply, meter, date and slot (what np.lexsort gives, much faster here).

        One integer key holds the four; the grid rows come first and already in that order, so the stable
        sort (timsort) only merges the few opening and replacement rows into them.
        """
        first_day = self.date.min(initial=0)
        days = self.date.max(initial=0) - first_day + 1
        key = ((self.supply * 3 + self.meter) * days + (self.date - first_day)) * 4 + self.slot
        return np.argsort(key, kind="stable")

    def take(self, index: np.ndarray) -> "_Readings":
        return _Readings(**{name: getattr(self, name)[index] for name in _Readings.__dataclass_fields__})


def _table(cfg: GeneratorConfig, calendar: Calendar, pop: Population, r: _Readings, rng) -> pa.Table:
    modulus = 10 ** pop.digitos[r.supply]
    meter_row = r.meter - 1
    lectura = (pop.registro_inicial[r.supply, meter_row] + r.units) % modulus
    option = np.where(meter_row == 1, pop.opcion_nueva[r.supply], pop.opcion[r.supply])
    double = DOBLE[option]
    lectura_hp = (pop.registro_hp_inicial[r.supply, meter_row] + r.units_hp) % modulus
    periodic = np.isin(r.kind, [REAL, ESTIMADA])
    expected = np.where(periodic, REGISTROS_POR_DIA * calendar.days_in_month[r.month], 0)
    errors = _record_errors(cfg, rng, pop, r, expected)
    columns = {
        "id_lectura": text.ids("L", pop.num[r.supply] * 10_000 + r.month * 4 + r.slot, ANCHO_SUMINISTRO + 4),
        "id_medidor": meter_ids(pop, r.supply, r.meter),
        "fecha_lectura": text.dates(r.date),
        "tipo_lectura": text.codes(TIPOS_LECTURA, r.kind),
        "lectura_kwh": text.integers(lectura),
        "lectura_kwh_hp": text.integers(lectura_hp, valid=double),
        "demanda_max_kw": text.decimals(r.demand, 3, valid=~np.isnan(r.demand)),
        "registros_esperados": text.integers(expected),
        "registros_error": text.integers(errors),
    }
    return text.table(columns, column_names("acumulado"))


def _record_errors(cfg: GeneratorConfig, rng, pop: Population, r: _Readings, expected: np.ndarray) -> np.ndarray:
    """Missing 15-minute records: a little every month, much more in a faulty meter's bad months;
    an estimated reading has no records at all."""
    faulty_meter = rng.random(pop.n_supplies) < cfg.prob_medidor_con_fallas
    bad_month = faulty_meter[r.supply] & (rng.random(len(r.supply)) < cfg.prob_mes_con_falla)
    share = np.where(bad_month, rng.uniform(*cfg.error_registros_falla, len(r.supply)),
                     rng.uniform(0.0, cfg.error_registros_base, len(r.supply)))
    errors = np.floor(expected * share).astype(np.int64)
    return np.where(r.kind == ESTIMADA, expected, errors)
