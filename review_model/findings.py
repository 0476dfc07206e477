"""The findings as the store keeps them: the rows consolidation writes, the keys they are stored under, what
their details hold, and how the report, the reply pages and the recommendation rules read them back.

A finding's figures are columns of its row; the rest is JSON in its `details`, whose shape only this module
knows. Findings stored by earlier versions lack some details (a round group's exact means, the count of
further disagreements, the ratings beside a comment); they read as they always did: the float mean, no
further disagreements, a comment that supports no rule.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from review_model.calibration import MIN_COMPARED, RoundCalibration, ScaleSummary, summarise
from review_model.consolidation import (
    GroupEvidence,
    ItemDisagreement,
    Means,
    ReviewerComment,
    RoundFigures,
    matrix_cells,
    status_dimensions,
)
from review_model.exact_figures import FigureValue, exact
from review_model.round_overview import MatrixCell, most_frequent_with_ties
from review_model.tables import Finding
from review_model.vocabulary import FindingScope

# The tags that roll up into findings of their own, and the scope each is stored under.
ROLL_UPS = {
    "objective": FindingScope.objective,
    "strategy_level": FindingScope.strategy_level,
    "field_of_action": FindingScope.field_of_action,
    "guideline": FindingScope.guideline,
}
GROUP_SCOPES = tuple(ROLL_UPS.values())
# Per party and scale, the largest disagreements kept with its findings; its profile in the report shows as
# many, the largest over all its scales. The exports hold every one.
DISAGREEMENTS_KEPT = 5
# The round keeps the items its parties disagreed on most often (a tie at the last is kept whole).
FREQUENT_DISAGREEMENTS_KEPT = 2 * DISAGREEMENTS_KEPT

# The keys of the findings that are not a group's: each party's overall figures per scale (scope party);
# the round's agreement per scale, and the items its parties disagreed on most often (scope round).
OVERALL = "overall"
AGREEMENT = "agreement"
CALIBRATION = "calibration"
DISAGREEMENTS = "disagreements"
# A group across the round is stored as "group:<tag>=<value>", a cell of the status matrix as
# "matrix:<column>|<row>"; a party's group finding has the group's value as its key.
_GROUP = "group:"
_MATRIX = "matrix:"


@dataclass(frozen=True, slots=True)
class GroupDetails:
    """What a party's group finding (an objective, a field of action, … on one scale) keeps beside its means:
    how many items the group has, the gap, how many items its peers disagreed on, and the evidence."""

    items: int
    gap: float | None
    disagreements: int
    evidence: GroupEvidence


@dataclass(frozen=True, slots=True)
class OverallDetails:
    """What a party's overall finding on one scale keeps: how many items, how many its peers disagreed on,
    and the largest of those disagreements (up to DISAGREEMENTS_KEPT, largest first)."""

    items: int
    disagreements: int
    largest: tuple[ItemDisagreement, ...]


@dataclass(frozen=True, slots=True)
class FrequentDisagreement:
    """An item the round's parties were often disagreed on: by how many parties' peers, of how many rated."""

    item: str
    scale: str
    disagreeing: int
    rated: int


@dataclass(frozen=True, slots=True)
class RoundGroup:
    """A group across the round on one scale: the mean over the parties' own and peers' group means, exact
    where consolidation kept the fraction."""

    tag: str
    value: str
    scale: str | None  # None in findings consolidated before scales were recorded
    self_mean: FigureValue | None
    peer_mean: FigureValue | None


@dataclass(frozen=True)
class RoundFindings:
    """The round's own findings, read back: agreement per scale, the items disagreed on most often (and how
    many further ones), its groups and the cells of its status matrix, in questionnaire order."""

    agreement: dict[str, float | None]
    frequent_disagreements: list[FrequentDisagreement]
    other_disagreements: int
    groups: list[RoundGroup]
    matrix: list[MatrixCell]
    # The reviewers' calibration per scale, in a round with `normalise: leniency`; empty otherwise.
    calibration: list[ScaleSummary] = field(default_factory=list)


def group_key(tag: str, value: str) -> str:
    """The key of a group's finding across the round: "group:field_of_action=mobilitaet"."""
    return f"{_GROUP}{tag}={value}"


