"""The assignment and review stages: propose the assignment, ask reviewers, remind them, close the stage."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import OutgoingMessage, Recipient, compose_message
from notifications.message_kinds import ReviewReminder, ReviewRequest, ReviewTask, StageClosed
from notifications.outbox import enqueue_messages, enqueue_reminders
from review_model import clock
from review_model.assignment_solver import AssignmentInfeasible
from review_model.audit_trail import ASSIGNMENT_INFEASIBLE, record_event, record_finding
from review_model.reminder_opt_out import receives
from review_model.reminders import Numbering, ReminderCount, days_left
from review_model.reviews import REVIEWED_ORGANISATION, confirmed_assignments
from review_model.round_assignment import propose_assignment
from review_model.round_lock import lock_round
from review_model.store import session_scope
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    Round,
)
from review_model.tokens import issue_link
from review_model.vocabulary import Stage, TokenPurpose
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part
from workflows.stages.context import StageContext, enter_stage_and_tell, remind_on_schedule
from workflows.stages.reminder_links import stop_links


def propose_if_missing(context: StageContext, round_id: int, actor: str) -> int:
    """In the assignment stage, compute a proposal when there is none; returns the pairs proposed (0 if none).

    An infeasible round gets an audit entry with the reasons, once per change of the reasons (the driver
    runs every few minutes); the coordinator sees them in `spr assignment compute`, which reports the same.
    """
    now = clock.now()
    with session_scope(context.engine) as session:
        # Locked before the checks: a second driver waits here, then finds the proposal the first one stored.
        round_ = lock_round(session, round_id)
        if round_.stage is not Stage.assignment:
            return 0
        exists = session.exec(select(ReviewAssignment.id).where(ReviewAssignment.round_id == round_id)).first()
        if exists is not None:
            return 0
        try:
            assignment = propose_assignment(session, round_, now)
        except AssignmentInfeasible as infeasible:
            session.rollback()
            lock_round(session, round_id)  # the rollback ended the lock; record_finding compares with the latest
            record_finding(session, round_id, actor, ASSIGNMENT_INFEASIBLE, reasons=infeasible.reasons)
            session.commit()
            return 0
        record_event(session, round_id, actor, "assignment proposed", pairs=len(assignment.pairs))
        return len(assignment.pairs)


def open_review_stage(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Move to the review stage and send each reviewer one request listing their submissions and links."""
    return enter_stage_and_tell(context, round_id, Stage.review, actor, _request_reviews, forced=forced,
                                recorded_as="requests")  # fmt: skip


def _request_reviews(session: Session, context: StageContext, round_: Round, now: datetime) -> int:
    """Queue one review request per reviewer, listing their submissions and links; returns how many."""
    assert round_.id is not None
    messages = [
        compose_message(
            ReviewRequest(round_.review_deadline, _review_tasks(session, context, round_, reviews)),
            recipient,
            round_context(round_),
            context.sender,
            stage="review",
            now=now,
        )
        for recipient, reviews in _reviews_by_reviewer(session, round_.id).items()
    ]
    return enqueue_messages(session, messages, now)


def send_due_review_reminders(context: StageContext, round_id: int) -> int:
    """Remind reviewers with reviews still open, on the round's reminder days before the review deadline."""
    return remind_on_schedule(context, round_id, Stage.review, lambda round_: round_.review_deadline, remind_reviewers)


