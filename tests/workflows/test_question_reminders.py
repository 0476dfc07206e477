"""Reminders of unanswered questions: on the round's reminder days before the review deadline, once per number,
never for a question asked after the reminder time, never to a party that answered or stopped its reminders,
and with the questions link and the link that stops reminders; the round driver sends them in the review."""

import email
import email.policy
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, col, select

from review_model import clock
from review_model.questions import answer_question, ask_question, question_reminder_number
from review_model.rounds import get_round
from review_model.tables import Enrolment, OutboxMessage, ReviewAssignment, ReviewQuestion, Round, Submission
from review_model.vocabulary import Stage
from tests.support.staged_rounds import factory_context, round_in_stage
from workflows.stages.questions import send_due_question_reminders
from workflows.stages.reminding import remind_waiting

KIND = "question_reminder"


def _ask_anna(engine, staged, text: str = "Frage?"):
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        assignment, reviewer = session.exec(
            select(ReviewAssignment, Enrolment)
            .join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
            .where(ReviewAssignment.submission_id == staged["anna"].submission_id)
        ).first()
        question = ask_question(session, round_, assignment, reviewer, None, text, clock.now())
        session.commit()
        return question.id


def _reminders(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == KIND)).all())


def test_the_reminder_numbers_follow_the_round_schedule_and_skip_questions_asked_since():
    deadline = clock.now() + timedelta(days=10)
    round_ = Round(stage=Stage.review, review_deadline=deadline, reminder_days_before=[7, 3, 1], max_reminders=2)
    asked = deadline - timedelta(days=8)
    assert question_reminder_number(round_, asked, deadline - timedelta(days=7, hours=1)) is None
    assert question_reminder_number(round_, asked, deadline - timedelta(days=6)) == 1
    assert question_reminder_number(round_, asked, deadline - timedelta(hours=12)) == 2  # at most max_reminders
    assert question_reminder_number(round_, deadline - timedelta(days=5), deadline - timedelta(days=4)) is None
    assert question_reminder_number(round_, asked, deadline) is None
    round_.stage = Stage.consolidation
    assert question_reminder_number(round_, asked, deadline - timedelta(days=6)) is None


def test_a_party_with_an_unanswered_question_is_reminded_once_per_reminder_time(engine):
    staged = round_in_stage(engine, Stage.review, parties=3, reviewers_per_party=2)
    context = factory_context(engine)
    with Session(engine) as session:
        deadline = get_round(session, staged.round_id).review_deadline
    question_id = _ask_anna(engine, staged)
    assert send_due_question_reminders(context, staged.round_id) == 0  # no reminder time has passed
    with freeze_time(deadline - timedelta(days=6)):
        assert send_due_question_reminders(context, staged.round_id) == 1
        assert send_due_question_reminders(context, staged.round_id) == 0  # the driver's next pass
    [reminder] = _reminders(engine)
    assert reminder.recipient_email == staged["anna"].email
    text = email.message_from_bytes(reminder.payload, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "/q/" in text and "/reminders/" in text and "Frage?" not in text
    with freeze_time(deadline - timedelta(days=2)), Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        submission = session.get(Submission, staged["anna"].submission_id)
        anna = session.get(Enrolment, staged["anna"].enrolment_id)
        answer_question(session, round_, submission, anna, session.get(ReviewQuestion, question_id), "Ja.",
                        clock.now())  # fmt: skip
        session.commit()
        assert send_due_question_reminders(context, staged.round_id) == 0  # answered: nothing to remind


def test_a_party_that_stopped_its_reminders_is_not_reminded_of_questions(engine):
    staged = round_in_stage(engine, Stage.review, parties=3, reviewers_per_party=2)
    with Session(engine) as session:
        deadline = get_round(session, staged.round_id).review_deadline
        session.get(Enrolment, staged["anna"].enrolment_id).opted_out_at = clock.now()
        session.commit()
    _ask_anna(engine, staged)
    with freeze_time(deadline - timedelta(days=6)):
        assert send_due_question_reminders(factory_context(engine), staged.round_id) == 0


def test_remind_now_in_the_review_also_reminds_a_party_of_its_unanswered_questions_and_the_schedule_counts_it(
    engine,
):
    staged = round_in_stage(engine, Stage.review, parties=3, reviewers_per_party=2)
    context = factory_context(engine)
    with Session(engine) as session:
        deadline = get_round(session, staged.round_id).review_deadline
    _ask_anna(engine, staged)
    with freeze_time(deadline - timedelta(days=8)):  # before the first reminder time
        reminded = remind_waiting(context, staged.round_id)
        assert reminded.questions == 1 and reminded.queued > 1  # the reviewers with open reviews as well
        assert remind_waiting(context, staged.round_id).questions == 0  # once per moment
    with freeze_time(deadline - timedelta(days=6)):  # the first reminder time: the one sent counts as the first
        assert send_due_question_reminders(context, staged.round_id) == 0
        only_anna = remind_waiting(context, staged.round_id, staged["anna"].email)
        assert (only_anna.questions, remind_waiting(context, staged.round_id, staged["ben"].email).questions) == (1, 0)
    with freeze_time(deadline - timedelta(days=2)):  # the second reminder time: the third question reminder
        assert send_due_question_reminders(context, staged.round_id) == 0
    assert len(_reminders(engine)) == 2
