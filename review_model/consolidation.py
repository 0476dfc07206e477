"""Consolidation: from a party's self-assessment and its peer reviews to figures per item and per group.

Pure functions over answers (dicts of rating-cell key to level value); the consolidation stage stores the
results as findings.
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from review_model.agreement import krippendorff_alpha
from review_model.questionnaire import Questionnaire

# Peers disagree on an item when their ratings lie this many levels apart or more.
DISAGREEMENT_SPREAD = 2


@dataclass(frozen=True)
class ItemFigures:
    """One rating cell of one reviewed party: its own rating beside its peers'."""

    key: str
    tags: dict[str, str]
    self_score: float | None
    peer_scores: tuple[float, ...]

    @property
    def n_reviews(self) -> int:
        return len(self.peer_scores)

    @property
    def peer_median(self) -> float | None:
        return float(statistics.median(self.peer_scores)) if self.peer_scores else None

    @property
    def peer_mean(self) -> float | None:
        return float(statistics.fmean(self.peer_scores)) if self.peer_scores else None

    @property
    def spread(self) -> float | None:
        return float(max(self.peer_scores) - min(self.peer_scores)) if self.peer_scores else None

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread >= DISAGREEMENT_SPREAD

    @property
    def gap(self) -> float | None:
        """Peers' mean minus the party's own rating: negative when the party sees itself better than its peers do."""
        if self.self_score is None or self.peer_mean is None:
            return None
        return self.peer_mean - self.self_score


@dataclass(frozen=True)
class GroupFigures:
    """Items that share a tag value (an objective, a strategy level, a field of action), taken together."""

    tag: str
    value: str
    items: int
    self_mean: float | None
    peer_mean: float | None

    @property
    def gap(self) -> float | None:
        return None if self.self_mean is None or self.peer_mean is None else self.peer_mean - self.self_mean


def consolidate_party(
    questionnaire: Questionnaire, own: Mapping[str, Any], peers: Sequence[Mapping[str, Any]]
) -> list[ItemFigures]:
    """Every rating cell of one reviewed party, in questionnaire order."""
    figures = []
    for cell in questionnaire.rating_cells():
        mine = own.get(cell.key)
        theirs = tuple(float(answers[cell.key]) for answers in peers if isinstance(answers.get(cell.key), int | float))
        figures.append(
            ItemFigures(cell.key, dict(cell.tags), float(mine) if isinstance(mine, int | float) else None, theirs)
        )
    return figures


def roll_up(items: Sequence[ItemFigures], tag: str) -> list[GroupFigures]:
    """Means per value of `tag` (e.g. per strategy level), over the items that carry it."""
    groups: dict[str, list[ItemFigures]] = {}
    for item in items:
        if tag in item.tags:
            groups.setdefault(item.tags[tag], []).append(item)
    result = []
    for value, members in groups.items():
        own = [item.self_score for item in members if item.self_score is not None]
        peer = [item.peer_mean for item in members if item.peer_mean is not None]
        result.append(
            GroupFigures(
                tag,
                value,
                len(members),
                statistics.fmean(own) if own else None,
                statistics.fmean(peer) if peer else None,
            )
        )
    return result


def agreement_by_scale(
    questionnaire: Questionnaire, peer_answers_by_party: Sequence[Sequence[Mapping[str, Any]]]
) -> dict[str, float | None]:
    """Krippendorff's alpha (ordinal) per scale across the round: each party's cell is a unit, its peers the raters."""
    units: dict[str, list[list[float | None]]] = {}
    for peers in peer_answers_by_party:
        for cell in questionnaire.rating_cells():
            values = [answers.get(cell.key) for answers in peers]
            units.setdefault(cell.scale, []).append([float(v) if isinstance(v, int | float) else None for v in values])
    return {scale: krippendorff_alpha(scale_units, "ordinal") for scale, scale_units in units.items()}