def matrix_key(column: str, row: str) -> str:
    """The key of a status matrix cell's finding: "matrix:mobilitaet|ziele"."""
    return f"{_MATRIX}{column}|{row}"


def group_of(key: str) -> tuple[str, str] | None:
    """A round group's (tag, value) from its key; None for any other key."""
    if not key.startswith(_GROUP):
        return None
    tag, _, value = key.removeprefix(_GROUP).partition("=")
    return tag, value


def finding_rows(
    round_id: int,
    submission_ids: list[int],
    figures: RoundFigures,
    now: datetime,
    calibration: RoundCalibration | None = None,
) -> list[dict[str, Any]]:
    """The findings of a consolidated round, as rows for the store: each party's groups, then the round's own.

    Per-item figures are not stored (see review_model.round_ratings); a party's group findings carry
    the number of items its peers disagreed on. With a `calibration` (a round with `normalise: leniency`),
    every finding with a peer mean also carries the mean corrected for the reviewers' leniency, and the
    round keeps a summary of its reviewers' calibration.
    """
    rows = []
    for group, columns in figures.groups(tuple(ROLL_UPS)).items():
        own, peer = figures.exact_group_means(columns)
        own_means, peer_means, gaps = (_list(m.values()) for m in (own, peer, peer.minus(own)))
        corrected = _corrected(calibration, columns, len(submission_ids))
        disagreements = figures.disagreement[:, columns].sum(axis=1).tolist()
        evidence = figures.group_evidence(columns)
        scope = ROLL_UPS[group.tag]
        for party, submission_id in enumerate(submission_ids):
            details = _group_json(len(columns), gaps[party], disagreements[party], evidence[party])
            rows.append(_finding(round_id, submission_id, scope, group.value, group.scale, now, details,
                                 self_score=own_means[party], peer_mean=peer_means[party],
                                 corrected_peer_mean=corrected[party]))  # fmt: skip
        rows.append(_round_group(round_id, group_key(group.tag, group.value), group.scale, own, peer, now,
                                 corrected if calibration else None))  # fmt: skip
    rows += _party_rows(round_id, submission_ids, figures, now, calibration)
    column_tag, row_tag = status_dimensions(figures.cells)
    for column, row_value, scale, columns in matrix_cells(figures.cells):
        own, peer = figures.exact_group_means(columns)
        cell_means = _corrected(calibration, columns, len(submission_ids)) if calibration else None
        row = _round_group(round_id, matrix_key(column, row_value), scale, own, peer, now, cell_means)
        row["details"] |= {"column_tag": column_tag, "column": column, "row_tag": row_tag, "row": row_value}
        rows.append(row)
    agreement = figures.agreement_by_scale()
    rows.append(_finding(round_id, None, FindingScope.round, AGREEMENT, None, now, {"alpha": agreement}))
    if calibration is not None:
        rows.append(_finding(round_id, None, FindingScope.round, CALIBRATION, None, now,
                             _calibration_json(summarise(calibration))))  # fmt: skip
    return rows


def _corrected(calibration: RoundCalibration | None, columns: list[int], parties: int) -> list[float | None]:
    """Per party, the corrected peer mean over `columns`; all None without a calibration."""
    return [None] * parties if calibration is None else _list(calibration.corrected_group_means(columns))


def _calibration_json(summaries: list[ScaleSummary]) -> dict[str, Any]:
    return {
        "min_compared": MIN_COMPARED,
        "scales": [{"scale": s.scale, "reviewers": s.reviewers, "lenient": s.lenient, "harsh": s.harsh,
                    "quartiles": list(s.quartiles) if s.quartiles else None} for s in summaries],
    }  # fmt: skip


def read_calibration(details: Mapping[str, Any]) -> list[ScaleSummary]:
    """The round's calibration summary as consolidation stored it."""
    return [
        ScaleSummary(entry["scale"], entry["reviewers"], entry["lenient"], entry["harsh"],
                     tuple(entry["quartiles"]) if entry.get("quartiles") else None)
        for entry in details.get("scales", [])
    ]  # fmt: skip


