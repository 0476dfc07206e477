"""What needs the coordinator in a round now, each a typed item with its figures, so the console can say it
and link to where it is done: the assignment to confirm, the drafts to decide, the emails that failed, the
addresses that bounced, a stage that may close early.

The counts are the stage rules' (`round_progress`) where they decide; the rest is one aggregate query each.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from review_model import clock
from review_model.audit_trail import ASSIGNMENT_INFEASIBLE
from review_model.rounds import round_progress
from review_model.stage_rules import CLOSES_EARLY, RoundProgress, stage_after, transition_blockers
from review_model.tables import AuditEvent, Enrolment, OutboxMessage, Round
from review_model.vocabulary import OutboxState, Stage
from review_model.withdrawal import taking_part


class AttentionKind(StrEnum):
    """What needs the coordinator; each kind has its place in the console."""

    assignment_to_confirm = "assignment_to_confirm"
    assignment_infeasible = "assignment_infeasible"
    recommendations_to_decide = "recommendations_to_decide"
    failed_messages = "failed_messages"
    bounced_addresses = "bounced_addresses"
    stage_closable = "stage_closable"


@dataclass(frozen=True)
class Attention:
    """One thing that needs the coordinator. `count` is how many (pairs, drafts, messages, addresses, or for
    `stage_closable` the answers still missing); `figures` holds what else the kind says (`done`/`total`
    of a stage that may close, `stage`), `reasons` an infeasible assignment's reasons as recorded."""

    kind: AttentionKind
    count: int
    figures: dict[str, int | str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


def needs_attention(
    session: Session, round_: Round, now: datetime | None = None, progress: RoundProgress | None = None
) -> list[Attention]:
    """Everything that needs the coordinator in the round now, most pressing first: what holds the round up
    (an assignment to confirm or that cannot be made, drafts to decide), then email that did not arrive,
    then a stage the coordinator may close before its deadline. `progress`: the round's `round_progress`, when
    the caller has it already."""
    now = now or clock.now()
    round_id = round_.id
    assert round_id is not None  # a round read from the store
    progress = progress or round_progress(session, round_id)
    items: list[Attention] = []
    if round_.stage is Stage.assignment:
        if progress.unconfirmed_assignments:
            items.append(Attention(AttentionKind.assignment_to_confirm, progress.unconfirmed_assignments))
        elif not progress.assignments:
            reasons = _infeasible_reasons(session, round_)
            if reasons is not None:
                items.append(Attention(AttentionKind.assignment_infeasible, len(reasons), reasons=reasons))
    if round_.stage is Stage.drafting and progress.recommendations_draft:
        items.append(Attention(AttentionKind.recommendations_to_decide, progress.recommendations_draft))
    failed = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.round_id == round_id, OutboxMessage.state == OutboxState.failed)
    ).one()
    if failed:
        items.append(Attention(AttentionKind.failed_messages, failed))
    bounced = session.exec(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.round_id == round_id, col(Enrolment.bounced_at).is_not(None), taking_part())
    ).one()
    if bounced:
        items.append(Attention(AttentionKind.bounced_addresses, bounced))
    closable = _closable_early(round_, progress, now)
    if closable is not None:
        items.append(closable)
    return items


def _infeasible_reasons(session: Session, round_: Round) -> tuple[str, ...] | None:
    """The reasons the round driver last recorded for an assignment it could not make since the round
    entered the assignment stage, or None."""
    details = session.exec(
        select(AuditEvent.details)
        .where(
            AuditEvent.round_id == round_.id,
            AuditEvent.action == ASSIGNMENT_INFEASIBLE,
            col(AuditEvent.at) >= round_.stage_entered_at,
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if details is None:
        return None
    return tuple(str(reason) for reason in details.get("reasons", []))


def _closable_early(round_: Round, progress: RoundProgress, now: datetime) -> Attention | None:
    """A stage the coordinator may close now (the rules allow it when forced) that would otherwise wait for
    its deadline, with how much of its work is in."""
    target = stage_after(round_)
    if round_.stage not in CLOSES_EARLY or target is None:
        return None
    if transition_blockers(round_, target, progress, now, forced=True):
        return None  # closing is refused: the work the next stage needs is not there
    if not transition_blockers(round_, target, progress, now):
        return None  # due anyway: the round driver takes the step on its next pass
    done, total = {
        Stage.submission: (progress.submitted, progress.respondents),
        Stage.review: (progress.reviews_submitted, progress.reviews_due),
        Stage.consensus: (progress.assessments_submitted, progress.assessments_due),
        Stage.comment: (progress.replies_sent, progress.replies_sent + progress.replies_pending),
    }[round_.stage]
    figures: dict[str, int | str] = {"done": done, "total": total, "stage": round_.stage.value}
    return Attention(AttentionKind.stage_closable, max(total - done, 0), figures)
