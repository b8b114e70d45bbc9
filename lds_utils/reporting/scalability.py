"""The scalability appendix (book/escalabilidad.md) from the committed benchmarks: bench/results/escala.json (the
scale benchmark, bench/bench_scale.py) and bench/results/ciclo.json (the monthly cycle, bench/bench_cycle.py).

Each function turns the benchmark's figures into one table, figure or paragraph of the page (Spanish, for the
reader); the page only calls them. The figures are the benchmark's: nothing here measures anything.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator

from lds_utils.aws import cost as aws_cost
from lds_utils.config import PROJECT_ROOT, shift_period
from lds_utils.lake.pipeline import READINGS_PER_SLICE
from lds_utils.reporting import plots
from lds_utils.synthetic.settings import GeneratorConfig

RESULTS = PROJECT_ROOT / "bench" / "results" / "escala.json"
CYCLE_RESULTS = PROJECT_ROOT / "bench" / "results" / "ciclo.json"
LAYERS = {"check": "Verificación de archivos RAW", "raw": "RAW (registro de los CSV)", "bronze": "BRONZE",
          "silver": "SILVER", "gold": "GOLD", "views": "Vistas KPI"}
TARGETS = {
    "e2e_s": ("Universo completo de punta a punta", "s"),
    "e2e_peak_mb": ("Pico de memoria de punta a punta", "MB"),
    "incremental_s": ("Corrida de un mes", "s"),
    "gold_speedup": ("GOLD + IQR: veces más rápido que pandas", "veces"),
    "gold_memory_ratio": ("GOLD + IQR: memoria frente a pandas", "fracción"),
}
COMPARISONS = {"<": "menor que", "<=": "a lo sumo", ">=": "al menos"}
WAYS = {"project": "Proyecto (SQL en DuckDB)", "pandas": "pandas"}
WRITE_FLOOR = {"silver_consumo_mensual": "SILVER", "gold_factura_evaluada_mes": "las facturas GOLD"}


def number(value: float, decimals: int = 0) -> str:
    return plots.format_thousands(value, decimals)


def load_results() -> dict:
    return json.loads(RESULTS.read_text(encoding="utf-8"))


def full_run(result: dict) -> dict:
    """The largest run of the benchmark: the full universe."""
    return result["corridas"][-1]


def machine_paragraph(result: dict) -> str:
    machine, full = result["maquina"], full_run(result)
    versions = ", ".join(f"{package} {version}" for package, version in machine["versiones"].items())
    return (
        f"Corrida del **{result['fecha'][:10]}** ({result['fecha'][11:16]} UTC) en una máquina con "
        f"**{machine['nucleos']} núcleos** ({machine['cpu']}) y **{number(machine['memoria_gb'], 1)} GB** de "
        f"memoria; {machine['sistema']}, Python {machine['python']}, {versions}. Código: commit "
        f"`{result['commit']}`. La máquina no estaba dedicada: la carga promedio (procesos listos para "
        f"correr, último minuto) era {number(result['carga_inicial'][0], 2)} al empezar y "
        f"{number(result['carga_final'][0], 2)} al terminar, y cada paso registra la suya. Con dos núcleos, "
        f"una carga mayor que 2 significa que el benchmark compartió la CPU con otros procesos, de modo que sus "
        f"tiempos son una cota superior. El universo completo tiene **{number(full['clientes'])} clientes**, "
        f"**{number(full['filas_lecturas'])} lecturas** de medidor y **{number(full['filas_gold'])} "
        f"facturas** en GOLD. El benchmark completo tardó {number(result['duracion_s'] / 60, 1)} minutos."
    )


def _step_row(step: str, figures: dict) -> dict:
    return {"Paso": step, "Segundos": figures["seconds"], "CPU (s)": figures.get("cpu_seconds", np.nan),
            "Pico de memoria (MB)": figures["peak_mb"]}


def end_to_end_table(result: dict):
    full = full_run(result)
    rows = [_step_row("Generación de datos RAW (CSV)", full["generate"])]
    rows += [_step_row(f"Pipeline · {LAYERS.get(layer, layer)}", figures)
             for layer, figures in full["pipeline"]["layers"].items()]
    rows += [_step_row("Pipeline completo (proceso)", full["pipeline"]),
             _step_row("Total de punta a punta", full["end_to_end"]),
             _step_row(f"Corrida de un mes ({full['incremental']['period']})", full["incremental"])]
    rows += [_step_row(f"Solo reescribir {WRITE_FLOOR.get(table, table)} (leer y escribir el Parquet)", figures)
             for table, figures in full.get("piso_escritura", {}).items()]
    return plots.table(pd.DataFrame(rows), {"Segundos": "decimal", "CPU (s)": "decimal",
                                            "Pico de memoria (MB)": "miles"})


def slowest_steps_sentence(result: dict) -> str:
    steps = pd.DataFrame(full_run(result)["pipeline"]["steps"])
    return "Los pasos más lentos del pipeline: " + "; ".join(
        f"`{step.relation}` ({LAYERS.get(step.layer, step.layer)}) {number(step.seconds, 1)} s"
        for step in steps.nlargest(5, "seconds").itertuples()) + "."


def monthly_runs_sentence(result: dict) -> str | None:
    """The repeated one-month runs, when the benchmark repeated them (None otherwise)."""
    runs = full_run(result)["incremental"].get("runs_s")
    if not runs:
        return None
    return (f"La corrida de un mes dura unos segundos y una sola medición depende de los altibajos de la máquina: el "
            f"benchmark la repite {len(runs)} veces sobre el mismo lago "
            f"({', '.join(number(seconds, 1) for seconds in runs)} s) y la tabla muestra la corrida mediana.")


def targets_table(result: dict):
    targets = pd.DataFrame([
        {"Objetivo": TARGETS[name][0],
         "Meta": f"{COMPARISONS[check['comparison']]} {number(check['target'], 0 if check['target'] >= 1 else 2)}",
         "Medido": check["value"], "Unidad": TARGETS[name][1], "Medido con (clientes)": check["clientes"],
         "Se cumple": check["met"]}
        for name, check in result["objetivos"].items()
    ])
    return plots.table(targets, {"Medido": "decimal", "Medido con (clientes)": "miles"})


def gold_comparison_table(result: dict):
    rows = []
    for run in result["corridas"]:
        for way, label in WAYS.items():
            step = run["gold_step"][way]
            output = step["output"] or {}
            rows.append({"Clientes": run["clientes"], "Cómo": label, "Segundos": step["seconds"],
                         "Pico de memoria (MB)": step["peak_mb"], "Filas": output.get("rows"),
                         "Atípicas": output.get("atipicos"), "Detenido por memoria": step["killed_at_memory_cap"]})
    return plots.table(pd.DataFrame(rows), {"Clientes": "miles", "Segundos": "decimal",
                                            "Pico de memoria (MB)": "miles", "Filas": "miles", "Atípicas": "miles"})


def _repeated_runs(step: dict) -> str:
    """The runs of each way when the benchmark repeated the step (the table shows the median run)."""
    runs = {label: step[way].get("runs_s", []) for way, label in WAYS.items()}
    if len(runs["pandas"]) < 2:
        return ""
    return (f" Cada manera corrió {len(runs['pandas'])} veces, alternadas, y cuenta la corrida mediana ("
            + "; ".join(f"{label}: {', '.join(number(s, 1) for s in seconds)} s" for label, seconds in runs.items())
            + ").")


def _gold_comparison_line(result: dict, run: dict) -> str:
    step = run["gold_step"]
    if "speedup" in step:
        return (f"{number(run['clientes'])} clientes: pandas tarda {number(step['speedup'], 1)} veces lo que tarda el "
                f"proyecto, que usa {number(100 * step['memory_ratio'])} % de la memoria de pandas; "
                f"{'mismo resultado' if step['same_result'] else 'resultados distintos'}.{_repeated_runs(step)}")
    return (f"{number(run['clientes'])} clientes: pandas superó el límite de "
            f"{number(result['tope_memoria_benchmark_mb'] / 1024)} GB a los "
            f"{number(step['pandas']['seconds'], 1)} s y se detuvo sin resultado; el proyecto terminó en "
            f"{number(step['project']['seconds'], 1)} s con "
            f"{number(step['project']['peak_mb'])} MB.")


def gold_comparison_list(result: dict) -> str:
    return "\n".join(f"- {_gold_comparison_line(result, run)}" for run in result["corridas"])


def scale_curve(result: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "Clientes": run["clientes"], "Lecturas": run["filas_lecturas"], "Generación (s)": run["generate"]["seconds"],
        "Pipeline (s)": run["pipeline"]["seconds"], "Total (s)": run["end_to_end"]["seconds"],
        "Pico de memoria (MB)": run["end_to_end"]["peak_mb"],
        "µs por lectura": 1e6 * run["end_to_end"]["seconds"] / run["filas_lecturas"],
    } for run in result["corridas"]])


def scale_curve_table(curve: pd.DataFrame):
    return plots.table(curve, {"Clientes": "miles", "Lecturas": "miles", "Generación (s)": "decimal",
                               "Pipeline (s)": "decimal", "Total (s)": "decimal", "Pico de memoria (MB)": "miles",
                               "µs por lectura": "decimal"})


def scale_figure(result: dict, curve: pd.DataFrame) -> Figure:
    """Wall time and peak memory against customers, log-log, with the linear growth and the targets."""
    fig = Figure(figsize=(9.0, 4.4), layout="constrained")
    time_axis, memory_axis = fig.subplots(1, 2)
    for column, color in (("Total (s)", plots.AZUL), ("Pipeline (s)", plots.NARANJA), ("Generación (s)", plots.GRIS)):
        time_axis.plot(curve["Clientes"], curve[column], marker="o", color=color, label=column.removesuffix(" (s)"))
    base = curve.iloc[-2] if len(curve) > 1 else curve.iloc[-1]
    ends = np.array([curve["Clientes"].min(), curve["Clientes"].max()])
    time_axis.plot(ends, base["Total (s)"] * ends / base["Clientes"], ls="--", color=plots.AZUL_CLARO,
                   label="crecimiento lineal")
    targets = result["objetivos"]
    time_axis.axhline(targets["e2e_s"]["target"], color=plots.NARANJA, ls=":", lw=1,
                      label="objetivo de punta a punta")
    time_axis.set(xscale="log", yscale="log", title="Tiempo de reloj", xlabel="Clientes", ylabel="Segundos")
    time_axis.legend(loc="upper left", fontsize=8)
    memory_axis.plot(curve["Clientes"], curve["Pico de memoria (MB)"], marker="o", color=plots.AZUL,
                     label="pico medido")
    memory_axis.axhline(targets["e2e_peak_mb"]["target"], color=plots.NARANJA, ls=":", lw=1, label="objetivo")
    memory_axis.set(xscale="log", yscale="log", title="Pico de memoria", xlabel="Clientes", ylabel="MB")
    megabytes = FuncFormatter(lambda value, _: number(value))
    memory_axis.yaxis.set_major_formatter(megabytes)
    memory_axis.yaxis.set_minor_locator(LogLocator(subs=(2, 5)))
    memory_axis.yaxis.set_minor_formatter(megabytes)
    memory_axis.legend()
    return fig


def _slope(a: pd.Series, b: pd.Series, column: str) -> float:
    """Slope of a segment of the log-log curve: 1 is linear growth."""
    return float(np.log(b[column] / a[column]) / np.log(b["Clientes"] / a["Clientes"]))


def slopes(curve: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([
        {"Desde (clientes)": a["Clientes"], "Hasta (clientes)": b["Clientes"],
         "Pendiente del tiempo": _slope(a, b, "Total (s)"),
         "Pendiente de la generación": _slope(a, b, "Generación (s)"),
         "Pendiente del pipeline": _slope(a, b, "Pipeline (s)"),
         "Pendiente de la memoria": _slope(a, b, "Pico de memoria (MB)")}
        for (_, a), (_, b) in zip(curve.iloc[:-1].iterrows(), curve.iloc[1:].iterrows())
    ])


def slopes_table(segments: pd.DataFrame):
    columns = [column for column in segments.columns if column.startswith("Pendiente")]
    return plots.table(segments, {"Desde (clientes)": "miles", "Hasta (clientes)": "miles"}
                       | {column: "decimal" for column in columns})


def _fixed_costs(first: pd.Series) -> str:
    return (
        f"**Costos fijos en los tamaños chicos** (pendiente {number(first['Pendiente del tiempo'], 2)} entre "
        f"{number(first['Desde (clientes)'])} y {number(first['Hasta (clientes)'])} clientes). Arrancar Python, "
        "importar pandas, pyarrow y DuckDB, abrir el catálogo y escribir un Parquet por tabla y por mes cuesta "
        "unos segundos aunque haya pocas filas. La memoria tiene el mismo piso: el intérprete y las bibliotecas "
        "ocupan unos cientos de MB antes de leer un dato."
    )


def _engine_memory_cap(result: dict, last: pd.Series) -> str:
    return (
        f"**Tope de memoria del motor en el universo completo** (pendiente del pipeline "
        f"{number(last['Pendiente del pipeline'], 2)} y de la memoria {number(last['Pendiente de la memoria'], 2)} "
        f"entre {number(last['Desde (clientes)'])} y {number(last['Hasta (clientes)'])} clientes). DuckDB corre "
        f"con un tope de {result['tope_memoria_duckdb']} (`lds_utils.lake.engines.MEMORY_LIMIT`); lo que no cabe lo "
        "escribe en disco y lo vuelve a leer, y el tiempo por lectura sube."
    )


def _linear_pipeline(last: pd.Series) -> str:
    return (
        f"**El pipeline crece en proporción a las lecturas** en el último tramo (pendiente "
        f"{number(last['Pendiente del pipeline'], 2)} entre {number(last['Desde (clientes)'])} y "
        f"{number(last['Hasta (clientes)'])} clientes): ninguna capa se sale de la memoria. El conteo de claves "
        "repetidas de BRONZE, una entrada por lectura, agrupa un hash de 64 bits de cada clave en vez del texto, "
        "y así cabe en memoria sin escribir nada en disco."
    )


def _slices() -> str:
    return (
        "**SILVER y GOLD se calculan por grupos de suministros** de hasta unas "
        f"{number(READINGS_PER_SLICE)} lecturas (`lds_utils.lake.pipeline.READINGS_PER_SLICE`), cada grupo una corrida de "
        "la misma sentencia, para que ninguna ordene más de lo que cabe en memoria. El cerco de cada segmento mira "
        "todos los suministros, así que se calcula después, sobre las facturas ya escritas "
        "(`gold_cerco_segmento_mes`, una fila por segmento y mes), y la relación GOLD del contrato es una vista que une "
        "facturas y cercos: las facturas se escriben una sola vez."
    )


def _write_floor(result: dict, floor: dict) -> str:
    full = full_run(result)
    writing = sum(figures["seconds"] for figures in floor.values())
    target = result["objetivos"]["e2e_s"]["target"]
    return (
        "**Escribir las tablas ya es un piso.** Solo leer y volver a escribir, tal como están, la tabla SILVER y "
        "las facturas GOLD del universo completo (particionadas por mes, Parquet con Snappy, sin ninguna lógica) tarda "
        + " y ".join(f"{number(figures['seconds'], 1)} s ({WRITE_FLOOR.get(table, table)}, {number(figures['rows'])} "
                     "filas)" for table, figures in floor.items())
        + f". Con la generación de los CSV ({number(full['generate']['seconds'], 1)} s) suman "
        f"{number(writing + full['generate']['seconds'], 1)} s antes de validar, diferenciar, facturar o "
        f"calcular un solo cerco; el objetivo de {number(target)} s de punta a punta "
        f"deja {number(target - writing - full['generate']['seconds'], 1)} s para "
        "leer los CSV, validar y escribir BRONZE y todo el cálculo de SILVER y GOLD. Las facturas de GOLD llevan, "
        "además de las columnas del contrato, los componentes de la factura y el contexto que usan el capítulo de "
        "la factura y el tablero, y escribirlas es la mayor parte de ese piso. Para abaratarla, DuckDB lee las "
        "columnas de código de BRONZE (tipo de cliente, nivel de tensión, opción tarifaria, sector, distrito y "
        "zona) como ENUM: las facturas las copian como un byte por valor y el escritor de Parquet no tiene que "
        "comparar cada texto para armar su diccionario (15 % menos tiempo en las facturas a 150,000 clientes). La "
        "mediana de las 12 facturas previas se escribe para Athena como el centro de la lista ordenada; en DuckDB "
        "esa misma expresión se traduce a `list_median`, que no ordena nada y da el mismo número (otro 10 % menos). "
        "Y las lecturas válidas de BRONZE (`bronze_acumulado`) son una vista sobre la tabla de staging, que ya las "
        "tiene tipadas y validadas: los 61 millones de lecturas se escriben una sola vez."
    )


def _generation(last: pd.Series) -> str:
    return (
        f"**La generación** trabaja por bloques fijos de {number(GeneratorConfig().clientes_por_bloque)} clientes, un "
        f"proceso por núcleo: su pendiente en el último tramo es {number(last['Pendiente de la generación'], 2)} y su "
        "memoria la acota el tamaño del bloque, no el del universo."
    )


def curve_reasons(result: dict, segments: pd.DataFrame) -> str:
    """Where and why the scale curve leaves the straight line, from the slopes of its segments."""
    first, last = segments.iloc[0], segments.iloc[-1]
    reasons = []
    if first["Pendiente del tiempo"] < 0.9:
        reasons.append(_fixed_costs(first))
    if last["Pendiente del pipeline"] > 1.1:
        reasons.append(_engine_memory_cap(result, last))
    elif last["Pendiente del pipeline"] >= 0.9:
        reasons.append(_linear_pipeline(last))
    reasons.append(_slices())
    floor = full_run(result).get("piso_escritura")
    if floor:
        reasons.append(_write_floor(result, floor))
    reasons.append(_generation(last))
    return "Dónde y por qué la curva se aparta de la recta:\n\n" + "\n".join(f"- {r}" for r in reasons)


def athena_cost() -> tuple[str, pd.DataFrame]:
    """The projected Athena cost of a monthly run at full scale: a paragraph and the bytes per statement group."""
    measurement = aws_cost.latest_measurement()
    cost = aws_cost.cost_report(measurement)
    by_group = cost["por_capa"].rename(columns={"capa": "Grupo de sentencias"})
    by_group["GB leídos (cota)"] = by_group.pop("bytes_escaneados") / 1e9
    by_group["USD"] = by_group.pop("usd")
    paragraph = (
        f"Los tamaños medidos de cada tabla en un lago de **{number(cost['clientes_medidos'])} clientes** "
        f"(`{cost['origen']}`, {cost['medido']}) alimentan la estimación del capítulo "
        f"«Despliegue en AWS». Para una corrida mensual (`pipeline --engine athena --period {cost['periodo']}`) "
        f"a {number(cost['clientes'])} clientes, Athena leería como máximo "
        f"**{number(cost['total_bytes'] / 1e9, 2)} GB**, unos **USD {number(cost['total_usd'], 2)}** a "
        f"USD {number(aws_cost.ATHENA_USD_PER_TB)} por TB escaneado. La sentencia más grande, "
        f"`{cost['mayor_sentencia']}`, lee {number(cost['mayor_bytes'] / 1e9, 2)} GB. Una consulta del tablero "
        f"sobre una vista KPI lee a lo sumo "
        f"{number(aws_cost.dashboard_query_bound(measurement)['bytes_escaneados'] / 1e9, 2)} GB."
    )
    return paragraph, plots.table(by_group, {"GB leídos (cota)": "decimal", "USD": "decimal"})


# -- the monthly cycle (bench/results/ciclo.json) --------------------------------------------------------------
CYCLE_TARGETS = {
    "ciclo_s": ("Pipeline + alertas del mes", "s"),
    "ciclo_pico_mb": ("Pico de memoria de pipeline + alertas del mes", "MB"),
    "mes_s": ("Comando «mes» completo, con el libro", "s"),
    "reconstruccion_s": ("Reconstrucción completa: generación + pipeline", "s"),
}
CYCLE_STEPS = {"pipeline": "Pipeline del mes", "alertas": "Alertas del mes", "libro": "Edición del libro"}
#: Growth of the cycle's time with the months of history, as an elasticity (log of the time ratio over log of the
#: readings ratio): below this the cycle does not grow with the history (within the noise of a few runs).
FLAT_ELASTICITY = 0.2
#: The size the cycle's targets are set for.
FULL_UNIVERSE = 1_300_000


def load_cycle_results(path=None) -> dict | None:
    """The committed cycle benchmark, or None when it has not been run (the page then says so)."""
    path = CYCLE_RESULTS if path is None else path
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def cycle_missing_sentence() -> str:
    return ("Todavía no hay mediciones del ciclo mensual: falta `bench/results/ciclo.json`, que escribe "
            "`make bench-ciclo` (`bench/bench_cycle.py`).")


def _size(size: float) -> str:
    return f"{number(size / 1e9, 1)} GB" if size >= 1e9 else f"{number(size / 1e6, 1)} MB"


def _runs(seconds: list[float | None]) -> str:
    """Every run's seconds; a dash for a run that did not get there."""
    return ", ".join("–" if value is None else number(value, 1) for value in seconds)