def read_group_details(details: Mapping[str, Any]) -> GroupDetails:
    """A party's group finding's details as stored (comments stored without their ratings have none)."""
    gap = details.get("gap")
    return GroupDetails(
        details.get("items", 0),
        gap if isinstance(gap, int | float) else None,
        details.get("disagreements", 0),
        GroupEvidence(
            tuple(details.get("weakest") or ()),
            tuple(
                ReviewerComment(entry.get("item"), str(entry.get("text", "")), tuple(entry.get("scores") or ()),
                                tuple(entry.get("self") or ()))
                for entry in details.get("comments") or ()
            ),
        ),
    )  # fmt: skip


def read_overall_details(details: Mapping[str, Any]) -> OverallDetails:
    """A party's overall finding's details as stored."""
    return OverallDetails(
        details.get("items", 0),
        details.get("disagreements", 0),
        tuple(
            ItemDisagreement(d["item"], d["self"], tuple(d["peers"]), d["spread"]) for d in details.get("largest", ())
        ),
    )


def party_overalls(session: Session, round_id: int) -> Iterator[tuple[int, OverallDetails]]:
    """Every party's overall findings (one per scale), by submission id; Core rows, for large rounds."""
    for submission_id, details in session.connection().execute(
        select(Finding.submission_id, Finding.details).where(
            Finding.round_id == round_id, Finding.scope == FindingScope.party
        )
    ):
        yield submission_id, read_overall_details(details)


def round_findings(session: Session, round_id: int) -> RoundFindings:
    """The round's own findings, in questionnaire order (the status matrix's rows and columns follow it)."""
    return read_round_findings(
        session.exec(
            select(Finding)
            .where(Finding.round_id == round_id, Finding.scope == FindingScope.round)
            .order_by(col(Finding.id))
        ).all()
    )


def read_round_findings(findings: Iterable[Finding]) -> RoundFindings:
    """The round's own findings read from their rows (in the order given)."""
    agreement: dict[str, float | None] | None = None
    frequent: list[FrequentDisagreement] = []
    others = 0
    groups: list[RoundGroup] = []
    matrix: list[MatrixCell] = []
    calibration: list[ScaleSummary] = []
    for finding in findings:
        details = finding.details
        if finding.key == DISAGREEMENTS:
            frequent += [
                FrequentDisagreement(entry["item"], entry["scale"], entry["disagreeing"], entry["rated"])
                for entry in details.get("items", [])
            ]
            others += details.get("others", 0)  # none in findings consolidated before further ones were counted
        elif finding.key == CALIBRATION:
            calibration = read_calibration(details)
        elif finding.key == AGREEMENT:
            agreement = details.get("alpha", {}) if agreement is None else agreement
        elif finding.key.startswith(_MATRIX):
            column, row, peer_mean = details["column"], details["row"], _round_figure(finding, "peer_mean")
            matrix.append(MatrixCell(column, row, finding.scale or "", peer_mean, finding.n_reviews))
        elif (group := group_of(finding.key)) is not None:
            groups.append(RoundGroup(*group, finding.scale, _round_figure(finding, "self_score"),
                                     _round_figure(finding, "peer_mean")))  # fmt: skip
    return RoundFindings(agreement or {}, frequent, others, groups, matrix, calibration)


def _party_rows(
    round_id: int,
    submission_ids: list[int],
    figures: RoundFigures,
    now: datetime,
    calibration: RoundCalibration | None = None,
) -> list[dict[str, Any]]:
    """Per party and scale, the overall means and where its peers disagreed most; then the items the round's
    peers disagreed on most often."""
    rows = []
    for scale, columns in figures.columns_by_scale().items():
        own_means, peer_means = (_list(a) for a in figures.group_means(columns))
        corrected = _corrected(calibration, columns, len(submission_ids))
        counts = figures.disagreement[:, columns].sum(axis=1).tolist()
        largest = figures.largest_disagreements(columns, DISAGREEMENTS_KEPT)
        for party, submission_id in enumerate(submission_ids):
            details = OverallDetails(len(columns), counts[party], tuple(largest[party]))
            rows.append(_finding(round_id, submission_id, FindingScope.party, OVERALL, scale, now,
                                 _overall_json(details), self_score=own_means[party], peer_mean=peer_means[party],
                                 corrected_peer_mean=corrected[party], disagreement=counts[party] > 0))  # fmt: skip
    disagreeing = figures.disagreement.sum(axis=0).tolist()
    rated = (figures.n_reviews >= 2).sum(axis=0).tolist()
    frequent = most_frequent_with_ties(disagreeing, FREQUENT_DISAGREEMENTS_KEPT)
    counted = {"items": [{"item": figures.cells[c].key, "scale": figures.cells[c].scale, "disagreeing": disagreeing[c],
                          "rated": rated[c]} for c in frequent],
               "others": sum(1 for n in disagreeing if n) - len(frequent)}  # fmt: skip
    rows.append(_finding(round_id, None, FindingScope.round, DISAGREEMENTS, None, now, counted))
    return rows


