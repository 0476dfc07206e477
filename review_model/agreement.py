"""Inter-rater agreement: Krippendorff's alpha (nominal, ordinal, interval), from the coincidence matrix.

Written from Krippendorff's own description ("Computing Krippendorff's Alpha-Reliability", 2011) rather
than taken from the `krippendorff` package, which is GPL-3.0; the tests reproduce that paper's worked example.
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval"]


def krippendorff_alpha(units: Sequence[Sequence[float | None]], level: Level = "ordinal") -> float | None:
    """Alpha over units (each the values its raters gave, None where a rater gave none); None if undefined.

    1 is perfect agreement, 0 agreement at chance; units with fewer than two values do not count.
    """
    pairable = [[value for value in unit if value is not None] for unit in units]
    pairable = [unit for unit in pairable if len(unit) >= 2]
    if not pairable:
        return None
    values = np.array(sorted({value for unit in pairable for value in unit}), dtype=np.float64)
    index = {value: i for i, value in enumerate(values.tolist())}
    size = len(values)
    coincidence = np.zeros((size, size))
    for unit in pairable:
        counts = np.bincount([index[value] for value in unit], minlength=size).astype(np.float64)
        # every ordered pair of different raters in the unit, weighted 1 / (m - 1)
        coincidence += (np.outer(counts, counts) - np.diag(counts)) / (len(unit) - 1)
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    distance = _distance(values, totals, level)
    observed = (coincidence * distance).sum() / n
    expected = (np.outer(totals, totals) * distance).sum() / (n * (n - 1))
    if expected == 0:
        return None
    return float(1 - observed / expected)


def _distance(values: np.ndarray, totals: np.ndarray, level: Level) -> np.ndarray:
    """The squared difference δ² between every two values, at the level of measurement."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    # ordinal: the frequencies between two ranks, halving the two ends
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    low, high = (
        np.minimum.outer(np.arange(len(values)), np.arange(len(values))),
        np.maximum.outer(np.arange(len(values)), np.arange(len(values))),
    )
    between = cumulative[high + 1] - cumulative[low]
    return (between - (totals[low] + totals[high]) / 2) ** 2