def _measured(part: dict | None) -> bool:
    """A part of the benchmark that ran (not skipped, not stopped)."""
    return bool(part) and "error" not in part


def cycle_paragraph(ciclo: dict) -> str:
    """When, where and on what the cycle was measured."""
    machine, lake = ciclo["maquina"], ciclo["preparacion"]["lago"]
    llegada = ciclo["preparacion"]["llegada_entrega"]
    runs = len(ciclo["ciclo"].get("corridas", []))
    return (
        f"Corrida del **{ciclo['fecha'][:10]}** ({ciclo['fecha'][11:16]} UTC), commit `{ciclo['commit']}`, en una "
        f"máquina de {machine['nucleos']} núcleos y {number(machine['memoria_gb'], 1)} GB (carga promedio "
        f"{number(ciclo['carga_inicial'][0], 2)} al empezar y {number(ciclo['carga_final'][0], 2)} al terminar). "
        f"El lago tiene **{number(lake['clientes'])} clientes** y {number(lake['filas_lecturas'] or 0)} lecturas de "
        f"{lake['desde_datos']} a {lake['hasta']}; ocupa {_size(lake['bytes_instantanea'])} en disco "
        f"({_size(lake['bytes_raw'])} de CSV RAW). La foto de partida está publicada hasta "
        f"{shift_period(ciclo['periodo'], -1)} y acaba de recibir la entrega **{ciclo['periodo']}**: "
        f"{number(llegada['archivos_nuevos'])} archivos nuevos ({_size(llegada['bytes_nuevos'])}, "
        f"{number(llegada['lecturas_nuevas'])} lecturas)"
        + _rewritten_clause(llegada["archivos_reescritos"])
        + "Cada corrida parte de una copia nueva de esa foto; "
        + (f"el benchmark repite cada medición {runs} veces y cuenta la mediana. " if runs > 1 else
           "el benchmark hizo cada medición una sola vez. ")
        + f"El benchmark completo tardó {number(ciclo['duracion_s'] / 60, 1)} minutos."
    )