def _group_json(items: int, gap: float | None, disagreements: int, evidence: GroupEvidence) -> dict[str, Any]:
    """A party's group finding's details (read back by read_group_details), built directly: a round has a
    hundred thousand of them, and an intermediate GroupDetails for each cost a third of a second."""
    comments = evidence.comments
    return {
        "items": items, "gap": gap, "disagreements": disagreements, "weakest": list(evidence.weakest),
        "comments": [{"item": c.item, "text": c.text, "scores": list(c.scores), "self": list(c.own)}
                     for c in comments] if comments else [],
    }  # fmt: skip


def _overall_json(details: OverallDetails) -> dict[str, Any]:
    return {
        "items": details.items, "disagreements": details.disagreements,
        "largest": [{"item": d.item, "self": d.own, "peers": list(d.peers), "spread": d.spread}
                    for d in details.largest],
    }  # fmt: skip


def _round_group(
    round_id: int,
    key: str,
    scale: str,
    own: Means,
    peer: Means,
    now: datetime,
    corrected: list[float | None] | None = None,
) -> dict[str, Any]:
    """A group across the round: the mean and median over the parties' group means (and, given the parties'
    corrected means, their mean).

    Its details keep the exact means as fractions ("37/18"): over many parties their denominators grow
    beyond what a float can stand for, and the report compares them with the critical threshold.
    """
    own_mean, peer_mean = own.overall(), peer.overall()
    # Each party's mean is exact in its float (few items, few reviews each), and floats nearest their
    # values sort as the values do; only the round's mean needs the fractions.
    measured = sorted(value for value in peer.values().tolist() if value == value)
    middle = len(measured) // 2
    return _finding(
        round_id, None, FindingScope.round, key, scale, now,
        {"exact": {name: str(value) for name, value in (("self_score", own_mean), ("peer_mean", peer_mean))
                   if value is not None}},
        self_score=_float(own_mean), peer_mean=_float(peer_mean),
        peer_median=_float((exact(measured[middle]) + exact(measured[~middle])) / 2 if measured else None),
        spread=_float(exact(measured[-1]) - exact(measured[0]) if measured else None),
        n_reviews=len(measured),
        corrected_peer_mean=_mean_of(corrected),
    )  # fmt: skip


def _mean_of(values: list[float | None] | None) -> float | None:
    measured = [value for value in values or () if value is not None]
    return sum(measured) / len(measured) if measured else None


def _round_figure(finding: Finding, name: str) -> FigureValue | None:
    """A round-wide mean, exact as consolidation kept it ("37/18"); the float where it kept none."""
    kept = finding.details.get("exact", {}).get(name)
    return Fraction(kept) if kept is not None else getattr(finding, name)


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _finding(
    round_id: int,
    submission_id: int | None,
    scope: FindingScope,
    key: str,
    scale: str | None,
    now: datetime,
    details: dict[str, Any],
    **figures: Any,
) -> dict[str, Any]:
    """A findings row; `figures` fills in whichever of the figure columns apply."""
    return {
        "round_id": round_id, "submission_id": submission_id, "scope": scope, "key": key, "scale": scale,
        "self_score": None, "peer_median": None, "peer_mean": None, "corrected_peer_mean": None, "spread": None,
        "n_reviews": 0,
        "disagreement": False, "details": details, "computed_at": now, **figures,
    }  # fmt: skip


def _list(array: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in array.tolist()]
