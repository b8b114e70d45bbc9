"""The scalability appendix (book/escalabilidad.md) from the committed benchmark, bench/results/escala.json.

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
from lds_utils.config import PROJECT_ROOT
from lds_utils.lake.pipeline import READINGS_PER_SLICE
from lds_utils.reporting import plots
from lds_utils.synthetic.settings import GeneratorConfig

RESULTS = PROJECT_ROOT / "bench" / "results" / "escala.json"
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