def _rewritten_clause(reescritos: list | None) -> str:
    if reescritos is None:  # the arrival was an earlier run's
        return ". "
    if not reescritos:
        return ", y ningún archivo anterior se reescribió. "
    return f"; se reescribieron {number(len(reescritos))} archivos anteriores. "


def cycle_targets_table(ciclo: dict):
    rows = [{"Objetivo": CYCLE_TARGETS[name][0],
             "Meta": f"{COMPARISONS[check['comparison']]} {number(check['target'], 1 if check['target'] % 1 else 0)}",
             "Medido": check["value"], "Unidad": CYCLE_TARGETS[name][1],
             "Corridas sin terminar": check.get("corridas_fallidas", 0), "Se cumple": check["met"]}
            for name, check in ciclo["objetivos"].items()]
    return plots.table(pd.DataFrame(rows), {"Medido": "decimal"})


def _target_phrase(name: str, check: dict) -> str:
    label, unit = CYCLE_TARGETS[name]
    decimals = 0 if unit == "MB" else 1
    measured = "sin medición" if check["value"] is None else f"{number(check['value'], decimals)} {unit}"
    failed = check.get("corridas_fallidas", 0)
    unfinished = f", {failed} corrida{'s' if failed > 1 else ''} sin terminar" if failed else ""
    return f"{label[0].lower()}{label[1:]} ({measured}, meta {number(check['target'], decimals)}{unfinished})"


