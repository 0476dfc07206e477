"""Consolidation: from the parties' self-assessments and their peer reviews to figures per item and per group.

A round's ratings are held as arrays, parties × rating cells for the self-assessments and parties × reviews ×
cells for the peer reviews, so a round of ten thousand parties consolidates in well under a second. The
consolidation stage stores the results as findings (review_model.findings); the report reads them back.
"""

import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, overload

import numpy as np

from review_model.agreement import krippendorff_alpha
from review_model.exact_figures import FigureValue, exact
from review_model.questionnaire import Questionnaire, RatingCell

# Peers disagree on an item when their ratings lie this many levels apart or more.
DISAGREEMENT_SPREAD = 2


@overload
def gap(peer_mean: float | None, own: float | None) -> float | None: ...
@overload
def gap(peer_mean: FigureValue | None, own: FigureValue | None) -> FigureValue | None: ...
def gap(peer_mean: FigureValue | None, own: FigureValue | None) -> FigureValue | None:
    """Peers' mean minus the party's own rating: negative when the party sees itself better than its peers do.

    A float, a few units of 2**-52 off where the means are not whole (7/3 minus 10/3 gives -1.0000000000000004):
    thresholds and rounding read it through review_model.exact_figures, which recovers the exact value."""
    return None if peer_mean is None or own is None else peer_mean - own


@dataclass(frozen=True)
class Means:
    """Per party, a mean as the exact fraction numerator / denominator (denominator 0: nothing rated)."""

    numerators: np.ndarray
    denominators: np.ndarray

    def values(self) -> np.ndarray:
        """Each mean as the float nearest it (one division of whole numbers), NaN where there is none."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.denominators > 0, self.numerators / self.denominators, np.nan)

    def minus(self, other: "Means") -> "Means":
        """Party by party, this mean minus the other, exactly; none where either has none."""
        both = (self.denominators > 0) & (other.denominators > 0)
        numerators = self.numerators * other.denominators - other.numerators * self.denominators
        return Means(np.where(both, numerators, 0), np.where(both, self.denominators * other.denominators, 0))

    def overall(self) -> Fraction | None:
        """The exact mean over the parties that have one. Numerators are summed per denominator first, so a
        round of ten thousand parties adds a handful of fractions, not ten thousand."""
        measured = self.denominators > 0
        if not measured.any():
            return None
        denominators, slot = np.unique(self.denominators[measured], return_inverse=True)
        sums = np.zeros(len(denominators), dtype=self.numerators.dtype)
        np.add.at(sums, slot, self.numerators[measured])
        total = sum((exact(n) / exact(d) for n, d in zip(sums.tolist(), denominators.tolist(), strict=True)),
                    Fraction(0))  # fmt: skip
        return total / int(measured.sum())


@dataclass(frozen=True)
class ItemFigures:
    """One rating cell of one reviewed party: its own rating beside its peers'."""

    key: str
    tags: dict[str, str]
    scale: str
    self_score: float | None
    peer_scores: tuple[float, ...]
    peer_median: float | None
    peer_mean: float | None
    spread: float | None

    @property
    def n_reviews(self) -> int:
        return len(self.peer_scores)

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread >= DISAGREEMENT_SPREAD

    @property
    def gap(self) -> float | None:
        return gap(self.peer_mean, self.self_score)


@dataclass(frozen=True)
class GroupKey:
    """Items that share a tag value on one scale: an objective's traffic lights, a field of action's maturity."""

    tag: str
    value: str
    scale: str


@dataclass(frozen=True)
class GroupFigures:
    """A group's means for one reviewed party: the party's own ratings, and its peers' mean ratings."""

    group: GroupKey
    items: int
    self_mean: float | None
    peer_mean: float | None

    @property
    def gap(self) -> float | None:
        return gap(self.peer_mean, self.self_mean)


