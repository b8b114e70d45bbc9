"""Reference facts the package relies on (``lds_utils/synthetic/reference.yaml``), with their sources.

The YAML is the cited subset of the project's research notes: districts of the concession, consumption
distributions, tariff charges, metering and anomaly facts. The generator draws from it and the book
cites it through ``sources()``.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

REFERENCE_PATH = Path(__file__).with_name("reference.yaml")
DISTRICT_COLUMNS = ["ubigeo", "distrito", "provincia", "zona", "subzona", "lat", "lon", "approx_customers", "idh"]


@lru_cache(maxsize=1)
def _cached() -> dict:
    return yaml.safe_load(REFERENCE_PATH.read_text(encoding="utf-8"))


def load_reference() -> dict:
    """The whole reference file (a copy: callers may modify it)."""
    return copy.deepcopy(_cached())


def districts() -> pd.DataFrame:
    """One row per district of the concession, in the reference order."""
    frame = pd.DataFrame(_cached()["districts"])
    return frame[DISTRICT_COLUMNS + ["area_km2"]].reset_index(drop=True)


def sources() -> dict[str, str]:
    """Source key -> citation text (author, title, address)."""
    return dict(_cached()["sources"])


def tariff_options() -> dict[str, dict]:
    """Tariff option code -> reference charges (sin IGV) and metering structure."""
    return copy.deepcopy(_cached()["tariffs"]["options"])
