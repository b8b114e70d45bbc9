"""Detection quality on a generated lake: both detectors and the combined ranking against the ground truth.

    .venv/bin/python bench/eval_detection.py --clientes 100000 --seed 7 --lake /tmp/lake100k_s7

Generates the lake and runs the pipeline unless the lake already holds that sample (generacion.json),
then builds the companion signals and the ranked alerts for every month and prints the metrics: overall,
per anomaly type, precision@k at the inspection capacity, timeliness (anomalies inspected within 1, 3 and 6
months), false alarms on legitimate behaviour, the IQR rule's monthly rate, soles stopped per inspection against
the IQR rule alone and a random pick, what each reason was worth (the calibration sql/gold/ref_valor_motivo.sql
holds), inspection validation, the worst months, and what the smart meters' reasons add on the supply-months with
interval data (the same months' lists rebuilt without them, at the same capacity). The detector's thresholds and the
reasons' values were chosen on seed 42: report them on another seed. With --resultados, also writes the targets'
figures as JSON; the validation chapter reads bench/results/deteccion.json, written by

    .venv/bin/python bench/eval_detection.py --clientes 100000 --seed 7 --resultados bench/results/deteccion.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lds_utils import config
from lds_utils.detection import alerts, evaluate, targets
from lds_utils.lake.pipeline import lake_lock, run_pipeline
from lds_utils.lake.registry import open_engine
from lds_utils.reporting.report import generation_matches, read_generation
from lds_utils.rules import companion
from lds_utils.synthetic.generate import GeneratorConfig, run_generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clientes", type=int, default=config.DEFAULT_CLIENTES)
    parser.add_argument("--seed", type=int, default=config.DEFAULT_SEED)
    parser.add_argument("--lake", default=None, help="lake folder (default: a new temporary folder)")
    parser.add_argument("--capacidad", type=float, default=companion.CAPACIDAD_INSPECCION,
                        help="inspections a month as a share of billed supplies (default 0.005)")
    parser.add_argument("--resultados", type=Path, default=None,
                        help="also write the targets' figures to this JSON file (the book reads "
                             "bench/results/deteccion.json)")
    args = parser.parse_args(argv)

    lake = Path(args.lake) if args.lake else Path(tempfile.mkdtemp(prefix="eval_detection_"))
    prepare(lake, args.clientes, args.seed)
    started = time.perf_counter()
    parametros = companion.detection_parameters(args.capacidad)
    with lake_lock(lake), open_engine("duckdb", lake) as engine:
        filas = alerts.build_all_alerts(engine, parametros)
        hasta = str(engine.read_sql(f"select max(anio_mes) as m from gold_db.{alerts.SENALES}")["m"].iloc[0])
        desde = read_generation(lake)["desde"]  # the months before are the history of the first evaluated one
        detecciones = evaluate.read_detections(engine, desde, hasta)
        inspecciones = evaluate.read_inspections(engine, desde, hasta)
        print(f"alerts built for every month in {time.perf_counter() - started:,.1f} s: "
              + ", ".join(f"{tabla} {n:,} rows" for tabla, n in filas.items()))
        sin_ami = detections_without_smart_meters(engine, args.capacidad, desde, hasta)
    print_metrics(lake, detecciones, inspecciones, sin_ami, args)
    return 0


def detections_without_smart_meters(engine, capacidad: float, desde: str, hasta: str) -> SinMedicion | None:
    """The months with interval data rebuilt with the smart meters' reasons switched off and read, then rebuilt with
    the detector's parameters again (the lake is left as they build it). None without interval data."""
    meses_ami = evaluate.read_smart_meter_months(engine, desde, hasta)
    if meses_ami.empty:
        return None
    primero = str(meses_ami["anio_mes"].min())  # the lists before it hold no smart-meter reason: the same either way
    started = time.perf_counter()
    alerts.build_alerts(engine, primero, hasta,
                        companion.detection_parameters(capacidad, **companion.SIN_MEDICION_INTELIGENTE))
    sin = evaluate.read_detections(engine, primero, hasta)
    alerts.build_alerts(engine, primero, hasta, companion.detection_parameters(capacidad))
    print(f"lists of {primero}..{hasta} rebuilt without and with the smart meters' reasons in "
          f"{time.perf_counter() - started:,.1f} s")
    return SinMedicion(meses_ami, sin)


@dataclass(frozen=True)
class SinMedicion:
    """The supply-months with interval data and the detections of their months without the smart meters' reasons."""

    meses_ami: pd.DataFrame
    detecciones: pd.DataFrame


def prepare(lake: Path, clientes: int, seed: int) -> None:
    """Generate and build the lake unless it already holds this sample."""
    if generation_matches(read_generation(lake), clientes, seed) and (lake / "catalog.duckdb").exists():
        print(f"reusing {lake} ({clientes:,} clientes, seed {seed})")
        return
    cfg = GeneratorConfig(n_clientes=clientes, seed=seed)  # smart-meter data from the default month
    for step, action in (("generate", lambda: run_generate(cfg, lake)),
                         ("pipeline", lambda: run_pipeline(lake))):
        started = time.perf_counter()
        action()
        print(f"{step}: {time.perf_counter() - started:,.1f} s", file=sys.stderr)


