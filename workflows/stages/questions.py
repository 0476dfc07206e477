"""Reminders of the reviewers' questions a reviewed party has not answered: on the round's reminder days
before the questions close (review_model.questions has who is due and which number), and when the
coordinator reminds now in the review stage."""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from notifications.addressing import recipient_for, round_context
from notifications.compose import compose_message
from notifications.message_kinds import QuestionReminder
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.questions import WaitingParty, parties_waiting, question_reminder_number, questions_close_at
from review_model.reminder_opt_out import receives
from review_model.reminders import days_left
from review_model.round_lock import lock_round
from review_model.store import session_scope
from review_model.tables import OutboxMessage, Round
from review_model.tokens import issue_link
from review_model.vocabulary import TokenPurpose
from workflows.stages.context import StageContext
from workflows.stages.reminder_links import stop_links


def send_due_question_reminders(context: StageContext, round_id: int) -> int:
    """Queue the question reminders due now; returns how many."""
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # two drivers at once would find the same reminders due
        return remind_unanswered(session, context, round_)


def remind_unanswered(session: Session, context: StageContext, round_: Round) -> int:
    """Queue a reminder to each party with unanswered questions that is due one now. Each reminder's key holds
    the party and the reminder's number, so the driver's every pass finds the ones queued before."""
    now = clock.now()
    if round_.id is None:
        return 0
    waiting = parties_waiting(session, round_.id)
    had = _question_reminders_had(session, round_.id, waiting)
    due = []
    for party in waiting:
        number = question_reminder_number(round_, party.oldest, now)
        # One reminded now by the coordinator counts: the schedule's next number is the one after it.
        if number is not None and number > had.get(party.participant.id, 0):
            due.append((party, number, f"{party.submission_id}-{number}"))
    return _queue_question_reminders(session, context, round_, due, now)


def remind_unanswered_now(
    session: Session, context: StageContext, round_: Round, email: str | None, now: datetime
) -> int:
    """The coordinator's "remind now" in the review stage: a reminder to each party with unanswered questions
    (or to the one whose respondent has `email`), outside the schedule, once per moment (`now`)."""
    if round_.id is None:
        return 0
    waiting = [party for party in parties_waiting(session, round_.id)
               if email is None or party.participant.email.lower() == email.lower()]  # fmt: skip
    had = _question_reminders_had(session, round_.id, waiting)
    due = [(party, had.get(party.participant.id, 0) + 1, f"{party.submission_id}-now-{now:%Y%m%d%H%M%S}")
           for party in waiting]  # fmt: skip
    return _queue_question_reminders(session, context, round_, due, now)


def _question_reminders_had(session: Session, round_id: int, parties: list[WaitingParty]) -> dict[int | None, int]:
    """How many question reminders each party's respondent has had in the round, by participant id."""
    counted = session.exec(
        select(OutboxMessage.recipient_participant_id, func.count())
        .where(OutboxMessage.round_id == round_id, OutboxMessage.kind == QuestionReminder.kind,
               col(OutboxMessage.recipient_participant_id).in_([party.participant.id for party in parties]))
        .group_by(col(OutboxMessage.recipient_participant_id))
    ).all()  # fmt: skip
    return {participant_id: int(count) for participant_id, count in counted}


def _queue_question_reminders(
    session: Session, context: StageContext, round_: Round, due: list[tuple[WaitingParty, int, str]], now: datetime
) -> int:
    """Queue a question reminder with the given number and sequence to each party in `due` that still takes
    reminders; returns how many."""
    closes = questions_close_at(round_)
    if round_.id is None or closes is None or now >= closes:
        return 0
    due = [entry for entry in due if receives(entry[0].enrolment, QuestionReminder.kind)]
    stops = stop_links(session, context, round_, [party.enrolment.id for party, _, _ in due if party.enrolment.id])
    messages = []
    for party, number, sequence in due:
        assert party.enrolment.id is not None
        issued = issue_link(session, context.secret, round_id=round_.id, enrolment_id=party.enrolment.id,
                            purpose=TokenPurpose.questions, expires_at=context.link_expiry(round_, closes))  # fmt: skip
        content = QuestionReminder(context.link(TokenPurpose.questions, issued.token), closes, number,
                                   max(round_.max_reminders, number), days_left(closes, now), party.waiting,
                                   stops[party.enrolment.id])  # fmt: skip
        messages.append(compose_message(content, recipient_for(party.participant, party.organisation),
                                        round_context(round_), context.sender, stage="questions", now=now,
                                        sequence=sequence))  # fmt: skip
    return enqueue_messages(session, messages, now)
