"""Reviewer calibration: how far each reviewer rates above or below their co-reviewers, and peer means
corrected for it.

Per reviewer and scale, over every rating they gave that at least one co-reviewer also gave (the same item
of the same party):

- the difference to the co-reviewers' mean, the reviewer's own rating left out (leave-one-out):
  d = x − mean of the others' ratings of that item;
- leniency: the mean of these differences, in levels of the scale (positive: rates more kindly than the
  co-reviewers, negative: more harshly);
- agreement: the share of those ratings that lie within one level of the co-reviewers' mean, which a
  coordinator reads as "agrees with the others on 8 of 10 ratings";
- compared: how many ratings these figures rest on.

Scales differ in range and meaning (a traffic light, a maturity scale 0–4), so every figure is kept per scale
and in that scale's levels; nothing is pooled across scales.

A reviewer is flagged when their leniency rests on at least MIN_COMPARED ratings and lies at least
LENIENCY_LIMIT levels from zero. An absolute limit means the same in every round, flags nobody in a round
where all agree and stays stable in a small round, where a median and MAD over a handful of reviewers would
swing with each one.

Corrected peer means (the round option `normalise: leniency`): each peer rating minus its reviewer's
leniency on that scale, estimated without the party being corrected (so a party's own ratings never correct
themselves), clipped to the scale's range; a reviewer whose leniency rests on fewer than MIN_COMPARED
ratings of other parties is not corrected. The raw figures are always kept beside the corrected ones.

Everything is grouped arithmetic over the round's arrays (review_model.consolidation), so a round of ten
thousand parties is calibrated in a fraction of a second.
"""

import itertools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from review_model.consolidation import RoundFigures
from review_model.questionnaire import Questionnaire

# A leniency rests on at least this many compared ratings before it flags a reviewer or corrects a mean:
# with a typical spread of one level between reviewers, ten ratings pin it down to about a third of a level.
MIN_COMPARED = 10
# A reviewer rating on average half a level or more above or below their co-reviewers is flagged.
LENIENCY_LIMIT = 0.5
# No reviewer in a review slot (the arrays' marker).
NO_REVIEWER = -1


class Normalisation(StrEnum):
    """What a round's report reports beside the raw peer means (round file key `normalise`)."""

    leniency = "leniency"


@dataclass(frozen=True, slots=True)
class ScaleRange:
    """A scale's lowest and highest value, and the size of one level (the smallest step between two)."""

    low: float
    high: float
    step: float


@dataclass(frozen=True, slots=True)
class ReviewerCalibration:
    """One reviewer's calibration on one scale."""

    reviewer: int  # the reviewer's enrolment id
    scale: str
    compared: int
    leniency: float | None  # in levels of the scale; None with nothing compared
    agreement: float | None  # share of compared ratings within one level of the co-reviewers' mean
    flagged: bool

    @property
    def lenient(self) -> bool:
        return self.flagged and (self.leniency or 0) > 0

    @property
    def harsh(self) -> bool:
        return self.flagged and (self.leniency or 0) < 0


@dataclass(frozen=True)
class RoundCalibration:
    """Every reviewer's calibration per scale, and the round's peer ratings corrected for their leniency.

    `corrected_peer_mean` is parties × rating cells, NaN where a cell has no peer rating, like
    RoundFigures.peer_mean.
    """

    reviewers: list[ReviewerCalibration]
    corrected_peer_mean: np.ndarray

    def by_scale(self) -> dict[str, list[ReviewerCalibration]]:
        found: dict[str, list[ReviewerCalibration]] = {}
        for entry in self.reviewers:
            found.setdefault(entry.scale, []).append(entry)
        return found

    def corrected_group_means(self, columns: list[int]) -> np.ndarray:
        """Per party, the mean of the corrected cell means over `columns` (NaN where none was rated)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # parties with none of the cells rated stay NaN
            return np.asarray(np.nanmean(self.corrected_peer_mean[:, columns], axis=1), dtype=np.float64)


def scale_ranges(questionnaire: Questionnaire) -> dict[str, ScaleRange]:
    """Each scale's range and level size, from its levels."""
    ranges = {}
    for name, scale in questionnaire.scales.items():
        values = scale.values
        step = min(b - a for a, b in itertools.pairwise(values))
        ranges[name] = ScaleRange(float(values[0]), float(values[-1]), float(step))
    return ranges


