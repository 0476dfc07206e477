"""The round as a whole: the status matrix, round-wide counts, the benchmark ranking, progress since last round.

Pure functions over consolidated figures (as the findings store them), so the report and the tests read
the same logic without a store. Thresholds and ties are decided on exact values (review_model.exact_figures).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import itemgetter
from typing import NamedTuple

from review_model.exact_figures import FigureValue, below, difference, mean, ordered


class PartyGroup(NamedTuple):
    """One party's figures for one group (a field of action, an objective, a strategy level) on one scale."""

    party: str
    tag: str
    value: str
    scale: str
    self_mean: FigureValue | None
    peer_mean: FigureValue | None


@dataclass(frozen=True)
class MatrixCell:
    """The round's mean peer rating where a column (an objective) meets a row (a strategy level)."""

    column: str
    row: str
    scale: str
    peer_mean: FigureValue | None
    parties: int


@dataclass(frozen=True)
class StatusMatrix:
    scale: str
    columns: list[str]
    rows: list[str]
    cells: dict[tuple[str, str], MatrixCell]

    def cell(self, column: str, row: str) -> MatrixCell | None:
        return self.cells.get((column, row))


@dataclass(frozen=True)
class CriticalCount:
    """ "The legal/regulatory level is critical in 4 of 7 objectives": `of` is a row or a column, `among` the other."""

    of: str
    critical: int
    total: int


class Ranked(NamedTuple):
    party: str
    peer_mean: FigureValue
    rank: int


@dataclass(frozen=True)
class Progress:
    """How one group's peer mean moved from the previous round to this one (for a party, or the round)."""

    party: str | None
    value: str
    scale: str
    before: FigureValue
    now: FigureValue

    @property
    def change(self) -> Fraction:
        return difference(self.now, self.before)


def status_matrices(cells: Iterable[MatrixCell]) -> list[StatusMatrix]:
    """One matrix per scale, columns and rows in the order the cells come (questionnaire order)."""
    by_scale: dict[str, dict[tuple[str, str], MatrixCell]] = {}
    for cell in cells:
        by_scale.setdefault(cell.scale, {})[(cell.column, cell.row)] = cell
    return [
        StatusMatrix(
            scale,
            list(dict.fromkeys(column for column, _ in found)),
            list(dict.fromkeys(row for _, row in found)),
            found,
        )
        for scale, found in by_scale.items()
    ]


def critical_counts(matrix: StatusMatrix, threshold: FigureValue, *, by: str = "row") -> list[CriticalCount]:
    """Per row (or column), in how many of the measured cells across it the round's mean is below `threshold`."""
    counts = []
    for line in matrix.rows if by == "row" else matrix.columns:
        cells = [matrix.cell(other, line) if by == "row" else matrix.cell(line, other)
                 for other in (matrix.columns if by == "row" else matrix.rows)]  # fmt: skip
        measured = [cell.peer_mean for cell in cells if cell is not None and cell.peer_mean is not None]
        counts.append(CriticalCount(line, sum(1 for value in measured if below(value, threshold)), len(measured)))
    return counts


def benchmark_ranking(groups: Iterable[PartyGroup], tag: str, scale: str) -> dict[str, list[Ranked]]:
    """Per value of `tag` (per field of action), the parties ranked by their peers' mean, best first.

    Ties share a rank and the next rank is skipped (1, 2, 2, 4); parties without peer ratings are left out.
    """
    by_value: dict[str, list[PartyGroup]] = {}
    for group in groups:
        if group.tag == tag and group.scale == scale and group.peer_mean is not None:
            by_value.setdefault(group.value, []).append(group)
    ranking = {}
    for value, members in by_value.items():
        # Each key once: leniency-corrected means take as many values as there are parties, past the cache.
        keyed = sorted((((-ordered(g.peer_mean), g.party), g) for g in members), key=itemgetter(0))
        ranked: list[Ranked] = []
        previous_key = None
        for position, ((key, _), group) in enumerate(keyed, 1):
            assert group.peer_mean is not None  # only rated groups were kept
            tied = ranked and key == previous_key
            ranked.append(Ranked(group.party, group.peer_mean, ranked[-1].rank if tied else position))
            previous_key = key
        ranking[value] = ranked
    return ranking


def progress_since(
    previous: Sequence[PartyGroup], current: Sequence[PartyGroup], tag: str
) -> tuple[list[Progress], list[Progress]]:
    """Progress per party and group since the previous round, and the round-wide progress per group.

    Parties are matched by name (the organisation), groups by tag value and scale. Round-wide figures compare
    the mean over the parties that took part in both rounds, so newcomers do not shift the comparison.
    """
    before = {(g.party, g.value, g.scale): g.peer_mean for g in previous if g.tag == tag and g.peer_mean is not None}
    per_party = [
        Progress(g.party, g.value, g.scale, before[(g.party, g.value, g.scale)], g.peer_mean)
        for g in current
        if g.tag == tag and g.peer_mean is not None and (g.party, g.value, g.scale) in before
    ]
    pooled: dict[tuple[str, str], list[Progress]] = {}
    for item in per_party:
        pooled.setdefault((item.value, item.scale), []).append(item)
    round_wide = []
    for (value, scale), items in pooled.items():
        before_mean, now_mean = mean(p.before for p in items), mean(p.now for p in items)
        assert before_mean is not None and now_mean is not None  # every pool holds a party
        round_wide.append(Progress(None, value, scale, before_mean, now_mean))
    return per_party, round_wide


def most_frequent_with_ties(counts: Sequence[int], limit: int) -> list[int]:
    """The indexes of the `limit` largest non-zero counts, largest first (earlier first among equals), and
    every further one equal to the last: a list of "the ten most frequent" never cuts a tie in two."""
    ranked = sorted((i for i, n in enumerate(counts) if n), key=lambda i: -counts[i])
    if len(ranked) <= limit:
        return ranked
    last = counts[ranked[limit - 1]]
    return [i for i in ranked if counts[i] >= last]
