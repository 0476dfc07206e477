"""Inter-rater agreement: Krippendorff's alpha (nominal, ordinal, interval), from the coincidence matrix.

Written from Krippendorff's own description ("Computing Krippendorff's Alpha-Reliability", 2011) rather
than taken from the `krippendorff` package, which is GPL-3.0; the tests reproduce that paper's worked example.
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Level = Literal["nominal", "ordinal", "interval"]


def krippendorff_alpha(units: Sequence[Sequence[float | None]] | np.ndarray, level: Level = "ordinal") -> float | None:
    """Alpha over units (each the values its raters gave, None or NaN where a rater gave none); None if undefined.

    1 is perfect agreement, 0 agreement at chance; units with fewer than two values do not count. `units` may
    be a units × raters array with NaN for missing values, which is how a large round passes them.
    """
    ratings = _as_array(units)
    present = ~np.isnan(ratings)
    pairable = present.sum(axis=1) >= 2
    ratings, present = ratings[pairable], present[pairable]
    if not len(ratings):
        return None
    values = np.unique(ratings[present])
    size = len(values)
    # counts[u, v]: how many raters gave unit u the value v
    counts = np.zeros((len(ratings), size))
    rows = np.nonzero(present)[0]
    np.add.at(counts, (rows, np.searchsorted(values, ratings[present])), 1.0)
    # every ordered pair of different raters in a unit, weighted 1 / (m - 1)
    weights = 1.0 / (counts.sum(axis=1) - 1.0)
    coincidence = (counts * weights[:, None]).T @ counts - np.diag((counts * weights[:, None]).sum(axis=0))
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    distance = _distance(values, totals, level)
    observed = (coincidence * distance).sum() / n
    expected = (np.outer(totals, totals) * distance).sum() / (n * (n - 1))
    if expected == 0:
        return None
    return float(1 - observed / expected)


def _as_array(units: Sequence[Sequence[float | None]] | np.ndarray) -> np.ndarray:
    if isinstance(units, np.ndarray):
        return units.astype(np.float64, copy=False).reshape(len(units), -1)
    width = max((len(unit) for unit in units), default=0)
    ratings = np.full((len(units), width), np.nan)
    for row, unit in enumerate(units):
        ratings[row, : len(unit)] = [np.nan if value is None else value for value in unit]
    return ratings


def _distance(values: np.ndarray, totals: np.ndarray, level: Level) -> NDArray[np.float64]:
    """The squared difference δ² between every two values, at the level of measurement."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.asarray((values[:, None] - values[None, :]) ** 2, dtype=np.float64)
    # ordinal: the frequencies between two ranks, halving the two ends
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    low, high = (
        np.minimum.outer(np.arange(len(values)), np.arange(len(values))),
        np.maximum.outer(np.arange(len(values)), np.arange(len(values))),
    )
    between = cumulative[high + 1] - cumulative[low]
    return np.asarray((between - (totals[low] + totals[high]) / 2) ** 2, dtype=np.float64)