def calibrate(figures: RoundFigures, reviewers: np.ndarray, ranges: Mapping[str, ScaleRange]) -> RoundCalibration:
    """Calibrate the reviewers of a round. `reviewers` is parties × review slots, the enrolment id of the
    reviewer in each slot of `figures.peers` (NO_REVIEWER where the slot is empty)."""
    peers = figures.peers
    corrected = np.array(figures.peer_mean, dtype=np.float64, copy=True)
    found: list[ReviewerCalibration] = []
    for scale, columns in figures.columns_by_scale().items():
        span = ranges.get(scale)
        if span is None:
            continue  # a rating cell on a scale the questionnaire does not define is not a rating here
        ratings = peers[:, :, columns]
        present = ~np.isnan(ratings)
        counts = present.sum(axis=1, keepdims=True)
        sums = np.where(present, ratings, 0.0).sum(axis=1, keepdims=True)
        compared = present & (counts >= 2) & (reviewers[:, :, None] != NO_REVIEWER)
        with np.errstate(invalid="ignore", divide="ignore"):
            differences = np.where(compared, ratings - (sums - ratings) / (counts - 1), 0.0)
        # Per review (party × slot): the sum of its differences, how many, how many within one level.
        review_sum = differences.sum(axis=2)
        review_n = compared.sum(axis=2)
        review_close = (compared & (np.abs(differences) <= span.step + 1e-9)).sum(axis=2)
        ids, slot_of = np.unique(reviewers, return_inverse=True)
        slot_of = slot_of.reshape(reviewers.shape)
        total = np.bincount(slot_of.ravel(), review_sum.ravel(), len(ids))
        number = np.bincount(slot_of.ravel(), review_n.ravel(), len(ids))
        close = np.bincount(slot_of.ravel(), review_close.ravel(), len(ids))
        for index, reviewer in enumerate(ids.tolist()):
            n = int(number[index])
            if reviewer == NO_REVIEWER or n == 0:
                continue
            leniency = float(total[index] / n)
            flagged = n >= MIN_COMPARED and abs(leniency) >= LENIENCY_LIMIT * span.step - 1e-9
            found.append(ReviewerCalibration(reviewer, scale, n, leniency, float(close[index] / n), flagged))
        # Leave-one-out: each review corrected by its reviewer's leniency on the other parties they reviewed.
        others_n = number[slot_of] - review_n
        with np.errstate(invalid="ignore", divide="ignore"):
            loo = np.where(others_n >= MIN_COMPARED, (total[slot_of] - review_sum) / others_n, 0.0)
        loo = np.where(reviewers == NO_REVIEWER, 0.0, loo)
        adjusted = np.clip(ratings - loo[:, :, None], span.low, span.high)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # cells nobody rated stay NaN
            corrected[:, columns] = np.nanmean(np.where(present, adjusted, np.nan), axis=1)
    found.sort(key=lambda entry: (entry.scale, entry.reviewer))
    return RoundCalibration(found, corrected)


@dataclass(frozen=True, slots=True)
class ScaleSummary:
    """A scale's calibration across the round, naming nobody: how many reviewers were compared (on at least
    MIN_COMPARED ratings), how many flagged lenient or harsh, and the quartiles of their leniencies."""

    scale: str
    reviewers: int
    lenient: int
    harsh: int
    quartiles: tuple[float, float, float, float, float] | None  # minimum, lower quartile, median, upper, maximum

    @property
    def flagged(self) -> int:
        return self.lenient + self.harsh


def summarise(calibration: RoundCalibration) -> list[ScaleSummary]:
    """Per scale, the distribution of the reviewers' leniencies and the count flagged, for the report."""
    found = []
    for scale, entries in calibration.by_scale().items():
        measured = [e.leniency for e in entries if e.compared >= MIN_COMPARED and e.leniency is not None]
        quartiles = None
        if measured:
            q = np.quantile(np.array(measured), [0, 0.25, 0.5, 0.75, 1]).tolist()
            quartiles = (q[0], q[1], q[2], q[3], q[4])
        found.append(ScaleSummary(scale, len(measured), sum(e.lenient for e in entries),
                                  sum(e.harsh for e in entries), quartiles))  # fmt: skip
    return found
