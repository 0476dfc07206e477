"""What a coordinator does to a running round, as plain functions: ids and an actor in, a result or a refusal
with every reason out. The command line checks and asks, the flows in workflows.flows run these (so each
action is a flow run in Prefect's history of the round), and the round driver then does what follows.

None of them sends email itself: what they queue goes out with the round's next advance, which the caller
starts at once.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from review_model import clock
from review_model.audit_trail import record_event
from review_model.round_assignment import AssignmentRefused, confirm_assignment
from review_model.rounds import round_progress
from review_model.stage_rules import next_stage, publication_waits_until, transition_blockers
from review_model.tables import Recommendation, Round
from review_model.transitions import TransitionRefused
from review_model.vocabulary import RecommendationStatus, Stage
from workflows.round_driver import STAGE_STEPS
from workflows.stages.context import StageContext

CLOSES_EARLY = (Stage.submission, Stage.review, Stage.comment)


class ActionRefused(Exception):
    """The action cannot be taken; `reasons` lists every reason found."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class StageClosed:
    before: Stage
    after: Stage  # the stage the round is in now
    queued: int  # messages queued by the closing
    publication_planned: bool = False  # the right of reply ended; the report is published on its planned date


def close_stage_now(context: StageContext, round_id: int, actor: str, publish_now: bool = False) -> StageClosed:
    """Close the round's current stage before its deadline: submission (on to reviewer assignment), review (on
    to consolidation) or comment (publication, once every reviewed party has replied). A comment stage closed
    before a planned publication date ends the right of reply and publishes on that date, unless `publish_now`.
    """
    from workflows.stages.comment import end_right_of_reply

    with Session(context.engine) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise LookupError(f"no round with id {round_id}")
        stage, target = round_.stage, next_stage(round_.stage)
        if stage not in CLOSES_EARLY or target is None:
            raise ActionRefused(
                [f"round {round_.slug} is in stage {stage}; only submission, review and comment close early"]
            )
        now = clock.now()
        blockers = transition_blockers(round_, target, round_progress(session, round_id), now, forced=True)
        planned = publication_waits_until(round_, now)
    if blockers:
        raise ActionRefused(blockers)
    if stage is Stage.comment and planned is not None and not publish_now:
        end_right_of_reply(context, round_id, actor)
        return StageClosed(stage, stage, 0, publication_planned=True)
    try:
        queued = STAGE_STEPS[target][1](context, round_id, actor, forced=True)
    except TransitionRefused as refused:  # the round changed since the check above
        raise ActionRefused(refused.reasons) from None
    return StageClosed(stage, target, queued)


def confirm_round_assignment(context: StageContext, round_id: int, actor: str) -> int:
    """Check every rule of the round again and confirm its proposed assignment; returns the pairs confirmed.
    Raises ActionRefused with the rules broken."""
    with Session(context.engine) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise LookupError(f"no round with id {round_id}")
        try:
            confirmed = confirm_assignment(session, round_, clock.now())
        except AssignmentRefused as refused:
            raise ActionRefused(str(refused).splitlines()) from None
        record_event(session, round_id, actor, "assignment confirmed", pairs=confirmed)
        session.commit()
    return confirmed


def decide_recommendations(context: StageContext, round_id: int, ids: list[int], approve: bool, actor: str) -> int:
    """Approve (or reject) drafted recommendations by id; returns how many were decided.

    Recommendations are decided in the drafting stage only: once the right of reply has opened, the parties
    have been told what was approved, and the report must say the same.
    """
    status = RecommendationStatus.approved if approve else RecommendationStatus.rejected
    with Session(context.engine) as session:
        round_ = session.get(Round, round_id)
        if round_ is None:
            raise LookupError(f"no round with id {round_id}")
        if round_.stage is not Stage.drafting:
            raise ActionRefused(
                [f"round {round_.slug} is in stage {round_.stage}: recommendations are decided in the drafting stage"]
            )
        chosen = session.exec(
            select(Recommendation).where(Recommendation.round_id == round_id, col(Recommendation.id).in_(ids))
        ).all()
        missing = sorted(set(ids) - {r.id for r in chosen})
        if missing:
            raise ActionRefused([f"round {round_.slug} has no recommendation {', '.join(map(str, missing))}"])
        now = clock.now()
        for recommendation in chosen:
            recommendation.status, recommendation.decided_at, recommendation.decided_by = status, now, actor
        record_event(session, round_id, actor, f"recommendations {status.value}", ids=ids)
        session.commit()
    return len(chosen)