def print_metrics(lake: Path, detecciones: pd.DataFrame, inspecciones: pd.DataFrame, sin_ami: SinMedicion | None,
                  args) -> None:
    anomalias = evaluate.read_anomalies(lake)
    etiquetado = evaluate.label_detections(detecciones, anomalias)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    print(f"\n{args.clientes:,} clientes, seed {args.seed}: {len(etiquetado):,} supply-months, "
          f"{int(etiquetado['es_anomalia'].sum()):,} inside {etiquetado['id_anomalia'].nunique():,} injected anomalies")
    print("\noverall (precision/recall/F1 over supply-months; recall_anomalias = anomalies with an alerted month)")
    globales = evaluate.overall_metrics(etiquetado)
    print(globales.drop(columns="nombre").to_string(index=False, float_format="{:.3f}".format))
    por_k = evaluate.precision_at_k(etiquetado)
    resumen = evaluate.precision_at_k_summary(por_k)
    print(f"\nprecision@k (capacity {args.capacidad:.3%} of billed supplies a month): {resumen['precision_k']:.3f} "
          f"({resumen['verdaderos']:,} / {resumen['capacidad_total']:,}); random pick: {resumen['tasa_aleatoria']:.3f}; "
          f"worst month {por_k['precision_k'].min():.3f}")
    print("\nrecall per anomaly type (share of anomalies / of their months found)")
    print(evaluate.recall_by_kind(etiquetado).to_string(index=False, float_format="{:.3f}".format))
    print("\ntimeliness: share of anomalies inspected within the capacity in one of their first 1, 3 or 6 months")
    print(evaluate.timeliness(etiquetado, anomalias).to_string(index=False, float_format="{:.3f}".format))
    print("\nfalse alarms on legitimate behaviour (its supply-months outside anomalies; share of the whole capacity)")
    legitimos = evaluate.read_legitimate(lake)
    print(evaluate.false_alarms_on_legitimate(etiquetado, legitimos).to_string(index=False, float_format="{:.3f}".format))
    tasa_iqr = etiquetado.groupby("anio_mes")["es_alerta_iqr"].mean() * 100
    fuera = tasa_iqr[~tasa_iqr.between(*targets.BANDA_TASA_IQR)]
    print(f"\nIQR rule's monthly rate: {tasa_iqr.min():.2f}-{tasa_iqr.max():.2f} % (mean {tasa_iqr.mean():.2f} %), "
          f"{len(tasa_iqr) - len(fuera)} of {len(tasa_iqr)} months in the 1-2 % band; outside: "
          + (", ".join(f"{mes} {tasa:.3f} %" for mes, tasa in fuera.items()) or "none"))
    print("\nsoles an inspection stops, same monthly capacity")
    print(evaluate.soles_per_inspection(etiquetado, anomalias).to_string(index=False, float_format="{:,.1f}".format))
    print("\nwhat each leading reason was worth (sql/gold/ref_valor_motivo.sql holds seed 42's)")
    print(evaluate.reason_calibration(etiquetado, anomalias).to_string(index=False, float_format="{:.3f}".format))
    print("\nprecision per companion reason code")
    print(evaluate.precision_by_reason(etiquetado).to_string(index=False, float_format="{:.3f}".format))
    por_mes = evaluate.metrics_by_month(etiquetado, "es_alerta_complementaria")
    print("\ncompanion per month: lowest precision and recall")
    print(por_mes.nsmallest(3, "precision").to_string(index=False, float_format="{:.3f}".format))
    print(por_mes.nsmallest(3, "recall").to_string(index=False, float_format="{:.3f}".format))
    print("\ninspection validation (hit = outcome other than SIN_ANOMALIA)")
    print(evaluate.inspection_validation(inspecciones, detecciones).to_string(index=False, float_format="{:.3f}".format))
    aporte = None
    if sin_ami is not None:
        sin = evaluate.label_detections(sin_ami.detecciones, anomalias)
        aporte = evaluate.smart_meter_contribution(etiquetado, sin, sin_ami.meses_ami, anomalias)
        print(f"\nsmart meters' reasons, on the {aporte['suministro_meses']:,} supply-months with interval data: "
              "anomalies inspected within the capacity in one of those months, with and without them; those that start "
              "in such a month (empiezan) and the share inspected in that first month")
        print(pd.DataFrame(aporte["por_tipo"]).to_string(index=False, float_format="{:.3f}".format))
        print("inspections within the capacity on those supply-months (and inside an anomaly): "
              + ", ".join(f"{nombre} {n['inspecciones']:,} ({n['verdaderas']:,})"
                          for nombre, n in aporte["inspecciones"].items()))
    if args.resultados:
        resumen = targets.summarise(etiquetado, anomalias, legitimos, clientes=args.clientes, semilla=args.seed,
                                    capacidad=args.capacidad, meses_sin_reinspeccion=companion.MESES_SIN_REINSPECCION,
                                    medicion_inteligente=aporte)
        targets.write(resumen, args.resultados)
        print(f"\ntargets written to {args.resultados}")
        print(targets.targets_table(resumen).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