def cycle_targets_sentence(ciclo: dict) -> str:
    """Which targets are met and which are not, plainly."""
    met = [_target_phrase(name, check) for name, check in ciclo["objetivos"].items() if check["met"]]
    missed = [_target_phrase(name, check) for name, check in ciclo["objetivos"].items() if not check["met"]]
    clientes = {check["clientes"] for check in ciclo["objetivos"].values()}
    parts = [] if clientes == {FULL_UNIVERSE} else [
        f"Los objetivos son para el universo completo ({number(FULL_UNIVERSE)} clientes) y esta corrida tiene "
        f"{' y '.join(number(n) for n in sorted(clientes))}: su veredicto no vale para el universo completo."]
    if not missed:
        parts.append(f"**Se cumplen todos los objetivos**: {'; '.join(met)}.")
    else:
        if met:
            parts.append(f"**Se cumple{'n' if len(met) > 1 else ''}**: {'; '.join(met)}.")
        parts.append(f"**No se cumple{'n' if len(missed) > 1 else ''}**: {'; '.join(missed)}.")
    return " ".join(parts)


def failures_sentence(part: dict, what: str) -> str | None:
    """Why runs of a part did not finish, or why the part stopped (None when every run finished)."""
    if "error" in part:
        return f"{what}: el benchmark se detuvo ({part['error']})."
    reasons = [run["fallo"] for run in part["corridas"] if run["fallo"]]
    if not reasons:
        return None
    return (f"{what}: {len(reasons)} de {len(part['corridas'])} corridas no terminaron ("
            + "; ".join(dict.fromkeys(reasons)) + "); las medianas son de las que terminaron cada paso.")


