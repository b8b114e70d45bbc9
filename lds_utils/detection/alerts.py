"""Alerts per period: the companion detector's signals and the combined ranking of both detectors.

Two GOLD relations of the relation graph, declared ``on request`` (``gold_db.gold_senales_mes``: the companion's
signals and reason codes per supply-month; ``gold_db.gold_alertas_mes``: the ranked list of supplies to inspect):
the graph's runner builds them when asked, not in every pipeline run. ``python -m lds_utils alertas --period P``
(or ``--desde A --hasta B``) builds them for those months (and the signals of the month before when they are
missing or no longer match its GOLD bills: new alerts are marked against them) and exports each
month's list to
``lake/gold/alertas/alertas_P.csv`` (or to ``--salida DIR``). When both relations already hold those months, built
from the GOLD the lake holds with the same inspection capacity, ``alertas`` only reads them: no lock, nothing
written in the lake, so it works on a lake published on a read-only share (with ``--salida``). The official KPI
stays the IQR rule of ``gold_facturacion_teorica_mes``: the list reports it beside the companion (see the SQL
headers).

The companion's thresholds and the inspection capacity are rules (lds_utils.rules.companion); nothing here
reads the ground truth.
"""

from __future__ import annotations

import math
import os
import shlex
from pathlib import Path

import pandas as pd

from lds_utils import config
from lds_utils.config import LakePaths, UsageError
from lds_utils.lake.engines import Engine
from lds_utils.lake.sql import load_sql
from lds_utils.rules import billing
from lds_utils.rules.companion import CAPACIDAD_INSPECCION, detection_parameters

SENALES = "gold_senales_mes"
ALERTAS = "gold_alertas_mes"
PARTITION_COLUMN = "anio_mes"
#: Months of gold_senales_mes one statement computes: each month reads its 12 months before. At 1.3 M customers, 60
#: months in one statement ran out of DuckDB's 4 GB, and 47 filled the disk with spill files.
MESES_POR_SENTENCIA = 12
CSV_FOLDER = "alertas"

#: The companion's reason codes (gold_senales_mes) and the IQR rule's, in Spanish, for readers of the list.
MOTIVOS = {
    "REGISTRO_RETROCEDE": "El registro del medidor retrocede sin ser una vuelta a cero",
    "INTERVALOS_DISCREPAN": "Medidor inteligente: la energía de sus intervalos y la diferencia del registro no "
                            "coinciden (la lectura del registro está errada)",
    "DEMANDA_DISCREPA": "Medidor inteligente: la máxima demanda del registro y la de sus intervalos no coinciden "
                        "(el registro de demanda está errado)",
    "EVENTO_MANIPULACION": "Medidor inteligente: ráfaga de eventos de manipulación en el periodo (tapa abierta, "
                           "campo magnético, energía inversa)",
    "PERFIL_CAMBIA": "Medidor inteligente: su consumo de noche frente al de día subió respecto de sus meses previos "
                     "(la carga del día dejó de pasar por el medidor)",
    "CONSUMO_CERO": "Consumo cero en un suministro activo (con lectura)",
    "FACTOR_CARGA_MAYOR_1": "Factor de carga mayor que 1: la demanda registrada no puede producir esa energía",
    "OPCION_INCOMPATIBLE": "Opción tarifaria de otro nivel de tensión, o residencial fuera de "
                           + "/".join(billing.options_where("admite_residencial")),
    "CONSUMO_ALTO": "Consumo diario muy por encima del mayor de sus 12 meses previos",
    "CONSUMO_BAJO": "Consumo diario muy por debajo de su mediana de 12 meses y del mismo mes del año anterior",
    "DESCENSO_GRADUAL": "Consumo de sus tres últimos meses, cada uno bajo su mediana previa, en descenso sostenido "
                        "frente a su propia historia y a su segmento",
    "FACTOR_CARGA_ATIPICO": "Demanda incoherente con la energía frente a su propia historia",
    "RECUPERO_TRAS_ESTIMADA": "Primera lectura real tras una estimada, por encima de su mediana",
    "ESTIMADA_BAJA": "Lectura estimada por debajo de su mediana: se factura de menos y luego se recupera",
    "OPCION_NUEVA": "Cambio a una opción que no tuvo en 12 meses sin cambio de medidor que lo explique",
    "CERCO_IQR": "Regla oficial: la factura supera el cerco de Tukey de su segmento",
}


