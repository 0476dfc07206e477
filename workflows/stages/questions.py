"""Reminders of the reviewers' questions a reviewed party has not answered, on the round's reminder days
before the questions close (review_model.questions has who is due and which number)."""

from sqlmodel import Session

from notifications.addressing import recipient_for, round_context
from notifications.compose import compose_message
from notifications.message_kinds import QuestionReminder
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.questions import parties_waiting, question_reminder_number, questions_close_at
from review_model.reminder_opt_out import receives
from review_model.reminders import days_left
from review_model.round_lock import lock_round
from review_model.store import session_scope
from review_model.tables import Round
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
    closes = questions_close_at(round_)
    if round_.id is None or closes is None:
        return 0
    due = []
    for party in parties_waiting(session, round_.id):
        number = question_reminder_number(round_, party.oldest, now)
        if number is not None and receives(party.enrolment, QuestionReminder.kind):
            due.append((party, number))
    stops = stop_links(session, context, round_, [party.enrolment.id for party, _ in due if party.enrolment.id])
    messages = []
    for party, number in due:
        assert party.enrolment.id is not None
        issued = issue_link(session, context.secret, round_id=round_.id, enrolment_id=party.enrolment.id,
                            purpose=TokenPurpose.questions, expires_at=context.link_expiry(round_, closes))  # fmt: skip
        content = QuestionReminder(context.link(TokenPurpose.questions, issued.token), closes, number,
                                   max(round_.max_reminders, number), days_left(closes, now), party.waiting,
                                   stops[party.enrolment.id])  # fmt: skip
        messages.append(compose_message(content, recipient_for(party.participant, party.organisation),
                                        round_context(round_), context.sender, stage="questions", now=now,
                                        sequence=f"{party.submission_id}-{number}"))  # fmt: skip
    return enqueue_messages(session, messages, now)
