"""Alerts per period: the companion detector's signals and the combined ranking of both detectors.

``python -m lds_utils alertas --period P`` writes two GOLD relations for month P through the engine
(``gold_db.gold_senales_mes``: the companion's signals and reason codes per supply-month, for P and the
month before; ``gold_db.gold_alertas_mes``: the ranked list of supplies to inspect, partition P) and
exports that list to ``lake/gold/alertas/alertas_P.csv``. The official KPI stays the IQR rule of
``gold_facturacion_teorica_mes``: the list reports it beside the companion (see the SQL headers).

The thresholds below were chosen on seed 42 at 100 000 customers and are reported on another seed
(``bench/eval_detection.py``); nothing here reads the ground truth.
"""

from __future__ import annotations

import math
import os
from contextlib import nullcontext
from pathlib import Path

import pandas as pd

from lds_utils import billing, config
from lds_utils import sql as sqlmod
from lds_utils.config import LakePaths, UsageError
from lds_utils.engines import Engine, open_engine
from lds_utils.fence import fence_parameters

SENALES = "gold_senales_mes"
ALERTAS = "gold_alertas_mes"
PARTITION_COLUMN = "anio_mes"
ALL_MONTHS = ("0000-01", "9999-12")
CSV_FOLDER = "alertas"

#: Inspections a month, as a share of billed supplies: the capacity the ranking is cut at. APPROX: the
#: synthetic utility inspects 0.5 % of its active supplies a month (GeneratorConfig.capacidad_inspeccion).
CAPACIDAD_INSPECCION = 0.005

#: Thresholds of gold_senales_mes (their meaning is in the SQL header).
UMBRALES = {
    "min_historia": 3,  # previous billed months a supply needs before its history is compared
    "escala_minima": 0.05,  # floor of 1.4826 MAD: a segment that hardly varies does not turn noise into z
    "z_alza": 4.0,
    "z_caida": 3.0,
    "z_caida_sin_anual": 4.0,
    "z_factor_carga": 5.0,
    "puntaje_regla": 10.0,  # score of a consistency rule, in z units: above most statistical alerts
}


#: The companion's reason codes (gold_senales_mes) and the IQR rule's, in Spanish, for readers of the list.
MOTIVOS = {
    "CONSUMO_CERO": "Consumo cero en un suministro activo (con lectura)",
    "REGISTRO_RETROCEDE": "El registro del medidor retrocede sin ser una vuelta a cero",
    "FACTOR_CARGA_MAYOR_1": "Factor de carga mayor que 1: la demanda registrada no puede producir esa energía",
    "OPCION_INCOMPATIBLE": "Opción tarifaria de otro nivel de tensión, o residencial fuera de "
                           + "/".join(billing.options_where("admite_residencial")),
    "CONSUMO_ALTO": "Consumo diario muy por encima del mayor de sus 12 meses previos",
    "CONSUMO_BAJO": "Consumo diario muy por debajo de su mediana de 12 meses y del mismo mes del año anterior",
    "FACTOR_CARGA_ATIPICO": "Demanda incoherente con la energía frente a su propia historia",
    "RECUPERO_TRAS_ESTIMADA": "Primera lectura real tras una estimada, por encima de su mediana",
    "ESTIMADA_BAJA": "Lectura estimada por debajo de su mediana: se factura de menos y luego se recupera",
    "OPCION_NUEVA": "Cambio a una opción que no tuvo en 12 meses sin cambio de medidor que lo explique",
    "CERCO_IQR": "Regla oficial: la factura supera el cerco de Tukey de su segmento",
}


def parametros_deteccion(capacidad_inspeccion: float = CAPACIDAD_INSPECCION, **umbrales) -> dict:
    """Bound parameters of the two SQL files (months excluded); keyword arguments override thresholds.

    A segment needs the IQR rule's minimum of supplies (lds_utils.fence, ``min_segmento``) for its median and MAD.
    """
    unknown = set(umbrales) - set(UMBRALES)
    if unknown:
        raise UsageError(f"unknown detection parameters: {', '.join(sorted(unknown))}")
    if not 0 < capacidad_inspeccion <= 1:
        raise UsageError(f"capacidad_inspeccion must be a share in (0, 1] (got {capacidad_inspeccion})")
    return {**UMBRALES, **umbrales, "capacidad_inspeccion": float(capacidad_inspeccion), **fence_parameters()}


def construir(engine: Engine, desde: str, hasta: str, params: dict | None = None,
              partitions: list[str] | None = None) -> dict[str, int]:
    """Write gold_senales_mes and gold_alertas_mes for desde..hasta; return the rows of each.

    With ``partitions`` only those months are replaced (and the signals of the month before desde are
    rewritten too, since new-alert marking reads them); without it both tables are rebuilt whole.
    """
    params = {**parametros_deteccion(), **(params or {})}
    senales_desde, senales_partitions = desde, None
    if partitions is not None:
        senales_desde = config.shift_period(desde, -1)
        senales_partitions = sorted({senales_desde, *partitions})
    filas = {
        SENALES: engine.write_table(
            "gold_db", SENALES, sqlmod.load_sql("gold", SENALES), {**params, "desde": senales_desde, "hasta": hasta},
            partition_col=PARTITION_COLUMN, partitions=senales_partitions),
    }
    filas[ALERTAS] = engine.write_table(
        "gold_db", ALERTAS, sqlmod.load_sql("gold", ALERTAS), {**params, "desde": desde, "hasta": hasta},
        partition_col=PARTITION_COLUMN, partitions=partitions)
    return filas


def construir_periodo(engine: Engine, period: str, params: dict | None = None) -> dict[str, int]:
    """Signals of ``period`` and the month before, and the ranked alerts of ``period``."""
    period = config.parse_period(period)
    return construir(engine, period, period, params, partitions=[period])


