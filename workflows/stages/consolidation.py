"""The consolidation stage: every reviewed party's figures, and the round's, stored as findings."""

import statistics
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from review_model import clock
from review_model.audit_trail import record_event
from review_model.consolidation import RoundFigures, matrix_cells, status_dimensions
from review_model.questionnaire import Questionnaire
from review_model.submissions import submitted_answers
from review_model.tables import Finding, Review, ReviewAssignment, Round
from review_model.vocabulary import FindingScope, Stage, WorkStatus
from workflows.stages.context import StageContext

# The tags that roll up into findings of their own, and the scope each is stored under.
ROLL_UPS = {
    "objective": FindingScope.objective,
    "strategy_level": FindingScope.strategy_level,
    "field_of_action": FindingScope.field_of_action,
    "guideline": FindingScope.guideline,
}


def consolidate_round(context: StageContext, round_id: int, actor: str) -> int:
    """Compute and store the findings of every reviewed party and of the round (once); returns how many."""
    now = clock.now()
    with Session(context.engine, expire_on_commit=False) as session:
        round_ = session.get(Round, round_id)
        assert round_ is not None
        if round_.stage is not Stage.consolidation:
            return 0
        done = session.exec(select(func.count()).select_from(Finding).where(Finding.round_id == round_id)).one()
        if done:
            return 0
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        submissions = submitted_answers(session, round_id)
        peers: dict[int, list[dict]] = {submission_id: [] for submission_id, _ in submissions}
        for submission_id, answers in session.exec(
            select(ReviewAssignment.submission_id, Review.answers)
            .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
            .where(ReviewAssignment.round_id == round_id, Review.status == WorkStatus.submitted)
            .order_by(col(Review.id))
        ).all():
            if submission_id in peers:
                peers[submission_id].append(answers)
        figures = RoundFigures(questionnaire, [answers for _, answers in submissions], list(peers.values()))
        rows = finding_rows(round_id, [submission_id for submission_id, _ in submissions], figures, now)
        session.exec(delete(Finding).where(Finding.round_id == round_id))  # type: ignore[call-overload]
        session.execute(insert(Finding), rows)
        record_event(session, round_id, actor, "findings consolidated", findings=len(rows))
        session.commit()
        return len(rows)


def finding_rows(round_id: int, submission_ids: list[int], figures: RoundFigures, now: datetime) -> list[dict]:
    """The findings of a consolidated round, as rows: items and roll-ups per party, then the round's own."""
    rows = []
    own, peer_mean, peer_median = _lists(figures.own), _lists(figures.peer_mean), _lists(figures.peer_median)
    spread, gap, n_reviews = _lists(figures.spread), _lists(figures.gap), figures.n_reviews.tolist()
    disagreement = figures.disagreement.tolist()
    for party, submission_id in enumerate(submission_ids):
        for c, cell in enumerate(figures.cells):
            rows.append({
                **_base(round_id, submission_id, FindingScope.item, cell.key, cell.scale, now),
                "self_score": own[party][c], "peer_median": peer_median[party][c], "peer_mean": peer_mean[party][c],
                "spread": spread[party][c], "n_reviews": n_reviews[party][c], "disagreement": disagreement[party][c],
                "details": {"gap": gap[party][c],
                            "peer_scores": [v for v in figures.peers[party, :, c].tolist() if v == v]},
            })  # fmt: skip
    for group, columns in figures.groups(tuple(ROLL_UPS)).items():
        own_means, peer_means = (_list(a) for a in figures.group_means(columns))
        scope = ROLL_UPS[group.tag]
        for party, submission_id in enumerate(submission_ids):
            row = _base(round_id, submission_id, scope, group.value, group.scale, now)
            row |= {"self_score": own_means[party], "peer_mean": peer_means[party]}
            row["details"] = {"items": len(columns), "gap": _difference(peer_means[party], own_means[party]),
                              **figures.group_evidence(party, columns)}  # fmt: skip
            rows.append(row)
        rows.append(_round_group(round_id, f"group:{group.tag}={group.value}", group.scale, own_means, peer_means, now))
    column_tag, row_tag = status_dimensions(figures.cells)
    for column, row_value, scale, columns in matrix_cells(figures.cells):
        own_means, peer_means = (_list(a) for a in figures.group_means(columns))
        row = _round_group(round_id, f"matrix:{column}|{row_value}", scale, own_means, peer_means, now)
        row["details"] |= {"column_tag": column_tag, "column": column, "row_tag": row_tag, "row": row_value}
        rows.append(row)
    agreement = figures.agreement_by_scale()
    rows.append(_base(round_id, None, FindingScope.round, "agreement", None, now) | {"details": {"alpha": agreement}})
    return rows


def _round_group(
    round_id: int, key: str, scale: str, own: list[float | None], peer: list[float | None], now: datetime
) -> dict[str, Any]:
    """A group across the round: the mean and median over the parties' group means."""
    measured = [value for value in peer if value is not None]
    own_measured = [value for value in own if value is not None]
    return _base(round_id, None, FindingScope.round, key, scale, now) | {
        "self_score": statistics.fmean(own_measured) if own_measured else None,
        "peer_mean": statistics.fmean(measured) if measured else None,
        "peer_median": statistics.median(measured) if measured else None,
        "spread": max(measured) - min(measured) if measured else None,
        "n_reviews": len(measured),
        "details": {},
    }


def _base(
    round_id: int, submission_id: int | None, scope: FindingScope, key: str, scale: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "round_id": round_id, "submission_id": submission_id, "scope": scope, "key": key, "scale": scale,
        "self_score": None, "peer_median": None, "peer_mean": None, "spread": None, "n_reviews": 0,
        "disagreement": False, "details": {}, "computed_at": now,
    }  # fmt: skip


def _lists(array: np.ndarray) -> list[list[float | None]]:
    return [[None if v != v else v for v in row] for row in array.tolist()]


def _list(array: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in array.tolist()]


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b