def cycle_table(ciclo: dict):
    """The cycle step by step (medians), with every run's seconds."""
    median, runs = ciclo["ciclo"]["mediana"], ciclo["ciclo"]["corridas"]
    rows = [{"Paso": CYCLE_STEPS.get(step, step), "Segundos": seconds,
             "Pico de memoria (MB)": median["pico_por_paso_mb"].get(step),
             "Corridas (s)": _runs([run["segundos"].get(step) if not (step == "libro" and run["fallo"]) else None
                                    for run in runs])}
            for step, seconds in median.get("segundos", {}).items()]
    rows += [{"Paso": "Pipeline + alertas", "Segundos": median.get("pipeline_alertas_s"),
              "Pico de memoria (MB)": median.get("pico_pipeline_alertas_mb"),
              "Corridas (s)": _runs([run["pipeline_alertas_s"] for run in runs])},
             {"Paso": "Comando «mes» completo (proceso)", "Segundos": median["seconds"],
              "Pico de memoria (MB)": median["peak_mb"],
              "Corridas (s)": _runs([None if run["fallo"] else run["seconds"] for run in runs])}]
    return plots.table(pd.DataFrame(rows), {"Segundos": "decimal", "Pico de memoria (MB)": "miles"})


def book_table(ciclo: dict):
    """Where the edition's time goes: each notebook (two run at a time) and the HTML build (None without them)."""
    durations = ciclo["ciclo"]["mediana"].get("libro_s")
    if not durations:
        return None
    rows = [{"Parte del libro": "HTML (jupyter-book)" if name == "libro html" else name.removeprefix("cuaderno "),
             "Segundos": seconds} for name, seconds in durations.items()]
    return plots.table(pd.DataFrame(rows), {"Segundos": "decimal"})