def remind_reviewers(
    session: Session,
    context: StageContext,
    round_: Round,
    number_of: Numbering,
    now: datetime,
) -> int:
    """Queue a review reminder, listing their open reviews, to each reviewer with reviews still open that
    `number_of` gives a number and a sequence (it is given the reviewer and the review reminders they had)."""
    assert round_.id is not None
    reminders: list[tuple[OutgoingMessage, Enrolment, ReminderCount, int]] = []
    for recipient, reviews in _reviews_by_reviewer(session, round_.id).items():
        open_ = [review for review in reviews if review.open]
        if not open_:
            continue
        reviewer = open_[0].reviewer
        if not receives(reviewer, ReviewReminder.kind):
            continue
        numbered = number_of(recipient.email, reviewer.review_reminders_sent)
        if numbered is None:
            continue
        number, sequence = numbered
        tasks = _review_tasks(session, context, round_, open_)
        assert reviewer.id is not None
        stop = stop_links(session, context, round_, [reviewer.id])[reviewer.id]
        content = ReviewReminder(round_.review_deadline, number, max(round_.max_reminders, number),
                                 days_left(round_.review_deadline, now), tasks, stop)  # fmt: skip
        message = compose_message(content, recipient, round_context(round_), context.sender, stage="review", now=now,
                                  sequence=sequence)  # fmt: skip
        reminders.append((message, reviewer, "review_reminders_sent", number))
    return enqueue_reminders(session, reminders, now)


def close_review_stage(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Move to consolidation and tell each reviewer the stage before it has closed: review, or consensus where
    the round has that stage."""
    return enter_stage_and_tell(
        context, round_id, Stage.consolidation, actor, _tell_reviewers_the_stage_closed, forced=forced
    )


def _tell_reviewers_the_stage_closed(session: Session, context: StageContext, round_: Round, now: datetime) -> int:
    """Queue the "stage closed" message for every reviewer, saying whether they finished; returns how many.
    It carries no link, so none is issued. A round with a consensus stage always passes through it, so the
    stage that closed here is consensus whenever the round has one."""
    assert round_.id is not None
    closed = Stage.consensus if round_.consensus_deadline is not None else Stage.review
    deadline = round_.consensus_deadline or round_.review_deadline
    messages = [
        compose_message(
            StageClosed(closed.value, min(now, deadline), not any(r.open for r in reviews), "consolidation"),
            recipient,
            round_context(round_),
            context.sender,
            stage=closed.value,
            now=now,
        )
        for recipient, reviews in _reviews_by_reviewer(session, round_.id).items()
        if closed is Stage.review or not all(r.open for r in reviews)  # who submitted nothing heard at review's end
    ]
    return enqueue_messages(session, messages, now)


@dataclass(frozen=True)
class _AssignedReview:
    """One confirmed review a reviewer is asked for."""

    assignment_id: int
    reviewer: Enrolment
    reviewed: str  # the reviewed organisation's name
    open: bool  # not submitted, and the reviewer's address works


def _reviews_by_reviewer(session: Session, round_id: int) -> dict[Recipient, list[_AssignedReview]]:
    """Each reviewer's confirmed reviews, in assignment order; reads only (the links come from _review_tasks).
    A withdrawn reviewer has none: they are asked, reminded and told nothing more, and get no new link."""
    statement = (
        confirmed_assignments(
            select_columns(
                ReviewAssignment.id, Enrolment, Participant, Organisation, REVIEWED_ORGANISATION.name,
                Review.is_submitted,
            ),
            round_id,
        )
        .where(taking_part())
        .order_by(col(ReviewAssignment.id))
    )  # fmt: skip
    reviews: dict[Recipient, list[_AssignedReview]] = defaultdict(list)
    for assignment_id, enrolment, person, organisation, reviewed_name, submitted in session.exec(statement).all():
        still_open = not submitted and enrolment.bounced_at is None
        reviews[recipient_for(person, organisation)].append(
            _AssignedReview(assignment_id, enrolment, reviewed_name, still_open)
        )
    return reviews


def _review_tasks(
    session: Session, context: StageContext, round_: Round, reviews: list[_AssignedReview]
) -> tuple[ReviewTask, ...]:
    """The reviews with the link to each review form (issued here, or the existing one with its expiry moved)."""
    assert round_.id is not None
    expires = context.link_expiry(round_, round_.review_deadline)
    tasks = []
    for review in reviews:
        assert review.reviewer.id is not None
        issued = issue_link(session, context.secret, round_id=round_.id, enrolment_id=review.reviewer.id,
                            purpose=TokenPurpose.review, expires_at=expires,
                            assignment_id=review.assignment_id)  # fmt: skip
        tasks.append(ReviewTask(review.reviewed, context.link(TokenPurpose.review, issued.token)))
    return tuple(tasks)
