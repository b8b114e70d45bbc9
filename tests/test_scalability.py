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
