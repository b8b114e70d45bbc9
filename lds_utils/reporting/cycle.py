"""The monthly cycle: ``python -m lds_utils mes --period P`` publishes month P in one command.

In order: the pipeline for P (lds_utils.lake.pipeline: SILVER and GOLD of P replaced, BRONZE reused when RAW has not
changed since it was built), the alert relations of P and their CSV (``alertas --period P``), the book edition of P
(``book --period P``); then one summary of the month beside the month before (``sql/report/month_summary.sql``):
bills, atypical bills, billed amount, supplies that started or stopped being billed, alerts, new alerts and those
within the inspection capacity, and the seconds of each step. Every step replaces what it publishes for P, so the
command is idempotent: run again, it publishes the same tables, alerts and edition (apart from build times).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lds_utils import config
from lds_utils.lake.registry import open_engine
from lds_utils.lake.sql import load_sql


@dataclass(frozen=True)
class MonthSummary:
    """A published month beside the month before; ``segundos``: the seconds of each step of the cycle."""

    period: str
    mes_anterior: str
    cifras: dict[str, float]
    alertas_csv: Path
    libro: Path
    segundos: dict[str, float]

    def text(self) -> str:
        c = self.cifras
        antes = self.mes_anterior
        pct, pct_antes = _share(c["atipicos"], c["facturas"]), _share(c["atipicos_anterior"], c["facturas_anterior"])
        return "\n".join([
            f"mes {self.period}: publicado (comparado con {antes})",
            f"  facturas     {c['facturas']:>10,.0f}   {_delta(c['facturas'], c['facturas_anterior'])}; "
            f"{c['suministros_nuevos']:,.0f} suministros nuevos, {c['suministros_sin_factura']:,.0f} sin factura",
            f"  atípicas     {c['atipicos']:>10,.0f}   {pct:.2f} % de las facturas ({antes}: {pct_antes:.2f} %, "
            f"{pct - pct_antes:+.2f} pp)",
            f"  facturación  S/ {c['facturacion_soles'] or 0:>13,.2f}   "
            f"{_delta(c['facturacion_soles'] or 0, c['facturacion_soles_anterior'] or 0, decimals=2)}",
            f"  alertas      {c['alertas']:>10,.0f}   {c['alertas_nuevas']:,.0f} nuevas, {c['a_inspeccionar']:,.0f} "
            f"dentro de la capacidad de inspección ({antes}: {c['alertas_anterior']:,.0f}) -> {self.alertas_csv}",
            f"  libro        {self.libro}",
            "  segundos     " + ", ".join(f"{paso} {segundos:.1f}" for paso, segundos in self.segundos.items()),
        ])


def _share(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def _delta(value: float, before: float, decimals: int = 0) -> str:
    return f"{value - before:+,.{decimals}f} frente al mes anterior"


def month_figures(engine, period: str) -> dict[str, float]:
    """The month_summary row of ``period`` (read only)."""
    params = {"period": period, "mes_anterior": config.shift_period(period, -1)}
    row = engine.read_sql(load_sql("report", "month_summary"), params).iloc[0]
    return {name: None if pd.isna(value) else float(value) for name, value in row.items()}


def run_month(lake: Path, period: str, engine: str = config.DEFAULT_ENGINE, build_root: Path | None = None,
              progress: bool = True, **engine_options) -> MonthSummary:
    """Publish ``period``: pipeline, alerts and book edition, each replacing what it published before."""
    from lds_utils.detection.alerts import run_alertas
    from lds_utils.lake.pipeline import run_pipeline
    from lds_utils.reporting.book import build_book

    period = config.parse_period(period, "--period")
    lake = config.resolve_lake(lake)
    segundos = {}
    started = time.perf_counter()
    run_pipeline(lake, period=period, engine=engine, **engine_options)
    segundos["pipeline"] = _lap(started)
    started = time.perf_counter()
    [alertas_csv] = run_alertas(lake, period, engine=engine, **engine_options)
    segundos["alertas"] = _lap(started)
    started = time.perf_counter()
    libro = build_book(period=period, engine=engine, lake=lake, build_root=build_root, progress=progress)
    segundos["libro"] = _lap(started)
    with open_engine(engine, lake, read_only=True, **engine_options) as opened:
        cifras = month_figures(opened, period)
    return MonthSummary(period, config.shift_period(period, -1), cifras, alertas_csv, libro, segundos)


def _lap(started: float) -> float:
    return round(time.perf_counter() - started, 2)
