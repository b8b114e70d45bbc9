"""The scalability appendix's tables and paragraphs follow the committed benchmark's figures."""

from __future__ import annotations

import pandas as pd
import pytest

from lds_utils.reporting import scalability


@pytest.fixture(scope="module")
def result():
    return scalability.load_results()


def test_the_tables_hold_every_run_and_step(result):
    full = scalability.full_run(result)
    assert full["clientes"] == max(run["clientes"] for run in result["corridas"])
    curve = scalability.scale_curve(result)
    assert curve["Clientes"].tolist() == [run["clientes"] for run in result["corridas"]]
    assert len(scalability.slopes(curve)) == len(curve) - 1
    gold = scalability.gold_comparison_list(result).splitlines()
    assert len(gold) == len(result["corridas"])


def test_the_machine_paragraph_quotes_the_run(result):
    paragraph = scalability.machine_paragraph(result)
    assert result["commit"] in paragraph
    assert scalability.number(scalability.full_run(result)["clientes"]) in paragraph


def test_the_slowest_steps_are_the_five_longest(result):
    steps = pd.DataFrame(scalability.full_run(result)["pipeline"]["steps"])
    sentence = scalability.slowest_steps_sentence(result)
    assert all(f"`{relation}`" in sentence for relation in steps.nlargest(5, "seconds")["relation"])


def _segments(first_time: float, last_pipeline: float) -> pd.DataFrame:
    return pd.DataFrame({"Desde (clientes)": [1_500, 150_000], "Hasta (clientes)": [150_000, 1_300_000],
                         "Pendiente del tiempo": [first_time, 1.0], "Pendiente de la generación": [1.0, 1.0],
                         "Pendiente del pipeline": [1.0, last_pipeline], "Pendiente de la memoria": [0.5, 1.0]})


@pytest.mark.parametrize(("first_time", "last_pipeline", "present", "absent"), [
    (0.5, 1.3, ["Costos fijos", "Tope de memoria"], ["crece en proporción"]),
    (1.0, 1.0, ["crece en proporción"], ["Costos fijos", "Tope de memoria"]),
    (1.0, 0.5, [], ["Costos fijos", "Tope de memoria", "crece en proporción"]),
])
def test_the_curve_is_explained_by_its_slopes(result, first_time, last_pipeline, present, absent):
    reasons = scalability.curve_reasons(result, _segments(first_time, last_pipeline))
    assert all(text in reasons for text in present)
    assert not any(text in reasons for text in absent)
    assert "por grupos de suministros" in reasons and "La generación" in reasons


def test_the_athena_cost_paragraph_matches_its_table():
    paragraph, table = scalability.athena_cost()
    assert "USD" in paragraph and table is not None


# -- the monthly cycle (bench/results/ciclo.json), on a fabricated benchmark ------------------------------------
def _cycle_run(pipeline: float, alertas: float, libro: float | None = None, bronze: str = "loaded") -> dict:
    segundos = {"pipeline": pipeline, "alertas": alertas, **({"libro": libro} if libro is not None else {})}
    return {"seconds": sum(segundos.values()) + 2.0, "cpu_seconds": 1.0, "peak_mb": 2000.0, "load_before": 0.5,
            "fallo": None, "segundos": segundos, "pipeline_alertas_s": pipeline + alertas,
            "pico_por_paso_mb": {step: 1000.0 for step in segundos}, "pico_pipeline_alertas_mb": 1500.0,
            "bronze": bronze, "bronze_motivo": "...",
            "capas": {"bronze": {"seconds": pipeline / 2, "peak_mb": 900.0},
                      "gold": {"seconds": pipeline / 2, "peak_mb": 1000.0}}}


def _median(runs: list[dict]) -> dict:
    middle = sorted(runs, key=lambda run: run["pipeline_alertas_s"])[1]
    book = {"libro_s": {"cuaderno 01_datos_sinteticos": 10.0, "libro html": 20.0}} if "libro" in middle["segundos"] else {}
    return {**middle, "bronze": [middle["bronze"]], "corridas_fallidas": 0, "corridas_sin_ciclo": 0, **book}


def _growth_point(period: str, readings: int, seconds: float) -> dict:
    run = _cycle_run(seconds - 1.0, 1.0)
    return {"periodo": period, "meses_datos": 36, "meses_informe": 24, "filas_lecturas": readings,
            "corridas_s": [seconds] * 3, "mediana": _median([run, run, run])}


