"""The coordinator's daily status digest: where the running stage stands, and what changed since the last one.

Nothing is stored for it: the figures are counted now, and "what changed" is counted from the moments the
store already keeps (a first submission's version 1, a link's first opening, a bounce, an outbox row, a
stage change in the audit trail) between the previous digest and now. The previous digest is the round's
last `status_digest` row in the outbox, so two drivers, a restart or a day without a pass change nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from review_model.participation import participation
from review_model.reminder_opt_out import REMINDER_KINDS
from review_model.rounds import round_progress
from review_model.stage_rules import stage_deadline
from review_model.tables import (
    AuditEvent,
    Enrolment,
    OutboxMessage,
    Review,
    Round,
    Submission,
    SubmissionVersion,
)
from review_model.transitions import ENTERED_BY
from review_model.vocabulary import ACTIVE_STAGES, OutboxState, Stage

DIGEST_KIND = "status_digest"
# The reminder kinds of every stage, counted together as "reminded".
# A first digest, or one after a pause, looks back one day at most: older news is no news.
LOOK_BACK = timedelta(days=1)


@dataclass(frozen=True)
class DigestFigures:
    """What one digest says. `counts` and `changes` use the keys of the coordinator's status labels."""

    day: date
    since: datetime
    # The deadline of the running stage, where it has one.
    deadline: datetime | None
    counts: dict[str, int]
    changes: dict[str, int]
    # The stages the round entered since the last digest, in order.
    stages_entered: list[str] = field(default_factory=list)
    # What waits for the coordinator: "confirm_assignment", "decide_recommendations".
    to_do: list[str] = field(default_factory=list)
    failed_messages: int = 0


def digest_day(round_: Round, now: datetime, hour: int) -> date | None:
    """The round's local day whose digest is due at `now`, or None: one per day from `hour` o'clock in the
    round's time zone, while a stage runs."""
    if round_.stage not in ACTIVE_STAGES:
        return None
    local = now.astimezone(ZoneInfo(round_.time_zone))
    return local.date() if local.time() >= time(hour) else None


def last_digest_at(session: Session, round_id: int) -> datetime | None:
    """When the round's previous digest was queued."""
    return session.exec(
        select(func.max(OutboxMessage.created_at)).where(
            OutboxMessage.round_id == round_id, OutboxMessage.kind == DIGEST_KIND
        )
    ).one()


def digest_figures(session: Session, round_: Round, day: date, now: datetime) -> DigestFigures:
    """Count where the round stands and what changed since its previous digest (one day at most)."""
    round_id = round_.id
    assert round_id is not None  # a round read from the store
    previous = last_digest_at(session, round_id)
    since = max(moment for moment in (now - LOOK_BACK, previous, round_.launched_at) if moment is not None)

    def how_many(table: Any, *conditions: Any) -> int:
        """Rows of `table` in this round that meet every condition."""
        statement = select(func.count()).select_from(table).where(table.round_id == round_id, *conditions)
        return int(session.exec(statement).one())

    people = participation(session, round_id)
    counts = {
        "enrolled": people.respondents,
        "invited": people.invited,
        "opened": people.opened,
        "draft": people.drafts,
        "submitted": people.submitted,
        "bounced": people.bounced,
        "reminded": people.reminders,
    }
    # The later stages' counts as the stage rules count them (a withdrawn reviewer's open review is not due).
    progress = round_progress(session, round_id)
    if progress.assignments:
        counts["reviews_due"] = progress.reviews_due
        counts["reviews_submitted"] = progress.reviews_submitted
    if progress.replies_sent:
        counts["replies"] = progress.replies_sent

    first_versions = select(SubmissionVersion.submission_id).where(
        SubmissionVersion.version == 1, col(SubmissionVersion.submitted_at) > since
    )
    changes = {
        "opened": how_many(Enrolment, col(Enrolment.first_opened_at) > since),
        "submitted": how_many(Submission, col(Submission.id).in_(first_versions)),
        "bounced": how_many(Enrolment, col(Enrolment.bounced_at) > since),
        "reminded": how_many(
            OutboxMessage, col(OutboxMessage.kind).in_(REMINDER_KINDS), col(OutboxMessage.created_at) > since
        ),
        "reviews_submitted": how_many(Review, col(Review.submitted_at) > since),
        "replies": how_many(Submission, col(Submission.reply_submitted_at) > since),
    }
    stage_of_event = {event: stage.value for event, stage in ENTERED_BY.items()}
    entered = session.exec(
        select(AuditEvent.action)
        .where(AuditEvent.round_id == round_id, col(AuditEvent.action).in_(stage_of_event), col(AuditEvent.at) > since)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()

    to_do = []
    if round_.stage is Stage.assignment and progress.unconfirmed_assignments:
        to_do.append("confirm_assignment")
    if round_.stage is Stage.drafting and progress.recommendations_draft:
        to_do.append("decide_recommendations")
    failed = how_many(OutboxMessage, OutboxMessage.state == OutboxState.failed)
    return DigestFigures(
        day=day,
        since=since,
        deadline=stage_deadline(round_, round_.stage),
        counts=counts,
        changes={key: value for key, value in changes.items() if value},
        stages_entered=[stage_of_event[action] for action in entered],
        to_do=to_do,
        failed_messages=failed,
    )