@dataclass(frozen=True, slots=True)
class ReviewerComment:
    """What a reviewer wrote in a comment field (`item`, the field's key), with the ratings it was written
    beside: the reviewer's (`scores`) and the party's own (`own`), on the items the field belongs to."""

    item: str
    text: str
    scores: tuple[float | None, ...] = ()
    own: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupEvidence:
    """What stands behind a party's group figure: its lowest-rated items, and its reviewers' comments."""

    weakest: tuple[str, ...] = ()
    comments: tuple[ReviewerComment, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemDisagreement:
    """An item a party's peers disagreed on: its own rating, theirs, and how far apart they lay."""

    item: str
    own: float | None
    peers: tuple[float, ...]
    spread: float


class RoundFigures:
    """Every reviewed party's ratings side by side, with the figures consolidation derives from them.

    Party `p` is the p-th entry of the answers passed in; missing ratings are NaN in the arrays.
    """

    def __init__(
        self,
        questionnaire: Questionnaire,
        own_answers: Sequence[Mapping[str, Any]],
        peer_answers: Sequence[Sequence[Mapping[str, Any]]],
    ):
        self.cells: list[RatingCell] = list(questionnaire.rating_cells())
        keys = [cell.key for cell in self.cells]
        # At least one review slot, so that a round without any review still has (all-missing) figures.
        reviews = max((len(peers) for peers in peer_answers), default=0) or 1
        self.own = _ratings([[answers.get(key) for key in keys] for answers in own_answers], len(keys))
        reviews_of = [len(peers) for peers in peer_answers]
        flat = _ratings([[answers.get(key) for key in keys] for peers in peer_answers for answers in peers], len(keys))
        self.peers = np.full((len(peer_answers), reviews, len(keys)), np.nan)
        starts = np.cumsum([0, *reviews_of])
        for party, count in enumerate(reviews_of):
            self.peers[party, :count] = flat[starts[party] : starts[party] + count]
        comment_keys = list(dict.fromkeys(cell.comment_key for cell in self.cells))
        # Per party, what its reviewers wrote in the comment fields, by comment key: (review slot, text).
        self.peer_comments: list[dict[str, list[tuple[int, str]]]] = []
        for peers in peer_answers:
            comments: dict[str, list[tuple[int, str]]] = {}
            for slot, answers in enumerate(peers):
                for key in comment_keys:
                    text = answers.get(key)
                    if isinstance(text, str) and text.strip():
                        comments.setdefault(key, []).append((slot, text.strip()))
            self.peer_comments.append(comments)
        rated = ~np.isnan(self.peers)
        self.n_reviews = rated.sum(axis=1)
        self.peer_sum = np.nansum(self.peers, axis=1)
        # Whole-number ratings (as every scale's levels are) let group means be worked out exactly.
        self.whole = all(_whole_numbers(a) for a in (self.own, self.peers))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: cells nobody rated stay NaN
            self.peer_mean = np.nanmean(self.peers, axis=1)
            self.peer_median = np.nanmedian(self.peers, axis=1)
            self.spread = np.nanmax(self.peers, axis=1) - np.nanmin(self.peers, axis=1)
        self.gap = self.peer_mean - self.own
        self.disagreement = np.nan_to_num(self.spread, nan=0.0) >= DISAGREEMENT_SPREAD

    @property
    def parties(self) -> int:
        return int(self.own.shape[0])

    def items(self, party: int) -> list[ItemFigures]:
        """Every rating cell of one party, in questionnaire order."""
        return [
            ItemFigures(
                cell.key,
                dict(cell.tags),
                cell.scale,
                _optional(self.own[party, c]),
                tuple(float(v) for v in self.peers[party, :, c] if not np.isnan(v)),
                _optional(self.peer_median[party, c]),
                _optional(self.peer_mean[party, c]),
                _optional(self.spread[party, c]),
            )
            for c, cell in enumerate(self.cells)
        ]

    def groups(self, tags: Sequence[str] | None = None) -> dict[GroupKey, list[int]]:
        """The groups of cells (by tag value and scale), in questionnaire order, with their cell indexes."""
        found: dict[GroupKey, list[int]] = {}
        for index, cell in enumerate(self.cells):
            for tag, value in cell.tags.items():
                if tags is None or tag in tags:
                    found.setdefault(GroupKey(tag, value, cell.scale), []).append(index)
        return found

    def group_means(self, columns: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Per party, the mean own rating and the mean of the peers' means over `columns` (NaN where none),
        each the float nearest its exact value."""
        own, peer = self.exact_group_means(columns)
        return own.values(), peer.values()

    def exact_group_means(self, columns: Sequence[int]) -> tuple[Means, Means]:
        """Per party, the mean own rating and the mean of the peers' means over `columns`, as exact fractions.

        A mean of means, (5/3 + 7/3) / 2, is 2 here, where adding floats gives 1.9999999999999998.
        """
        own = self.own[:, columns]
        own_rated = ~np.isnan(own)
        counts = self.n_reviews[:, columns]
        rated = counts > 0
        cells = rated.sum(axis=1)
        # Over a common denominator: each cell's sum scaled by lcm / its count, then divided by lcm × cells.
        divisors = np.where(rated, counts, 1)
        common = np.lcm.reduce(divisors, axis=1) if len(columns) else np.ones(self.parties, dtype=np.int64)
        largest = float(np.nanmax(np.abs(self.peer_sum), initial=0.0)) + 1
        if not self.whole or float(common.max(initial=1)) * largest * max(len(columns), 1) >= 2.0**53:
            return self._float_group_means(columns)  # never with a real scale; kept exact where it can be
        scaled = self.peer_sum[:, columns].astype(np.int64) * (common[:, None] // divisors)
        own_means = Means(np.nansum(own, axis=1).astype(np.int64), own_rated.sum(axis=1))
        return own_means, Means(np.where(rated, scaled, 0).sum(axis=1), cells * common)

    def _float_group_means(self, columns: Sequence[int]) -> tuple[Means, Means]:
        """Group means of ratings that are not whole numbers (a hand-edited store), as plain float means."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            own, peer = np.nanmean(self.own[:, columns], axis=1), np.nanmean(self.peer_mean[:, columns], axis=1)
        own_means, peer_means = (Means(np.nan_to_num(a), (~np.isnan(a)).astype(np.int64)) for a in (own, peer))
        return own_means, peer_means

    def group_evidence(self, columns: Sequence[int], weakest: int = 3) -> list[GroupEvidence]:
        """Per party, what stands behind its group figure: its lowest-rated items (by its peers' mean) and
        what its reviewers wrote in the comment fields of the group's items, each comment with the ratings it
        is attached to (the reviewer's and the party's own, on the items the field belongs to), so that
        evidence for a low figure quotes only comments made on low ratings."""
        means = self.peer_mean[:, columns]
        # NaN (not rated) sorts last; a stable sort keeps questionnaire order among equal means.
        order = np.argsort(means, axis=1, kind="stable")[:, :weakest]
        names = np.array([self.cells[c].key for c in columns], dtype=object)[order].tolist()
        unrated = np.isnan(np.take_along_axis(means, order, axis=1))
        for party in np.flatnonzero(unrated.any(axis=1)).tolist():
            names[party] = [name for name, missing in zip(names[party], unrated[party], strict=True) if not missing]
        commented: dict[str, list[int]] = {}
        for c in columns:
            commented.setdefault(self.cells[c].comment_key, []).append(c)
        evidence = []
        for party, comments in enumerate(self.peer_comments):
            quoted: tuple[ReviewerComment, ...] = ()
            if comments:  # most parties have no comments at all
                quoted = tuple(
                    ReviewerComment(key, text, tuple(_optional(self.peers[party, slot, c]) for c in commented[key]),
                                    tuple(_optional(self.own[party, c]) for c in commented[key]))
                    for key, texts in comments.items() if key in commented for slot, text in texts
                )  # fmt: skip
            evidence.append(GroupEvidence(tuple(names[party]), quoted))
        return evidence

    def roll_ups(self, party: int, tags: Sequence[str] | None = None) -> list[GroupFigures]:
        """One party's means per group (per strategy level, per field of action, ...)."""
        result = []
        for group, columns in self.groups(tags).items():
            own, peer = self.group_means(columns)
            result.append(GroupFigures(group, len(columns), _optional(own[party]), _optional(peer[party])))
        return result

    def columns_by_scale(self) -> dict[str, list[int]]:
        """The cell indexes rated on each scale, scales in questionnaire order."""
        by_scale: dict[str, list[int]] = {}
        for index, cell in enumerate(self.cells):
            by_scale.setdefault(cell.scale, []).append(index)
        return by_scale

    def largest_disagreements(self, columns: Sequence[int], limit: int) -> list[list[ItemDisagreement]]:
        """Per party, the items among `columns` its peers disagreed on most (largest spread first)."""
        found = []
        for party in range(self.parties):
            flagged = [c for c in columns if self.disagreement[party, c]]
            flagged.sort(key=lambda c: -self.spread[party, c])
            found.append([
                ItemDisagreement(self.cells[c].key, _optional(self.own[party, c]),
                                 tuple(v for v in self.peers[party, :, c].tolist() if v == v),
                                 float(self.spread[party, c]))
                for c in flagged[:limit]
            ])  # fmt: skip
        return found

    def agreement_by_scale(self) -> dict[str, float | None]:
        """Krippendorff's alpha (ordinal) per scale: each party's cell is a unit, its reviewers the raters."""
        by_scale = self.columns_by_scale()
        return {
            scale: krippendorff_alpha(
                self.peers[:, :, columns].transpose(0, 2, 1).reshape(-1, self.peers.shape[1]), "ordinal"
            )
            for scale, columns in by_scale.items()
        }


def consolidate_party(
    questionnaire: Questionnaire, own: Mapping[str, Any], peers: Sequence[Mapping[str, Any]]
) -> list[ItemFigures]:
    """Every rating cell of one reviewed party, in questionnaire order."""
    return RoundFigures(questionnaire, [own], [peers]).items(0)


def status_dimensions(cells: Sequence[RatingCell]) -> tuple[str | None, str | None]:
    """The two tags a status matrix is drawn over: columns (objectives, fields of action) and rows (levels).

    They are the first two tags the rating cells carry, in questionnaire order: the section's tag first.
    """
    names: list[str] = []
    for cell in cells:
        names += [tag for tag in cell.tags if tag not in names]
    return (names[0] if names else None), (names[1] if len(names) > 1 else None)


def matrix_cells(cells: Sequence[RatingCell]) -> Iterator[tuple[str, str, str, list[int]]]:
    """The status matrix's cells: (column value, row value, scale, cell indexes), in questionnaire order."""
    column_tag, row_tag = status_dimensions(cells)
    found: dict[tuple[str, str, str], list[int]] = {}
    for index, cell in enumerate(cells):
        if column_tag in cell.tags:
            key = (cell.tags[column_tag], cell.tags.get(row_tag or "", ""), cell.scale)
            found.setdefault(key, []).append(index)
    for (column, row, scale), columns in found.items():
        yield column, row, scale, columns


def _ratings(rows: list[list[Any]], width: int) -> np.ndarray:
    """Answers as a float array, NaN where there is no rating. One conversion for the whole round; only if
    some answer is not a number (a hand-edited store, say) does it go value by value."""
    try:
        return np.array(rows, dtype=float).reshape(len(rows), width)
    except (TypeError, ValueError):
        return np.array([[_number(value) for value in row] for row in rows], dtype=float).reshape(len(rows), width)


def _number(value: Any) -> float:
    """A rating as numpy's conversion reads it (numbers, and numbers written as text); NaN for anything else."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _whole_numbers(ratings: np.ndarray) -> bool:
    finite = ratings[~np.isnan(ratings)]
    return bool(np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**20))


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