def _objective(value: float, target: float, clientes: int) -> dict:
    return {"value": value, "target": target, "comparison": "<=", "clientes": clientes, "corridas_fallidas": 0,
            "met": value <= target}


def _ciclo(clientes: int = 1_300_000, cycle_s: float = (20.0, 22.0, 40.0), growth_s=(10.0, 10.5, 11.0)) -> dict:
    cycle = [_cycle_run(seconds - 5.0, 5.0, 50.0) for seconds in cycle_s]
    today = [_cycle_run(seconds * 3 - 5.0, 5.0, bronze="rebuilt") for seconds in cycle_s]
    median_cycle, median_today = _median(cycle), _median(today)
    step = {"seconds": 10.0, "cpu_seconds": 12.0, "peak_mb": 800.0, "load_before": 0.3}
    return {
        "fecha": "2026-12-06T10:00:00+00:00", "commit": "abc1234", "periodo": "2025-12",
        "maquina": {"nucleos": 2, "memoria_gb": 23.4, "cpu": "CPU"}, "carga_inicial": [0.4, 0.3, 0.2],
        "carga_final": [1.9, 1.5, 1.2], "duracion_s": 3600.0,
        "preparacion": {
            "generate": step, "pipeline": {**step, "capas": {}}, "alertas": {**step, "desde": "2021-01", "hasta": "2025-11"},
            "llegada_entrega": {**step, "periodo": "2025-12", "archivos_nuevos": 8, "bytes_nuevos": 123_456_789,
                                "lecturas_nuevas": 1_234_567, "archivos_reescritos": []},
            "lago": {"clientes": clientes, "desde": "2022-01", "desde_datos": "2021-01", "hasta": "2025-12",
                     "filas_lecturas": 61_000_000, "bytes_instantanea": 9_000_000_000, "bytes_raw": 5_000_000_000}},
        "ciclo": {"corridas": cycle, "mediana": median_cycle},
        "hoy": {"corridas": today, "mediana": median_today},
        "razon_hoy_ciclo": round(median_today["pipeline_alertas_s"] / median_cycle["pipeline_alertas_s"], 2),
        "reconstruccion": {"pipeline": {**step, "seconds": 330.0, "capas": {}}, "generate_s": 50.0,
                           "end_to_end_s": 380.0, "referencia": {"commit": "753fb04", "archivo": "bench/results/escala.json",
                                                                 "clientes": 1_300_000, "generate_s": 45.18,
                                                                 "pipeline_s": 329.38, "end_to_end_s": 374.56}},
        "crecimiento": {"clientes": 150_000, "puntos": [
            _growth_point(month, readings, seconds)
            for month, readings, seconds in zip(("2023-12", "2024-12", "2025-12"), (3e6, 4.5e6, 6e6), growth_s)]},
        "objetivos": {"ciclo_s": _objective(median_cycle["pipeline_alertas_s"], 30.0, clientes),
                      "ciclo_pico_mb": _objective(median_cycle["pico_pipeline_alertas_mb"], 3072.0, clientes),
                      "mes_s": _objective(median_cycle["seconds"], 90.0, clientes),
                      **({"reconstruccion_s": _objective(380.0, 374.6, clientes)} if clientes == 1_300_000 else {})},
    }


def test_without_the_cycle_benchmark_the_section_is_one_sentence(tmp_path):
    assert scalability.load_cycle_results(tmp_path / "ciclo.json") is None
    [sentence] = scalability.cycle_section(None)
    assert "ciclo.json" in sentence and sentence.count(".") >= 1


def test_the_cycle_benchmark_is_read_when_present(tmp_path):
    path = tmp_path / "ciclo.json"
    path.write_text('{"periodo": "2025-12"}', encoding="utf-8")
    assert scalability.load_cycle_results(path) == {"periodo": "2025-12"}