def build_alerts(engine: Engine, desde: str, hasta: str, params: dict | None = None) -> dict[str, int]:
    """Write gold_senales_mes and gold_alertas_mes for the months desde..hasta, replacing those months only (and the
    signals of the month before desde when stale: _signal_builds); return the rows of each."""
    from lds_utils.lake.pipeline import Months

    return _build_alerts(engine, Months.between(config.parse_period(desde), config.parse_period(hasta)), params)


def build_alerts_for_period(engine: Engine, period: str, params: dict | None = None) -> dict[str, int]:
    """Signals of ``period`` (and of the month before when stale) and the ranked alerts of ``period``."""
    return build_alerts(engine, period, period, params)


def build_all_alerts(engine: Engine, params: dict | None = None) -> dict[str, int]:
    """Both tables rebuilt for every month of gold (what the evaluation reads)."""
    from lds_utils.lake.pipeline import Months

    return _build_alerts(engine, Months.every(), params)


def _build_alerts(engine: Engine, months, params: dict | None) -> dict[str, int]:
    """The alert part of the relation graph, built by the pipeline's runner for ``months`` (pipeline.Months): the
    signals at once, then the lists one month at a time, oldest first (each reads the lists published before it)."""
    from lds_utils.lake.pipeline import GraphRunner, pipeline_parameters, relations

    runner = GraphRunner(engine, {**pipeline_parameters(), **(params or {})})
    senales, alertas = relations(names=(SENALES, ALERTAS))
    for signal_months in _signal_builds(engine, months):
        runner.build([senales], signal_months)
    for list_months in _list_builds(engine, months):
        runner.build([alertas], list_months)
    filas = {step.relation: 0 for step in runner.results}
    for step in runner.results:
        filas[step.relation] += step.rows or 0
    return filas


def _signal_builds(engine: Engine, months, size: int = MESES_POR_SENTENCIA) -> list:
    """The builds of gold_senales_mes for ``months`` (every month: GOLD's), ``size`` months each. Some months added
    to the table start with the month before them when its signals are stale (missing, or not those of its GOLD
    bills): gold_alertas_mes marks a supply's alert as new against that month's. Signals still those of their bills
    are kept: at 1.3 M customers recomputing them was half of a month's alert build."""
    adding = months.partial and engine.table_exists("gold_db", SENALES)
    wanted = months.partitions() or engine.read_sql(load_sql("report", "gold_months"))["anio_mes"].astype(str).tolist()
    if adding and _signals_stale(engine, before := config.shift_period(wanted[0], -1)):
        wanted = [before, *wanted]
    return _month_builds(wanted, size, starts_table=not adding)


def _list_builds(engine: Engine, months) -> list:
    """The builds of gold_alertas_mes for ``months`` (every month: the signals'), one month each: the first month of
    a new table has no list before it (its SELECT); every other month is added by the incremental SELECT, which reads
    the lists before it."""
    wanted = months.partitions() or sorted(engine.read_sql(
        f"select distinct {PARTITION_COLUMN} from gold_db.{SENALES}")[PARTITION_COLUMN].astype(str))
    return _month_builds(wanted, 1, starts_table=not (months.partial and engine.table_exists("gold_db", ALERTAS)))


def _month_builds(wanted: list[str], size: int, starts_table: bool) -> list:
    """``wanted`` months in builds of ``size`` months, oldest first, each replacing its months; with
    ``starts_table`` (no table yet, or a build of every month) the first one writes a new table of its months."""
    from lds_utils.lake.pipeline import Months

    builds = [Months.between(chunk[0], chunk[-1]) for chunk in
              (wanted[start:start + size] for start in range(0, len(wanted), size))]
    if starts_table:
        builds[0] = Months(builds[0].desde, builds[0].hasta, partial=False)
    return builds


def require_tables(ctx) -> None:
    """Stop in one line unless ``ctx`` (lds_utils.reporting.report.ReportContext) can read both tables for every
    month up to its period, built from the GOLD it reads. Only reads."""
    if not tables_match_gold(ctx.engine, ctx.period):
        first = ctx.engine.read_sql(load_sql("report", "gold_months"))["anio_mes"].iloc[0]
        raise UsageError(f"gold_db.{SENALES} and gold_db.{ALERTAS} are missing or do not match GOLD up to "
                         f"{ctx.period} in {ctx.lake}: run `python -m lds_utils alertas --desde {first} --hasta "
                         f"{ctx.period} --lake {shlex.quote(str(ctx.lake))}`")