def _layers_rows(layers: dict) -> list[dict]:
    return [{"Capa": LAYERS.get(layer, layer), "Segundos": figures["seconds"], "Pico de memoria (MB)": figures["peak_mb"]}
            for layer, figures in layers.items()]


def cycle_layers_table(ciclo: dict):
    """The pipeline of the month layer by layer, in the cycle and the way it ran before (BRONZE rebuilt)."""
    cycle = {row["Capa"]: row for row in _layers_rows(ciclo["ciclo"]["mediana"].get("capas", {}))}
    today = {row["Capa"]: row for row in _layers_rows(ciclo["hoy"].get("mediana", {}).get("capas", {}))}
    rows = [{"Capa": layer,
             "Ciclo (s)": cycle.get(layer, {}).get("Segundos", np.nan),
             "BRONZE reconstruido (s)": today.get(layer, {}).get("Segundos", np.nan),
             "Ciclo, pico (MB)": cycle.get(layer, {}).get("Pico de memoria (MB)", np.nan),
             "BRONZE reconstruido, pico (MB)": today.get(layer, {}).get("Pico de memoria (MB)", np.nan)}
            for layer in dict.fromkeys([*today, *cycle])]
    return plots.table(pd.DataFrame(rows), {"Ciclo (s)": "decimal", "BRONZE reconstruido (s)": "decimal",
                                            "Ciclo, pico (MB)": "miles", "BRONZE reconstruido, pico (MB)": "miles"})


def today_comparison_sentence(ciclo: dict) -> str | None:
    """The cycle's pipeline and alerts beside the same month with BRONZE rebuilt (None without both)."""
    cycle, today = ciclo["ciclo"]["mediana"], ciclo["hoy"].get("mediana", {})
    if not ciclo.get("razon_hoy_ciclo"):
        return None
    bronze = {"loaded": "cargó solo la entrega nueva", "reused": "reutilizó BRONZE",
              "rebuilt": "reconstruyó BRONZE completo"}
    what = " y ".join(bronze.get(action, action) for action in cycle["bronze"])
    return (
        f"En el ciclo, el pipeline del mes {what}: pipeline y alertas tardaron "
        f"**{number(cycle['pipeline_alertas_s'], 1)} s**. Sobre la misma foto, reconstruir BRONZE con todas las "
        f"entregas y luego correr el mismo mes (lo que hacía cada mes antes de cargar las entregas una por una, y "
        f"lo que hace hoy cuando cambió un archivo ya cargado) tarda "
        f"**{number(today['pipeline_alertas_s'], 1)} s** (corridas: "
        f"{_runs([run['pipeline_alertas_s'] for run in ciclo['hoy']['corridas']])} s): "
        f"**{number(ciclo['razon_hoy_ciclo'], 1)} veces** lo que tarda el ciclo."
    )


def preparation_table(ciclo: dict):
    """What the benchmark does before the cycle: reported, not targets."""
    prepared = ciclo["preparacion"]
    alertas, llegada = prepared["alertas"], prepared["llegada_entrega"]
    ranges = len(alertas.get("tramos", [])) or 1
    rows = [_step_row(f"Generar el lago hasta {alertas['hasta']}", prepared["generate"]),
            _step_row("Pipeline completo (todos los meses)", prepared["pipeline"]),
            _step_row(f"Alertas de {alertas['desde']} a {alertas['hasta']}"
                      + (f" ({ranges} tramos, uno por proceso)" if ranges > 1 else ""), alertas),
            _step_row(f"Llegada de la entrega {llegada['periodo']} («generate --hasta {llegada['periodo']}»)",
                      llegada)]
    return plots.table(pd.DataFrame(rows), {"Segundos": "decimal", "CPU (s)": "decimal",
                                            "Pico de memoria (MB)": "miles"})


def reused_preparation_sentence(ciclo: dict) -> str:
    """Why some preparation steps have no figure: an earlier run of the benchmark did them ('' when none)."""
    prepared = ciclo["preparacion"]
    if not any("no_medido" in prepared[step] for step in ("generate", "pipeline")):
        return ""
    if "no_medido" in prepared["llegada_entrega"]:
        return (" Esta corrida partió de la foto que dejó una corrida anterior del benchmark, ya publicada hasta "
                f"{shift_period(ciclo['periodo'], -1)} y con la entrega {ciclo['periodo']} recibida: ninguno de los "
                "pasos de preparación se midió aquí (sin cifra en la tabla); la reconstrucción completa, más abajo, "
                "mide la generación y el pipeline.")
    return (" Esta corrida partió de la foto que dejó una corrida anterior del benchmark, ya generada y construida "
            f"hasta {shift_period(ciclo['periodo'], -1)}: la generación y el pipeline completo de la foto no se "
            "midieron aquí (sin cifra en la tabla); la reconstrucción completa, más abajo, mide ambos pasos.")


