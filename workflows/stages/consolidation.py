"""The consolidation stage: every reviewed party's figures, and the round's, stored as findings."""

from datetime import datetime
from fractions import Fraction
from typing import Any

import numpy as np
from sqlmodel import Session, select

from review_model import clock
from review_model.audit_trail import record_event
from review_model.consolidation import Means, RoundFigures, matrix_cells, status_dimensions
from review_model.exact_figures import exact
from review_model.questionnaire import Questionnaire
from review_model.round_lock import lock_round
from review_model.round_overview import most_frequent_with_ties
from review_model.round_ratings import load_round_ratings
from review_model.rounds import get_round
from review_model.store import insert_rows, reading_session
from review_model.tables import Finding, table_of
from review_model.vocabulary import FindingScope, Stage
from workflows.stages.context import StageContext

# Per party, the disagreements kept with its findings (the report shows these; exports have them all).
DISAGREEMENTS_KEPT = 5
# The tags that roll up into findings of their own, and the scope each is stored under.
ROLL_UPS = {
    "objective": FindingScope.objective,
    "strategy_level": FindingScope.strategy_level,
    "field_of_action": FindingScope.field_of_action,
    "guideline": FindingScope.guideline,
}


def consolidate_round(context: StageContext, round_id: int, actor: str) -> int:
    """Compute and store the findings of every reviewed party and of the round (once); returns how many.

    The answers are read and the figures computed without holding the store's write lock (a large round
    takes seconds); the write that follows locks the round and checks again, so a concurrent run changes nothing.
    """
    now = clock.now()
    with reading_session(context.engine) as session:
        round_ = get_round(session, round_id)
        if round_.stage is not Stage.consolidation or _has_findings(session, round_id):
            return 0
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        ratings = load_round_ratings(session, round_id, questionnaire)
    rows = finding_rows(round_id, ratings.submission_ids, ratings.figures, now)
    with Session(context.engine, expire_on_commit=False) as session:
        round_ = lock_round(session, round_id)
        if round_.stage is not Stage.consolidation or _has_findings(session, round_id):
            return 0
        insert_rows(session, table_of(Finding), rows)
        record_event(session, round_id, actor, "findings consolidated", findings=len(rows))
        session.commit()
        return len(rows)


def _has_findings(session: Session, round_id: int) -> bool:
    return session.exec(select(Finding.id).where(Finding.round_id == round_id).limit(1)).first() is not None


def finding_rows(
    round_id: int, submission_ids: list[int], figures: RoundFigures, now: datetime
) -> list[dict[str, Any]]:
    """The findings of a consolidated round, as rows: each party's groups, then the round's own.

    Per-item figures are not stored (see review_model.round_ratings); a party's group findings carry
    the number of items its peers disagreed on.
    """
    rows = []
    for group, columns in figures.groups(tuple(ROLL_UPS)).items():
        own, peer = figures.exact_group_means(columns)
        own_means, peer_means, gaps = (_list(m.values()) for m in (own, peer, peer.minus(own)))
        disagreements = figures.disagreement[:, columns].sum(axis=1).tolist()
        evidence = figures.group_evidence(columns)
        scope = ROLL_UPS[group.tag]
        for party, submission_id in enumerate(submission_ids):
            details = {"items": len(columns), "gap": gaps[party], "disagreements": disagreements[party],
                       **evidence[party]}  # fmt: skip
            rows.append(_finding(round_id, submission_id, scope, group.value, group.scale, now, details,
                                 self_score=own_means[party], peer_mean=peer_means[party]))  # fmt: skip
        rows.append(_round_group(round_id, f"group:{group.tag}={group.value}", group.scale, own, peer, now))
    rows += _party_rows(round_id, submission_ids, figures, now)
    column_tag, row_tag = status_dimensions(figures.cells)
    for column, row_value, scale, columns in matrix_cells(figures.cells):
        own, peer = figures.exact_group_means(columns)
        row = _round_group(round_id, f"matrix:{column}|{row_value}", scale, own, peer, now)
        row["details"] |= {"column_tag": column_tag, "column": column, "row_tag": row_tag, "row": row_value}
        rows.append(row)
    agreement = figures.agreement_by_scale()
    rows.append(_finding(round_id, None, FindingScope.round, "agreement", None, now, {"alpha": agreement}))
    return rows


def _party_rows(round_id: int, submission_ids: list[int], figures: RoundFigures, now: datetime) -> list[dict[str, Any]]:
    """Per party and scale, the overall means and where its peers disagreed most; then the items the round's
    peers disagreed on most often."""
    rows = []
    for scale, columns in figures.columns_by_scale().items():
        own_means, peer_means = (_list(a) for a in figures.group_means(columns))
        counts = figures.disagreement[:, columns].sum(axis=1).tolist()
        largest = figures.largest_disagreements(columns, DISAGREEMENTS_KEPT)
        for party, submission_id in enumerate(submission_ids):
            details = {"items": len(columns), "disagreements": counts[party], "largest": largest[party]}
            rows.append(_finding(round_id, submission_id, FindingScope.party, "overall", scale, now, details,
                                 self_score=own_means[party], peer_mean=peer_means[party],
                                 disagreement=counts[party] > 0))  # fmt: skip
    disagreeing = figures.disagreement.sum(axis=0).tolist()
    rated = (figures.n_reviews >= 2).sum(axis=0).tolist()
    frequent = most_frequent_with_ties(disagreeing, DISAGREEMENTS_KEPT * 2)
    details = {"items": [{"item": figures.cells[c].key, "scale": figures.cells[c].scale, "disagreeing": disagreeing[c],
                          "rated": rated[c]} for c in frequent],
               "others": sum(1 for n in disagreeing if n) - len(frequent)}  # fmt: skip
    rows.append(_finding(round_id, None, FindingScope.round, "disagreements", None, now, details))
    return rows


def _round_group(round_id: int, key: str, scale: str, own: Means, peer: Means, now: datetime) -> dict[str, Any]:
    """A group across the round: the mean and median over the parties' group means.

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
    )  # fmt: skip


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
        "self_score": None, "peer_median": None, "peer_mean": None, "spread": None, "n_reviews": 0,
        "disagreement": False, "details": details, "computed_at": now, **figures,
    }  # fmt: skip


def _list(array: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in array.tolist()]
