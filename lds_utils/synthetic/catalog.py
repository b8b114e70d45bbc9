"""Tables shared by every chunk of customers: the calendar, the sectors (with their reading days)
and the monthly tariff schedule (pliego)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from lds_utils import config
from lds_utils.lake.schema import column_names
from lds_utils.synthetic import reference, text
from lds_utils.synthetic.settings import OPCIONES, GeneratorConfig

# Independent random streams (with the seed and the chunk number) so each part of the data can be
# regenerated alone: the expected-consumption function replays population and consumption only.
STREAM_NETWORK, STREAM_TARIFF, STREAM_POPULATION, STREAM_CONSUMPTION = 1, 2, 3, 4
STREAM_INSPECTION, STREAM_TEXT, STREAM_DIRT, STREAM_LEGITIMATE = 5, 6, 7, 8
STREAM_AMI, STREAM_AMI_MONTH, STREAM_AMI_NOISE, STREAM_OUTAGE, STREAM_AMI_DIRT = 9, 10, 11, 12, 13


def rng_for(cfg: GeneratorConfig, stream: int, chunk: int = 0, table: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(cfg.seed, spawn_key=(stream, chunk, table)))


@dataclass(frozen=True)
class Calendar:
    """Months of the readings: column 0 is the month before ``desde_datos`` (opening readings), then the billing months."""

    periods: list[str]
    month_start: np.ndarray  # days since epoch of the 1st of each month
    days_in_month: np.ndarray
    month_number: np.ndarray  # 1..12

    @property
    def n_months(self) -> int:
        return len(self.periods)


def build_calendar(cfg: GeneratorConfig) -> Calendar:
    periods = config.period_range(config.shift_period(cfg.desde_datos, -1), cfg.horizonte)
    starts = np.array([np.datetime64(p, "M") for p in periods] + [np.datetime64(cfg.horizonte, "M") + 1])
    start_days = (starts.astype("datetime64[D]") - text.EPOCH).astype(np.int64)
    return Calendar(
        periods=periods,
        month_start=start_days[:-1],
        days_in_month=np.diff(start_days),
        month_number=np.array([int(p[5:]) for p in periods]),
    )


@dataclass(frozen=True)
class Network:
    """Distribution sectors and their reading routes."""

    districts: pd.DataFrame  # reference districts
    sector_district: np.ndarray  # district row of each sector
    sector_number: np.ndarray  # 1..n within its district
    sector_probability: np.ndarray  # share of the customers living in each sector
    sector_lat: np.ndarray
    sector_lon: np.ndarray
    reading_date: np.ndarray  # [sector, month] days since epoch of the route's reading

    @property
    def n_sectors(self) -> int:
        return len(self.sector_district)

    def sector_ids(self) -> pa.Array:
        ubigeo = self.districts["ubigeo"].to_numpy()[self.sector_district]
        return text.join("SE", pa.array(ubigeo), "-", text.ids("", self.sector_number, 2))


def build_network(cfg: GeneratorConfig, calendar: Calendar) -> Network:
    rng = rng_for(cfg, STREAM_NETWORK)
    districts = reference.districts()
    customers = districts["approx_customers"].to_numpy(dtype=float)
    low, high = cfg.sectores_por_distrito
    per_district = np.clip(1 + np.ceil(customers / cfg.clientes_por_sector), low, high).astype(int)
    district = np.repeat(np.arange(len(districts)), per_district)
    number = np.arange(len(district)) - np.repeat(np.cumsum(per_district) - per_district, per_district) + 1

    weight = rng.gamma(cfg.concentracion_sectores, size=len(district))
    weight /= np.bincount(district, weights=weight)[district]
    probability = customers[district] * weight
    probability /= probability.sum()

    spread = np.minimum(cfg.dispersion_sector_km * np.sqrt(districts["area_km2"].to_numpy(dtype=float)) / 111.0,
                        cfg.dispersion_sector_max_grados)[district]
    lat = districts["lat"].to_numpy(dtype=float)[district] + rng.normal(0.0, spread)
    lon = districts["lon"].to_numpy(dtype=float)[district] + rng.normal(0.0, spread)
    return Network(districts, district, number, probability, lat, lon,
                   _reading_dates(cfg, calendar, len(district), rng))


def _reading_dates(cfg: GeneratorConfig, calendar: Calendar, n_sectors: int, rng: np.random.Generator) -> np.ndarray:
    """Route day +-1 each month; March never reads earlier than February, so every cycle lasts 28-33 days."""
    first, last = cfg.dia_lectura
    day = rng.integers(first, last + 1, n_sectors)
    jitter = rng.integers(-1, 2, (n_sectors, calendar.n_months))
    march = np.flatnonzero(calendar.month_number == 3)
    march = march[march > 0]
    jitter[:, march] = np.maximum(jitter[:, march], jitter[:, march - 1])
    return calendar.month_start[None, :] + day[:, None] - 1 + jitter


def sector_table(cfg: GeneratorConfig, network: Network) -> pa.Table:
    rng = rng_for(cfg, STREAM_TEXT, table=1)
    d = network.districts.iloc[network.sector_district].reset_index(drop=True)
    feeder_prefix = pa.array([_ascii_upper(name)[:3] for name in network.districts["distrito"]]).take(
        pa.array(network.sector_district))
    columns = {
        "id_sector": network.sector_ids(),
        "nombre_sector": text.join(pa.array(d["distrito"]), " - Sector ", text.ids("", network.sector_number, 2)),
        "alimentador": text.join(feeder_prefix, "-", text.ids("", rng.integers(1, 40, network.n_sectors), 2)),
        "ubigeo": pa.array(d["ubigeo"]),
        "distrito": pa.array(d["distrito"]),
        "provincia": pa.array(d["provincia"]),
        "zona": pa.array(d["zona"]),
        "subzona": pa.array(d["subzona"]),
        "lat": text.decimals(network.sector_lat, 5),
        "lon": text.decimals(network.sector_lon, 5),
    }
    return text.table(columns, column_names("sector"))


def _ascii_upper(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.upper() if ch.isalpha())


# -- tariff schedule -----------------------------------------------------------------------------------------
CHARGES = ("cargo_fijo", "cargo_energia", "cargo_energia_hp", "cargo_energia_hfp",
           "cargo_potencia_generacion", "cargo_potencia_distribucion")


def tariff_index(cfg: GeneratorConfig, periods: list[str]) -> np.ndarray:
    """Multiplier of the reference charges per month: linear between the anchors, flat outside them."""
    anchors = np.array([config.month_index(month) for month, _ in cfg.indice_tarifario], dtype=float)
    values = np.array([value for _, value in cfg.indice_tarifario], dtype=float)
    return np.interp([config.month_index(p) for p in periods], anchors, values)


def tarifa_table(cfg: GeneratorConfig) -> pa.Table:
    """One pliego row per option and simulated billing month, effective on day ``dia_vigencia_tarifa``."""
    rng = rng_for(cfg, STREAM_TARIFF)
    options = reference.tariff_options()
    periods = cfg.periodos_simulados
    n_opt, n_month = len(OPCIONES), len(periods)
    option = np.repeat(np.arange(n_opt), n_month)
    month = np.tile(np.arange(n_month), n_opt)
    level = tariff_index(cfg, periods)[month]
    vigencia = np.array([text.days(f"{p}-{cfg.dia_vigencia_tarifa:02d}") for p in periods])[month]
    columns = {
        "id_tarifa": text.join(text.codes(OPCIONES, option), "-", pa.array(periods).take(pa.array(month))),
        "opcion_tarifaria": text.codes(OPCIONES, option),
        "nivel_tension": text.codes([code[:2] for code in OPCIONES], option),
        "vigencia_desde": text.dates(vigencia),
    }
    for charge in CHARGES:
        base = np.array([options[code].get(charge, np.nan) for code in OPCIONES])[option]
        noisy = base * level * (1.0 + rng.normal(0.0, cfg.ruido_tarifario, len(option)))
        columns[charge] = text.decimals(noisy, 2, valid=~np.isnan(base))
    return text.table(columns, column_names("tarifa"))