def rebuild_sentence(ciclo: dict) -> str | None:
    """The full rebuild on the snapshot beside the committed one (None when the benchmark skipped it)."""
    rebuild = ciclo.get("reconstruccion")
    if not rebuild:
        return None
    if "error" in rebuild:
        return f"La reconstrucción completa sobre la foto no terminó: {rebuild['error']}."
    reference, clientes = rebuild["referencia"], ciclo["preparacion"]["lago"]["clientes"]
    measured = (
        f"generar un lago nuevo hasta {ciclo['periodo']} ({number(rebuild['generate_s'], 1)} s) y correr el "
        f"pipeline de todos los meses "
        f"({number(rebuild['pipeline']['seconds'], 1)} s, pico {number(rebuild['pipeline']['peak_mb'])} MB) suman "
        f"**{number(rebuild['end_to_end_s'], 1)} s**"
    )
    committed = (f"{number(reference['end_to_end_s'], 1)} s ({number(reference['generate_s'], 1)} s de generación y "
                 f"{number(reference['pipeline_s'], 1)} s de pipeline) en `{reference['archivo']}` del commit "
                 f"`{reference['commit']}`")
    if clientes != reference["clientes"]:
        return (f"Reconstrucción completa sobre la foto: {measured}. La cifra registrada, {committed}, es de "
                f"{number(reference['clientes'])} clientes y esta corrida de {number(clientes)}: no se comparan.")
    verdict = "no es más lenta" if ciclo["objetivos"]["reconstruccion_s"]["met"] else "es más lenta"
    return (f"Con las entregas mensuales, la reconstrucción completa {verdict} que la registrada: {measured}, frente a "
            f"{committed}.")


def growth_table(ciclo: dict):
    growth = ciclo["crecimiento"]
    rows = [{"Mes publicado": point["periodo"], "Meses de datos": point["meses_datos"],
             "Lecturas del lago": point["filas_lecturas"],
             "Pipeline (s)": point["mediana"].get("segundos", {}).get("pipeline"),
             "Alertas (s)": point["mediana"].get("segundos", {}).get("alertas"),
             "Pipeline + alertas (s)": point["mediana"].get("pipeline_alertas_s"),
             "Corridas (s)": _runs(point["corridas_s"]),
             "Pico de memoria (MB)": point["mediana"].get("pico_pipeline_alertas_mb")}
            for point in growth["puntos"]]
    return plots.table(pd.DataFrame(rows), {"Lecturas del lago": "miles", "Pipeline (s)": "decimal",
                                            "Alertas (s)": "decimal", "Pipeline + alertas (s)": "decimal",
                                            "Pico de memoria (MB)": "miles"})


def growth_elasticity(ciclo: dict) -> float | None:
    """How the cycle's time grows with the lake's readings from the first end month to the last (log-log slope);
    None unless both were measured."""
    first, last = ciclo["crecimiento"]["puntos"][0], ciclo["crecimiento"]["puntos"][-1]
    times = [point["mediana"].get("pipeline_alertas_s") for point in (first, last)]
    if None in times or first["filas_lecturas"] == last["filas_lecturas"]:
        return None
    return float(np.log(times[1] / times[0]) / np.log(last["filas_lecturas"] / first["filas_lecturas"]))


def growth_sentence(ciclo: dict) -> str:
    growth = ciclo["crecimiento"]
    first, last = growth["puntos"][0], growth["puntos"][-1]
    elasticity = growth_elasticity(ciclo)
    if elasticity is None:
        return "El crecimiento con la historia no se puede juzgar: falta la medición del primer o del último mes."
    time_ratio = last["mediana"]["pipeline_alertas_s"] / first["mediana"]["pipeline_alertas_s"]
    readings_ratio = last["filas_lecturas"] / first["filas_lecturas"]
    if elasticity < FLAT_ELASTICITY:
        verdict = "**El ciclo no crece con la historia**"
        why = (" Un mes nuevo lee sus lecturas y las de los 12 meses anteriores y las facturas GOLD ya publicadas de "
               "esos 12 meses, no toda la historia.")
    elif elasticity < 0.8:
        verdict, why = "**El ciclo crece con la historia, aunque menos que ella**", ""
    else:
        verdict, why = "**El ciclo crece con la historia**", ""
    return (
        f"{verdict}: con {number(growth['clientes'])} clientes, de {first['periodo']} ({first['meses_datos']} meses "
        f"de datos) a {last['periodo']} ({last['meses_datos']} meses) las lecturas del lago se multiplican por "
        f"{number(readings_ratio, 2)} y el tiempo de pipeline + alertas por {number(time_ratio, 2)} (pendiente "
        f"log-log {number(elasticity, 2)}: 0 es no crecer y 1 crecer en proporción a la historia).{why}"
    )


