"""The consolidation stage: every reviewed party's figures, stored as findings."""

from datetime import datetime

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from review_model import clock
from review_model.audit_trail import record_event
from review_model.consolidation import ItemFigures, agreement_by_scale, consolidate_party, roll_up
from review_model.questionnaire import Questionnaire
from review_model.submissions import latest_version
from review_model.tables import Finding, Review, ReviewAssignment, Round, Submission
from review_model.vocabulary import FindingScope, Stage, WorkStatus
from workflows.stages.context import StageContext

ROLL_UPS = {
    "objective": FindingScope.objective,
    "strategy_level": FindingScope.strategy_level,
    "field_of_action": FindingScope.field_of_action,
}


def consolidate_round(context: StageContext, round_id: int, actor: str) -> int:
    """Compute and store the findings of every reviewed party (once); returns how many were written."""
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
        submissions = session.exec(
            select(Submission).where(Submission.round_id == round_id, Submission.status == WorkStatus.submitted)
        ).all()
        reviews = session.exec(
            select(ReviewAssignment.submission_id, Review.answers)
            .join(Review, col(Review.assignment_id) == ReviewAssignment.id)
            .where(ReviewAssignment.round_id == round_id, Review.status == WorkStatus.submitted)
        ).all()
        peers: dict[int, list[dict]] = {}
        for submission_id, answers in reviews:
            peers.setdefault(submission_id, []).append(answers)
        rows = []
        for submission in submissions:
            version = latest_version(session, submission.id)
            items = consolidate_party(questionnaire, version.answers if version else {}, peers.get(submission.id, []))
            rows += [_row(round_id, submission.id, FindingScope.item, item.key, item, now) for item in items]
            for tag, scope in ROLL_UPS.items():
                rows += [
                    {**_base(round_id, submission.id, scope, group.value, now), "self_score": group.self_mean,
                     "peer_mean": group.peer_mean, "details": {"items": group.items, "gap": group.gap}}
                    for group in roll_up(items, tag)
                ]  # fmt: skip
        agreement = agreement_by_scale(questionnaire, [peers.get(s.id, []) for s in submissions])
        rows.append({**_base(round_id, None, FindingScope.round, "agreement", now), "details": {"alpha": agreement}})
        session.exec(delete(Finding).where(Finding.round_id == round_id))  # type: ignore[call-overload]
        session.execute(insert(Finding), rows)
        record_event(session, round_id, actor, "findings consolidated", findings=len(rows))
        session.commit()
        return len(rows)


def _base(round_id: int, submission_id: int | None, scope: FindingScope, key: str, now: datetime) -> dict:
    return {
        "round_id": round_id, "submission_id": submission_id, "scope": scope, "key": key, "self_score": None,
        "peer_median": None, "peer_mean": None, "spread": None, "n_reviews": 0, "disagreement": False,
        "details": {}, "computed_at": now,
    }  # fmt: skip


def _row(round_id: int, submission_id: int, scope: FindingScope, key: str, item: ItemFigures, now: datetime) -> dict:
    return {
        **_base(round_id, submission_id, scope, key, now),
        "self_score": item.self_score,
        "peer_median": item.peer_median,
        "peer_mean": item.peer_mean,
        "spread": item.spread,
        "n_reviews": item.n_reviews,
        "disagreement": item.disagreement,
        "details": {"gap": item.gap, "peer_scores": list(item.peer_scores)},
    }