def tables_match_gold(engine: Engine, period: str) -> bool:
    """Both tables exist and agree with gold up to ``period``: same bills, kWh and IQR alerts (a stale build,
    made before gold was rebuilt, fails the check)."""
    if not all(engine.table_exists("gold_db", table) for table in (SENALES, ALERTAS)):
        return False
    cifras = _check_figures(engine, "0000-00", period)
    return _same_bills(cifras) and int(cifras["gold_atipicos"]) == int(cifras["alertas_iqr"])


def _signals_stale(engine: Engine, month: str) -> bool:
    """GOLD bills ``month`` and the signals do not hold those bills (missing, or other bills and kWh). Without the
    list table (the two are published together) the check cannot run, and the month counts as stale."""
    if not engine.table_exists("gold_db", ALERTAS):
        return True
    cifras = _check_figures(engine, month, month)
    return int(cifras["gold_filas"]) > 0 and not _same_bills(cifras)


def _check_figures(engine: Engine, desde: str, hasta: str) -> pd.Series:
    return engine.read_sql(load_sql("report", "alert_tables_check"), {"desde": desde, "period": hasta}).iloc[0]


def _same_bills(cifras: pd.Series) -> bool:
    return (int(cifras["gold_filas"]) == int(cifras["senales_filas"])
            and math.isclose(float(cifras["gold_kwh"] or 0), float(cifras["senales_kwh"] or 0), rel_tol=1e-9))


def read_alerts(engine: Engine, period: str) -> pd.DataFrame:
    """The month's ranked alerts, first to inspect first."""
    alertas = engine.read_sql(load_sql("report", "alerts_of_month"), {"period": period})
    return alertas[[PARTITION_COLUMN, *alertas.columns.drop(PARTITION_COLUMN)]]


def csv_folder(lake: Path, salida: str | Path | None = None) -> Path:
    """Where the lists go: --salida when given, else the lake's gold/alertas/ (a read-only lake needs --salida)."""
    if salida is not None:
        return Path(salida).expanduser().resolve()
    if not os.access(lake, os.W_OK):
        raise UsageError(f"the lake {lake} is read-only: pass --salida DIR to write the alert lists elsewhere")
    return LakePaths(Path(lake)).gold / CSV_FOLDER


def write_csv(alertas: pd.DataFrame, folder: Path, period: str) -> Path:
    """folder/alertas_<period>.csv, written to a temporary file and renamed into place."""
    folder = config.ensure_writable_dir(Path(folder))
    target = folder / f"alertas_{config.parse_period(period)}.csv"
    temporary = folder / f".{target.name}.tmp"
    alertas.to_csv(temporary, index=False, encoding="utf-8")
    os.replace(temporary, target)
    return target


def _require_months(engine: Engine, months: list[str]) -> None:
    if not engine.table_exists("gold_db", "gold_facturacion_teorica_mes"):
        raise UsageError("no gold_db.gold_facturacion_teorica_mes: run the pipeline first")
    billed = engine.read_sql(load_sql("report", "gold_months"))["anio_mes"].astype(str)
    missing = sorted(set(months) - set(billed))
    if missing:
        raise UsageError(f"no bills for period {', '.join(missing)} in gold_db.gold_facturacion_teorica_mes: "
                         "run the pipeline")


def alert_months(period: str | None = None, desde: str | None = None, hasta: str | None = None) -> list[str]:
    """The months of an ``alertas`` run: one period, or every month from desde to hasta."""
    if period and not (desde or hasta):
        return [config.parse_period(period, "--period")]
    if desde and hasta and not period:
        return config.period_range(config.parse_period(desde, "--desde"), config.parse_period(hasta, "--hasta"))
    raise UsageError("give the month as --period YYYY-MM, or a range as --desde YYYY-MM --hasta YYYY-MM")


def run_alertas(lake: Path, period: str | None = None, engine: str = config.DEFAULT_ENGINE,
                capacidad_inspeccion: float = CAPACIDAD_INSPECCION, desde: str | None = None,
                hasta: str | None = None, salida: str | Path | None = None, **engine_options) -> list[Path]:
    """The ``alertas`` command: read the alert relations of one month or a range of months (building them first
    unless they are built from the lake's GOLD with this capacity), export each month's CSV (to ``salida``, default
    the lake's gold/alertas/) and print its one-line summary; return the CSV files."""
    from lds_utils.lake.registry import engine_class

    months = alert_months(period, desde, hasta)
    engine_type = engine_class(engine)
    lake = Path(lake)
    _require_lake(engine_type, lake)
    folder = csv_folder(lake, salida)
    params = detection_parameters(capacidad_inspeccion)
    listas = _read_built(engine_type, lake, months, capacidad_inspeccion, engine_options)
    if listas is None:
        listas = _build_and_read(engine_type, lake, months, params, engine_options)
    paths = []
    for month, alertas in listas.items():
        paths.append(write_csv(alertas, folder, month))
        print(_summary_line(alertas, month, paths[-1]))
    return paths


