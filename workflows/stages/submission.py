"""The submission stage: reminders by the round's policy or on demand, extending the deadline, closing."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from notifications.addressing import round_context
from notifications.compose import OutgoingMessage, compose_message
from notifications.message_kinds import DeadlineExtended, Reminder, StageClosed
from notifications.outbox import enqueue_messages, enqueue_reminders
from review_model import clock
from review_model.audit_trail import record_event
from review_model.reminder_opt_out import receives
from review_model.reminders import ReminderCount, days_left, reminder_due
from review_model.round_lock import lock_round
from review_model.stage_rules import stage_deadline
from review_model.store import session_scope
from review_model.tables import Enrolment, Round
from review_model.tokens import extend_links, issue_links
from review_model.vocabulary import Stage, TokenPurpose
from workflows.stages.context import StageContext, enter_stage_and_tell
from workflows.stages.people import Respondent, respondents
from workflows.stages.reminder_links import stop_links


def still_to_answer(person: Respondent) -> bool:
    """Invited, not submitted, not withdrawn, and reachable (also when they stopped their reminders: a moved
    deadline still reaches them)."""
    enrolment = person.enrolment
    return (
        enrolment.invited_at is not None
        and not person.submitted
        and enrolment.withdrawn_at is None
        and enrolment.bounced_at is None
    )


def to_remind(person: Respondent) -> bool:
    """Still to answer, and has not stopped their reminders."""
    return still_to_answer(person) and receives(person.enrolment, Reminder.kind)


def send_due_reminders(context: StageContext, round_id: int) -> int:
    """Queue the reminders the round's policy says are due now; returns how many."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # two drivers at once would both count the reminders as unsent
        if round_.stage not in (Stage.invitation, Stage.submission):
            return 0
        policy = (round_.submission_deadline, round_.reminder_days_before, round_.max_reminders)
        if reminder_due(*policy, 0, now) is None:
            return 0  # no reminder time has come yet: nobody to look at
        due = []
        for person in respondents(session, round_id):
            if not to_remind(person):
                continue
            sent, invited = person.enrolment.reminders_sent, person.enrolment.invited_at
            number = reminder_due(*policy, sent, now, since=invited)
            if number is not None:
                due.append((person, number, str(number)))
        return _queue_reminders(session, context, round_, due, now)


def remind_now(context: StageContext, round_id: int, email: str | None = None) -> int:
    """The coordinator's "remind now": everyone still to answer, or one person; returns how many."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # the reminder counts are the driver's to update too
        chosen = [
            (person, person.enrolment.reminders_sent + 1, f"now-{now:%Y%m%d%H%M%S}")
            for person in respondents(session, round_id)
            if to_remind(person) and (email is None or person.recipient.email == email.lower())
        ]
        return _queue_reminders(session, context, round_, chosen, now)


def _queue_reminders(
    session: Session,
    context: StageContext,
    round_: Round,
    due: list[tuple[Respondent, int, str]],
    now: datetime,
) -> int:
    if not due:
        return 0
    assert round_.id is not None
    tokens = issue_links(
        session,
        context.secret,
        round_id=round_.id,
        enrolment_ids=[person.enrolment_id for person, _, _ in due],
        purpose=TokenPurpose.self_assessment,
        expires_at=context.link_expiry(round_, round_.submission_deadline),
    )
    stops = stop_links(session, context, round_, [person.enrolment_id for person, _, _ in due])
    about, left = round_context(round_), days_left(round_.submission_deadline, now)
    reminders: list[tuple[OutgoingMessage, Enrolment, ReminderCount, int]] = []
    for person, number, sequence in due:
        content = Reminder(
            context.link(TokenPurpose.self_assessment, tokens[person.enrolment_id]),
            round_.submission_deadline,
            number,
            max(round_.max_reminders, number),
            left,
            has_draft=person.submission is not None and bool(person.submission.answers),
            stop_link=stops[person.enrolment_id],
        )
        message = compose_message(content, person.recipient, about, context.sender, stage="submission", now=now,
                                  sequence=sequence)  # fmt: skip
        reminders.append((message, person.enrolment, "reminders_sent", number))
    return enqueue_reminders(session, reminders, now)


class ExtensionRefused(Exception):
    """The deadline cannot be moved as asked; the message says why."""


@dataclass(frozen=True)
class Extension:
    previous: datetime
    deadline: datetime
    links_extended: int
    told: int


def extend_submission_deadline(context: StageContext, round_id: int, until: datetime, actor: str) -> Extension:
    """Move the submission deadline, extend the links, and tell everyone who has not submitted."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # not while the driver closes the stage
        if round_.stage not in (Stage.draft, Stage.invitation, Stage.submission):
            raise ExtensionRefused(f"round {round_.slug} is in stage {round_.stage}: the submission stage is over")
        if until <= now:
            raise ExtensionRefused(f"{until:%Y-%m-%d %H:%M} UTC is in the past")
        if until <= round_.submission_deadline:
            raise ExtensionRefused(f"{until:%Y-%m-%d %H:%M} UTC is not later than the current deadline")
        if until >= round_.review_deadline:
            review = f"{round_.review_deadline:%Y-%m-%d %H:%M} UTC"
            raise ExtensionRefused(f"{until:%Y-%m-%d %H:%M} UTC is not before the review deadline ({review})")
        previous, round_.submission_deadline = round_.submission_deadline, until
        extended = extend_links(session, round_id, TokenPurpose.self_assessment, context.link_expiry(round_, until))
        waiting = [person for person in respondents(session, round_id) if still_to_answer(person)]
        tokens = issue_links(
            session, context.secret, round_id=round_id, enrolment_ids=[p.enrolment_id for p in waiting],
            purpose=TokenPurpose.self_assessment, expires_at=context.link_expiry(round_, until),
        )  # fmt: skip
        about = round_context(round_)
        messages = [
            compose_message(
                DeadlineExtended(context.link(TokenPurpose.self_assessment, tokens[p.enrolment_id]), until, previous),
                p.recipient, about, context.sender, stage="submission", now=now,
                sequence=f"{until:%Y%m%d%H%M}",
            )
            for p in waiting
        ]  # fmt: skip
        told = enqueue_messages(session, messages, now)
        record_event(session, round_id, actor, "submission deadline extended", previous=previous.isoformat(),
                     deadline=until.isoformat())  # fmt: skip
        return Extension(previous, until, extended, told)


def close_submission_stage(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Move the round to reviewer assignment and tell each respondent; returns the messages queued.

    `forced`: the coordinator closes the stage before its deadline (the rules are checked under the lock).
    """
    return enter_stage_and_tell(
        context, round_id, Stage.assignment, actor, _tell_respondents_the_stage_closed, forced=forced
    )


def _tell_respondents_the_stage_closed(session: Session, context: StageContext, round_: Round, now: datetime) -> int:
    """Queue the "stage closed" message for every invited respondent still in the round whose address works;
    returns how many."""
    assert round_.id is not None
    closed_at = min(now, stage_deadline(round_, Stage.submission) or now)
    about = round_context(round_)
    messages = [
        compose_message(
            StageClosed(
                "submission",
                closed_at,
                took_part=person.submitted,
                next_stage="review",
            ),
            person.recipient,
            about,
            context.sender,
            stage="submission",
            now=now,
        )
        for person in respondents(session, round_.id)
        if person.enrolment.invited_at is not None
        and person.enrolment.bounced_at is None
        and person.enrolment.withdrawn_at is None
    ]
    return enqueue_messages(session, messages, now)
