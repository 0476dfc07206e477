"""Exact figures: thresholds, ties and rounding are decided on a mean's exact value, never on float noise.

Ratings are whole numbers, so every mean consolidation derives is a fraction with a small denominator (a
group's mean over a few items, each the mean of a few reviews: 24 items × 3 reviews give at most 72).
Figures travel and are stored as floats, each the float nearest its exact value, and `exact` recovers
the fraction from such a float: two different fractions with denominators up to MAX_DENOMINATOR lie
further apart than a float's rounding error (and than the few units of noise a float sum adds), so the
nearest of them is the exact value. A threshold means the decimal written in the file: 0.34 is 17/50.
"""

import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

# A figure as it arrives: a float (from the store), a whole number, or already exact.
FigureValue = float | int | Fraction

# Distinct fractions up to this denominator differ by at least 2**-40, a thousand times the rounding error
# of a float below 1024; a round's means stay far below it (items × least common multiple of review counts).
MAX_DENOMINATOR = 1 << 20
# A float this far (or further) from a threshold or a rounding boundary lies on the same side of it as its
# exact value: float noise is a few units of 2**-52. Only closer figures need their fraction, which is slower.
CLEARLY_APART = 1e-9


def exact(value: FigureValue) -> Fraction:
    """The exact value of a figure: a fraction as it is, a float as the fraction it stands for."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return _recovered(float(value))


@lru_cache(maxsize=1 << 16)
def _recovered(value: float) -> Fraction:
    # Cached: a round's means take few distinct values, and recovering one costs a few microseconds.
    return Fraction(value).limit_denominator(MAX_DENOMINATOR)


@lru_cache(maxsize=1 << 16)
def ordered(value: FigureValue) -> float:
    """A sort key for figures: the float nearest the exact value. Equal values give equal keys, and such
    floats order as their values do, at a fraction of the cost of comparing fractions."""
    return float(exact(value))


@lru_cache(maxsize=1024)
def threshold(value: FigureValue) -> Fraction:
    """A threshold (critical_below, below, above, min_share) as the decimal it was written as."""
    return value if isinstance(value, Fraction) else Fraction(repr(float(value)))


def below(value: FigureValue, limit: FigureValue) -> bool:
    """Whether a figure is below a threshold, exactly: a mean of exactly 2.0 is not below 2.0."""
    return _side(value, limit) < 0


def above(value: FigureValue, limit: FigureValue) -> bool:
    """Whether a figure is above a threshold, exactly."""
    return _side(value, limit) > 0


def _side(value: FigureValue, limit: FigureValue) -> int:
    """-1, 0 or 1 as the figure lies below, at or above the threshold, exactly; floats decide where they can."""
    approximate, bound = float(value), float(limit)
    if abs(approximate - bound) >= CLEARLY_APART:
        return -1 if approximate < bound else 1
    apart = exact(value) - threshold(limit)
    return (apart > 0) - (apart < 0)


def share_reaches(count: int, total: int, minimum: FigureValue) -> bool:
    """Whether `count` of `total` is at least the share `minimum`: 17 of 50 reaches 0.34, 6 of 18 does not."""
    return total > 0 and Fraction(count, total) >= threshold(minimum)


def difference(value: FigureValue, other: FigureValue) -> Fraction:
    """`value` minus `other`, exactly (a gap, a change since the previous round)."""
    return exact(value) - exact(other)


def mean(values: Iterable[FigureValue]) -> Fraction | None:
    """The exact mean of some figures; None when there are none."""
    found = [exact(value) for value in values]
    return sum(found, Fraction(0)) / len(found) if found else None


def rounded(value: FigureValue, digits: int) -> Decimal:
    """A figure rounded to `digits` decimals, halves away from zero as German reports round (DIN 1333):
    3.25 gives 3.3, -2.25 gives -2.3, and 2.05 (a float a hair below it) gives 2.1."""
    scaled = exact(value) * 10**digits
    # floor(|x| + 1/2) in whole numbers: (2|n| + d) // 2d
    whole = (2 * abs(scaled.numerator) + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(-whole if scaled < 0 else whole).scaleb(-digits)


def written(value: FigureValue | None, language: str, digits: int = 1) -> str:
    """A figure as its readers write it, rounded as `rounded` does: 2,5 in German, 2.5 in English; a dash
    when there is none. Every figure the project shows is written by this function."""
    if value is None:
        return "–"
    approximate = float(value)
    scaled = abs(approximate) * 10**digits
    # Away from a half, the float rounds as the exact value does; only near one is the fraction needed.
    if math.isfinite(scaled) and abs(scaled - int(scaled) - 0.5) < CLEARLY_APART:
        text = f"{rounded(value, digits):f}"
    else:  # (and -0.04 is written 0.0, not -0.0)
        text = f"{approximate:.{digits}f}".removeprefix("-" if approximate > -(0.5 / 10**digits) else "")
    return text.replace(".", ",") if language == "de" else text