def _require_lake(engine_type, lake: Path) -> None:
    from lds_utils.lake.pipeline import require_lake

    require_lake(lake)
    engine_type.require_catalog(lake)


def _upto(hasta: str):
    return lambda month: month <= hasta


def _is_alert_relation(table: str) -> bool:
    return table in (f"gold_db.{SENALES}", f"gold_db.{ALERTAS}")


def _is_read_by_alerts(table: str) -> bool:
    """The published tables the alert relations are computed from: SILVER and GOLD but themselves."""
    return table.startswith(("silver_db.", "gold_db.")) and not _is_alert_relation(table)


def _read_built(engine_type, lake: Path, months: list[str], capacidad_inspeccion: float,
                engine_options: dict) -> dict[str, pd.DataFrame] | None:
    """Each month's list when the relations already hold it as a build now would (report mode: read-only, no lock);
    None when they must be built. Only where the engine keeps the lake local (Athena's runs always build)."""
    if not engine_type.keeps_local_state:
        return None
    with engine_type.open(lake, read_only=True, **engine_options) as opened:
        opened.check_published(_is_read_by_alerts, months=_upto(months[-1]))
        _require_months(opened, months)
        try:
            opened.check_published(_is_alert_relation, months=_upto(months[-1]))
        except config.RunFailed:  # damaged alert relations: the build replaces them
            return None
        if not (_holds_months(opened, months) and tables_match_gold(opened, months[-1])
                and _same_capacity(opened, months, capacidad_inspeccion)):
            return None
        return {month: read_alerts(opened, month) for month in months}


def _holds_months(engine: Engine, months: list[str]) -> bool:
    """Both relations exist and the signals hold every month: a partition listing, so a month not built yet is
    found before tables_match_gold reads every bill up to it."""
    if not all(engine.table_exists("gold_db", table) for table in (SENALES, ALERTAS)):
        return False
    built = engine.read_sql(f"select distinct anio_mes from gold_db.{SENALES} where anio_mes between :desde and :hasta",
                            {"desde": months[0], "hasta": months[-1]})
    return set(built["anio_mes"].astype(str)) == set(months)


def _same_capacity(engine: Engine, months: list[str], capacidad_inspeccion: float) -> bool:
    """Every month's list was ranked against the capacity this share gives (a month without alerts has none)."""
    capacidades = engine.read_sql(
        f"select distinct anio_mes, capacidad, suministros_facturados from gold_db.{ALERTAS} "
        "where anio_mes between :desde and :hasta", {"desde": months[0], "hasta": months[-1]})
    return all(int(row.capacidad) == math.ceil(capacidad_inspeccion * int(row.suministros_facturados))
               for row in capacidades.itertuples())


def _build_and_read(engine_type, lake: Path, months: list[str], params: dict,
                    engine_options: dict) -> dict[str, pd.DataFrame]:
    from lds_utils.lake.pipeline import Months, locked

    with locked(engine_type, lake), engine_type.open(lake, **engine_options) as opened:
        with opened.publish_together():  # the alert relations' own damaged months are replaced or checked at linking
            opened.check_published(_is_read_by_alerts, months=_upto(months[-1]))
            _require_months(opened, months)
            _build_alerts(opened, Months.between(months[0], months[-1]), params)
        return {month: read_alerts(opened, month) for month in months}


def _summary_line(alertas: pd.DataFrame, period: str, path: Path) -> str:
    capacidad = int(alertas["capacidad"].iloc[0]) if len(alertas) else 0
    return (f"alertas {period}: {len(alertas):,} suministros alertados "
            f"({int(alertas['es_alerta_complementaria'].sum()):,} por el detector complementario, "
            f"{int(alertas['es_alerta_iqr'].sum()):,} por el cerco IQR), {int(alertas['es_nueva'].sum()):,} nuevos; "
            f"capacidad {capacidad:,} -> {path}")