def construir_todo(engine: Engine, params: dict | None = None) -> dict[str, int]:
    """Both tables rebuilt for every month of gold (what the evaluation reads)."""
    return construir(engine, *ALL_MONTHS, params)


def asegurar_tablas(ctx):
    """Make sure ``ctx`` (lds_utils.report.Contexto) can read both tables for every month up to its period.

    Until the pipeline builds them, a local lake gets them here (every month, under the lake lock); the
    context's read-only engine is reopened afterwards. Returns ctx.
    """
    from lds_utils.pipeline import lake_lock

    if _completas(ctx.engine, ctx.period):
        return ctx
    if ctx.engine_name != "duckdb":
        raise UsageError(f"gold_db.{SENALES} and gold_db.{ALERTAS} are missing months up to {ctx.period}: "
                         "run `python -m lds_utils alertas` for each month first")
    ctx.cerrar()
    with lake_lock(ctx.lake), open_engine("duckdb", ctx.lake) as engine:
        construir_todo(engine)
    ctx.engine = open_engine("duckdb", ctx.lake, read_only=True)
    return ctx


def _completas(engine: Engine, period: str) -> bool:
    """Both tables exist and agree with gold up to ``period``: same bills, kWh and IQR alerts (a stale build,
    made before gold was rebuilt, fails the check)."""
    if not all(engine.table_exists("gold_db", table) for table in (SENALES, ALERTAS)):
        return False
    cifras = engine.read_sql(
        "select (select count(*) from gold_db.gold_facturacion_teorica_mes where anio_mes <= :period) as gold_filas, "
        f"(select count(*) from gold_db.{SENALES} where anio_mes <= :period) as senales_filas, "
        "(select sum(consumo_kwh) from gold_db.gold_facturacion_teorica_mes where anio_mes <= :period) as gold_kwh, "
        f"(select sum(consumo_kwh) from gold_db.{SENALES} where anio_mes <= :period) as senales_kwh, "
        "(select count_if(es_atipico) from gold_db.gold_facturacion_teorica_mes where anio_mes <= :period) "
        f"as gold_atipicos, (select count_if(es_alerta_iqr) from gold_db.{ALERTAS} where anio_mes <= :period) "
        "as alertas_iqr",
        {"period": period},
    ).iloc[0]
    return (int(cifras["gold_filas"]) == int(cifras["senales_filas"])
            and math.isclose(float(cifras["gold_kwh"] or 0), float(cifras["senales_kwh"] or 0), rel_tol=1e-9)
            and int(cifras["gold_atipicos"]) == int(cifras["alertas_iqr"]))


def leer_alertas(engine: Engine, period: str) -> pd.DataFrame:
    """The month's ranked alerts, first to inspect first."""
    alertas = engine.read_sql(
        f"select * from gold_db.{ALERTAS} where anio_mes = :period order by prioridad", {"period": period}
    )
    return alertas[[PARTITION_COLUMN, *alertas.columns.drop(PARTITION_COLUMN)]]


def escribir_csv(alertas: pd.DataFrame, lake: Path, period: str) -> Path:
    """lake/gold/alertas/alertas_<period>.csv, written to a temporary file and renamed into place."""
    folder = config.ensure_writable_dir(LakePaths(Path(lake)).gold / CSV_FOLDER)
    target = folder / f"alertas_{config.parse_period(period)}.csv"
    temporary = folder / f".{target.name}.tmp"
    alertas.to_csv(temporary, index=False, encoding="utf-8")
    os.replace(temporary, target)
    return target


def _exigir_periodo(engine: Engine, period: str) -> None:
    facturas = engine.read_sql(
        "select count(*) as n from gold_db.gold_facturacion_teorica_mes where anio_mes = :period", {"period": period}
    )
    if int(facturas["n"].iloc[0]) == 0:
        raise UsageError(f"no bills for period {period} in gold_db.gold_facturacion_teorica_mes: run the pipeline")


def run_alertas(lake: Path, period: str, engine: str = config.DEFAULT_ENGINE,
                capacidad_inspeccion: float = CAPACIDAD_INSPECCION, **engine_options) -> Path:
    """The ``alertas`` command: build the month's alerts, export the CSV, print a one-line summary."""
    from lds_utils.pipeline import lake_lock

    period = config.parse_period(period)
    engine = config.parse_engine(engine)
    lake = Path(lake)
    if engine == "duckdb" and not LakePaths(lake).catalog.exists():
        raise UsageError(f"no catalog in {lake}: run `python -m lds_utils pipeline --lake {lake}` first")
    params = parametros_deteccion(capacidad_inspeccion)
    with lake_lock(lake) if engine == "duckdb" else nullcontext():
        with open_engine(engine, lake, **engine_options) as opened:
            if not opened.table_exists("gold_db", "gold_facturacion_teorica_mes"):
                raise UsageError("no gold_db.gold_facturacion_teorica_mes: run the pipeline first")
            _exigir_periodo(opened, period)
            construir_periodo(opened, period, params)
            alertas = leer_alertas(opened, period)
    path = escribir_csv(alertas, lake, period)
    print(_resumen(alertas, period, path))
    return path


def _resumen(alertas: pd.DataFrame, period: str, path: Path) -> str:
    capacidad = int(alertas["capacidad"].iloc[0]) if len(alertas) else 0
    return (f"alertas {period}: {len(alertas):,} suministros alertados "
            f"({int(alertas['es_alerta_complementaria'].sum()):,} por el detector complementario, "
            f"{int(alertas['es_alerta_iqr'].sum()):,} por el cerco IQR), {int(alertas['es_nueva'].sum()):,} nuevos; "
            f"capacidad {capacidad:,} -> {path}")