def test_the_section_holds_every_part_and_its_tables_render():
    ciclo = _ciclo()
    parts = scalability.cycle_section(ciclo)
    texts = [part for part in parts if isinstance(part, str)]
    tables = [part for part in parts if not isinstance(part, str)]
    assert len(tables) == 6  # targets, steps, book, layers, preparation, growth
    for table in tables:
        assert "<table" in table.to_html()
    assert any("Con más meses de historia" in text for text in texts)
    assert any("753fb04" in text for text in texts)
    del ciclo["crecimiento"], ciclo["reconstruccion"]
    assert len([part for part in scalability.cycle_section(ciclo) if not isinstance(part, str)]) == 5
    assert not any("753fb04" in part for part in scalability.cycle_section(ciclo) if isinstance(part, str))


def test_a_reused_snapshot_says_which_preparation_steps_this_run_did_not_measure():
    ciclo = _ciclo()
    assert scalability.reused_preparation_sentence(ciclo) == ""
    not_measured = {"seconds": None, "cpu_seconds": None, "peak_mb": None, "no_medido": "foto de una corrida anterior"}
    ciclo["preparacion"]["generate"] = ciclo["preparacion"]["pipeline"] = not_measured
    sentence = scalability.reused_preparation_sentence(ciclo)
    assert "corrida anterior" in sentence and "hasta 2025-11" in sentence
    table = scalability.preparation_table(ciclo)
    assert table.data["Segundos"].isna().tolist() == [True, True, False, False]
    assert "<table" in table.to_html()
    assert any(sentence in part for part in scalability.cycle_section(ciclo) if isinstance(part, str))


def test_a_snapshot_that_had_received_its_delivery_measures_no_preparation_step():
    ciclo = _ciclo()
    not_measured = {"seconds": None, "cpu_seconds": None, "peak_mb": None, "no_medido": "foto de una corrida anterior"}
    prepared = ciclo["preparacion"]
    prepared["generate"] = prepared["pipeline"] = not_measured
    prepared["alertas"] = {**not_measured, "desde": prepared["alertas"]["desde"], "hasta": prepared["alertas"]["hasta"]}
    prepared["llegada_entrega"] = {**prepared["llegada_entrega"], **not_measured, "archivos_reescritos": None}
    assert "ninguno de los pasos de preparación se midió" in scalability.reused_preparation_sentence(ciclo)
    assert scalability.preparation_table(ciclo).data["Segundos"].isna().all()
    paragraph = scalability.cycle_paragraph(ciclo)
    assert "8 archivos nuevos" in paragraph and "reescrib" not in paragraph


def test_the_paragraph_quotes_the_run_and_the_delivery():
    paragraph = scalability.cycle_paragraph(_ciclo())
    assert "abc1234" in paragraph and "1,300,000 clientes" in paragraph
    assert "8 archivos nuevos" in paragraph and "1,234,567 lecturas" in paragraph
    assert "publicada hasta 2025-11" in paragraph and "ningún archivo anterior se reescribió" in paragraph


def test_the_targets_sentence_says_which_are_met_and_which_are_not():
    sentence = scalability.cycle_targets_sentence(_ciclo(cycle_s=(20.0, 22.0, 40.0)))
    met, missed = sentence.split("**No se cumple")
    assert "pipeline + alertas del mes (22.0 s" in met
    assert "reconstrucción completa" in missed and "380.0 s" in missed
    assert "universo completo" not in sentence
    slow = scalability.cycle_targets_sentence(_ciclo(cycle_s=(31.0, 35.0, 40.0)))
    assert "pipeline + alertas del mes (35.0 s" in slow.split("**No se cumple")[1]


def test_targets_measured_on_a_smaller_lake_say_so():
    ciclo = _ciclo(clientes=15_000)
    assert "15,000" in scalability.cycle_targets_sentence(ciclo)
    assert "no se comparan" in scalability.rebuild_sentence(ciclo)
    assert "es más lenta" in scalability.rebuild_sentence(_ciclo())


def test_the_step_table_and_the_comparison_use_the_median_run():
    ciclo = _ciclo(cycle_s=(20.0, 22.0, 40.0))
    table = scalability.cycle_table(ciclo).data
    assert table["Paso"].tolist()[-2:] == ["Pipeline + alertas", "Comando «mes» completo (proceso)"]
    assert table.loc[table["Paso"] == "Pipeline + alertas", "Segundos"].item() == 22.0
    assert table.loc[table["Paso"] == "Pipeline + alertas", "Corridas (s)"].item() == "20.0, 22.0, 40.0"
    sentence = scalability.today_comparison_sentence(ciclo)
    assert "cargó solo la entrega nueva" in sentence and "**22.0 s**" in sentence and "**66.0 s**" in sentence
    assert f"**{scalability.number(ciclo['razon_hoy_ciclo'], 1)} veces**" in sentence
    layers = scalability.cycle_layers_table(ciclo).data
    assert layers["Capa"].tolist() == ["BRONZE", "GOLD"]
    assert layers["BRONZE reconstruido (s)"].tolist() == [30.5, 30.5]


