"""The official rule, Tukey's upper fence per segment: its constants and its one pandas implementation.

A bill is atypical when its segment (``SEGMENTO``: tipo_cliente x nivel_tension x month) holds at least
``MIN_SEGMENTO`` evaluated bills and its valor_evaluado exceeds q3 + ``IQR_FACTOR`` x (q3 - q1) of the segment,
with numpy's linear quantiles. The pipeline computes the fence in SQL (``sql/gold/gold_cerco_segmento_mes.sql``)
with these constants bound as parameters (``fence_parameters()``, part of
``lds_utils.lake.pipeline.pipeline_parameters`` and of the companion detector's parameters, whose segments need
the same minimum). The pandas functions below
serve what the book recomputes: the rule under other constants (sensitivity) and on other values (the
comparison that chose valor_evaluado, ``lds_utils.detection.detect``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

IQR_FACTOR = 1.5
MIN_SEGMENTO = 30
SEGMENTO = ["tipo_cliente", "nivel_tension", "anio_mes"]
#: % of a month's bills that merit review, the project's working assumption (no published Luz del Sur rate): the
#: official rule should flag a volume inside this band every month. The traffic light uses the same cut-offs.
BANDA_REVISION_PCT = (1.0, 2.0)


def fence_parameters() -> dict:
    """The bound parameters of the fence's constants (names match the SQL's ``:placeholders``)."""
    return {"iqr_factor": IQR_FACTOR, "min_segmento": MIN_SEGMENTO}


def segment_fences(frame: pd.DataFrame, value: str = "valor_evaluado", segment: list[str] = SEGMENTO,
                   factor: float = IQR_FACTOR, minimum: int = MIN_SEGMENTO) -> pd.DataFrame:
    """One row per segment with a value: n_segmento, q1, q3, umbral_atipico and segmento_valido.

    The quartiles are numpy's (linear), as the SQL computes them: the same numbers, not only the same method.
    """
    groups = frame[frame[value].notna()].groupby(segment)[value]
    fences = groups.agg(n_segmento="size", q1=lambda values: np.quantile(values, 0.25),
                        q3=lambda values: np.quantile(values, 0.75))
    fences["umbral_atipico"] = fences["q3"] + factor * (fences["q3"] - fences["q1"])
    fences["segmento_valido"] = fences["n_segmento"] >= minimum
    return fences


def atypical(frame: pd.DataFrame, value: str = "valor_evaluado", segment: list[str] = SEGMENTO,
             factor: float = IQR_FACTOR, minimum: int = MIN_SEGMENTO) -> pd.Series:
    """Per row of frame: whether its value exceeds the fence of a valid segment (a row without a value never does)."""
    fences = segment_fences(frame, value, segment, factor, minimum)
    threshold = fences["umbral_atipico"].where(fences["segmento_valido"])
    row_threshold = threshold.reindex(pd.MultiIndex.from_frame(frame[segment])).to_numpy()
    return pd.Series(frame[value].to_numpy() > row_threshold, index=frame.index)


def segment_codes(frame: pd.DataFrame, segment: list[str] = SEGMENTO) -> pd.DataFrame:
    """The segment of each row as one number (NaN where a key is missing, as the rule groups), in a column
    ``segmento``: the rule applied many times to the same rows (``atypical(..., segment=["segmento"])``) groups one
    number instead of the segment's text columns each time."""
    codes = frame.groupby(segment, observed=True).ngroup()
    return pd.DataFrame({"segmento": codes.where(codes >= 0)}, index=frame.index)