def cycle_section(ciclo: dict | None) -> list:
    """The section "El ciclo mensual" in order: Markdown text (str) and tables; one sentence when there is no
    benchmark. A part the benchmark skipped or that stopped is left out or says why."""
    if ciclo is None:
        return [cycle_missing_sentence()]
    parts = [cycle_paragraph(ciclo), "**Objetivos.**", cycle_targets_table(ciclo), cycle_targets_sentence(ciclo)]
    if _measured(ciclo["ciclo"]):
        parts += [f"**`mes --period {ciclo['periodo']}`, paso a paso** (medianas; el pico de cada paso es el del "
                  "proceso mientras corre ese paso):", cycle_table(ciclo)]
        book = book_table(ciclo)
        if book is not None:
            parts += ["La edición del libro, cuaderno por cuaderno (corren de a dos) y el HTML:", book]
    parts += [sentence for sentence in (failures_sentence(ciclo["ciclo"], "El ciclo"),
                                        failures_sentence(ciclo["hoy"], "Con BRONZE reconstruido"),
                                        today_comparison_sentence(ciclo)) if sentence]
    if _measured(ciclo["ciclo"]) or _measured(ciclo["hoy"]):
        parts += ["El pipeline del mes por capas, en el ciclo y con BRONZE reconstruido:", cycle_layers_table(ciclo)]
    parts += ["**Antes del ciclo.** Lo que el benchmark hace antes de medir el ciclo; se informa, pero no tiene "
              "objetivo." + reused_preparation_sentence(ciclo), preparation_table(ciclo)]
    rebuild = rebuild_sentence(ciclo)
    if rebuild:
        parts.append(rebuild)
    growth = ciclo.get("crecimiento")
    if growth and "error" in growth:
        parts.append(f"**Con más meses de historia.** La medición no terminó: {growth['error']}.")
    elif growth:
        parts += ["**Con más meses de historia.** El mismo ciclo, sin el libro, en lagos más chicos publicados "
                  "hasta meses distintos (una foto por mes, cada corrida sobre una copia nueva):", growth_table(ciclo),
                  growth_sentence(ciclo)]
    return parts


# -- the smart meters' data (bench/results/intervalos.json) ----------------------------------------------------
INTERVAL_RESULTS = PROJECT_ROOT / "bench" / "results" / "intervalos.json"
INTERVAL_STEPS = {"stg_lectura_intervalo": "BRONZE: tipar y validar los intervalos",
                  "stg_evento_medidor_tipado": "BRONZE: tipar los eventos",
                  "stg_evento_medidor": "BRONZE: eventos entre entregas",
                  "bronze_evento_medidor": "BRONZE: eventos vigentes",
                  "silver_intervalo_mensual": "SILVER: medir los intervalos contra el registro"}


def load_interval_results(path=None) -> dict | None:
    """The committed smart-meter benchmark, or None when it has not been run (the page then says so)."""
    path = INTERVAL_RESULTS if path is None else path
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def interval_section(result: dict | None) -> list:
    """The smart meters' data at scale: a paragraph and the monthly run's interval steps (or one sentence)."""
    if result is None:
        return ["Todavía no hay mediciones de los datos de intervalo: falta `bench/results/intervalos.json`, que "
                "escribe `bench/bench_intervals.py`."]
    gen, month, athena = result["generacion"], result["pipeline_del_mes"], result["athena_por_mes"]
    clientes = result["clientes"]
    per_month = result["filas"]["lectura_intervalo"] / _months_of(result)
    scale = FULL_UNIVERSE / clientes
    paragraph = (
        f"`bench/bench_intervals.py` mide los datos de los medidores inteligentes en un lago de "
        f"**{number(clientes)} clientes** (commit {result['commit']}, {result['fecha']}, una corrida). Un mes son "
        f"**{number(per_month / 1e6, 1)} millones de intervalos** de 15 minutos: "
        f"{_size(athena['csv_del_mes_bytes'])} de CSV en RAW, {_size(athena['parquet_por_mes_bytes'])} de Parquet "
        f"en BRONZE. Generarlos suma unos {number(gen['con_intervalos_hasta_mes_anterior']['seconds'] - gen['sin_intervalos']['seconds'], 1)} s "
        f"a la generación (pico de {number(gen['con_intervalos_hasta_mes_anterior']['peak_mb'])} MB con dos procesos). "
        f"En la corrida del mes, los pasos de intervalos y eventos toman **{number(month['pasos_intervalos_s'], 1)} s** "
        f"de {number(month['total_s'], 1)} s (pico de {number(month['peak_mb'])} MB). Los medidores inteligentes son "
        f"una fracción de los clientes, así que a {number(FULL_UNIVERSE)} clientes serían unas "
        f"{number(scale, 0)} veces más: del orden de {number(month['pasos_intervalos_s'] * scale / 60, 0)} minutos "
        f"por mes en esta máquina (no medido). En Athena, un mes leería unos "
        f"**{number(athena['bytes_escaneados_1300000'] / 1e9, 1)} GB**, unos **USD {number(athena['usd_1300000'], 2)}** "
        f"(el CSV del mes completo y dos meses de intervalos tipados para SILVER)."
    )
    steps = pd.DataFrame([{"Paso": INTERVAL_STEPS.get(step["relation"], step["relation"]),
                           "Segundos": step["seconds"], "Pico MB": step["peak_mb"]}
                          for step in month["pasos_intervalos"] if step["relation"] in INTERVAL_STEPS])
    return [paragraph, plots.table(steps, {"Segundos": "decimal", "Pico MB": "miles"})]


def _months_of(result: dict) -> int:
    first, last = result["meses_intervalos"]
    return (int(last[:4]) * 12 + int(last[5:])) - (int(first[:4]) * 12 + int(first[5:])) + 1