@pytest.mark.parametrize(("growth_s", "verdict"), [
    ((10.0, 10.5, 10.4), "no crece con la historia"),
    ((10.0, 13.0, 15.0), "aunque menos que ella"),
    ((10.0, 15.0, 20.0), "**El ciclo crece con la historia**"),
])
def test_the_growth_verdict_follows_the_measured_times(growth_s, verdict):
    sentence = scalability.growth_sentence(_ciclo(growth_s=growth_s))
    assert verdict in sentence
    assert "multiplican por 2.00" in sentence


def test_when_every_target_is_met_the_sentence_says_so_once():
    ciclo = _ciclo(cycle_s=(20.0, 22.0, 25.0))
    del ciclo["objetivos"]["reconstruccion_s"]
    sentence = scalability.cycle_targets_sentence(ciclo)
    assert sentence.startswith("**Se cumplen todos los objetivos**") and "No se cumple" not in sentence
    assert "(1,500 MB, meta 3,072)" in sentence


def test_runs_that_did_not_finish_are_named_and_fail_their_targets():
    ciclo = _ciclo(cycle_s=(20.0, 22.0, 25.0))
    killed = {**ciclo["ciclo"]["corridas"][2], "fallo": "detenida al superar el tope de memoria del benchmark (16,384 MB)"}
    ciclo["ciclo"]["corridas"][2] = killed
    ciclo["objetivos"]["mes_s"] = {**ciclo["objetivos"]["mes_s"], "corridas_fallidas": 1, "met": False}
    ciclo["hoy"] = {"error": "SystemExit: copying needs about 30 GB"}
    ciclo["razon_hoy_ciclo"] = None
    parts = scalability.cycle_section(ciclo)
    texts = " ".join(part for part in parts if isinstance(part, str))
    assert "El ciclo: 1 de 3 corridas no terminaron (detenida al superar el tope de memoria" in texts
    assert "Con BRONZE reconstruido: el benchmark se detuvo (SystemExit: copying needs about 30 GB)" in texts
    assert "veces** lo que tarda el ciclo" not in texts
    assert "1 corrida sin terminar" in scalability.cycle_targets_sentence(ciclo).split("**No se cumple")[1]
    table = scalability.cycle_table(ciclo).data
    assert table.loc[table["Paso"] == "Edición del libro", "Corridas (s)"].item() == "50.0, 50.0, –"
    assert table.loc[table["Paso"] == "Pipeline + alertas", "Corridas (s)"].item() == "20.0, 22.0, 25.0"
    for part in parts:
        if not isinstance(part, str):
            assert "<table" in part.to_html()


def test_growth_without_a_measured_end_month_is_not_judged():
    ciclo = _ciclo()
    del ciclo["crecimiento"]["puntos"][-1]["mediana"]["pipeline_alertas_s"]
    assert scalability.growth_elasticity(ciclo) is None
    assert "no se puede juzgar" in scalability.growth_sentence(ciclo)


def test_the_interval_section_quotes_the_committed_run_or_says_it_is_missing(tmp_path):
    assert scalability.interval_section(scalability.load_interval_results(tmp_path / "none.json")) == [
        "Todavía no hay mediciones de los datos de intervalo: falta `bench/results/intervalos.json`, que escribe "
        "`bench/bench_intervals.py`."]
    result = scalability.load_interval_results()
    paragraph, steps = scalability.interval_section(result)
    month = result["pipeline_del_mes"]
    assert f"**{scalability.number(month['pasos_intervalos_s'], 1)} s**" in paragraph
    assert f"**USD {scalability.number(result['athena_por_mes']['usd_1300000'], 2)}**" in paragraph
    shown = steps.data.set_index("Paso")["Segundos"]
    assert shown["BRONZE: tipar y validar los intervalos"] == next(
        step["seconds"] for step in month["pasos_intervalos"] if step["relation"] == "stg_lectura_intervalo")
