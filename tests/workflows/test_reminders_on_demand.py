"""A reminder on demand asked for twice in one moment is one email, and counted once: the person's reminder
count (which numbers their next reminder) follows the emails that went out."""

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from review_model import clock
from review_model.tables import Enrolment, OutboxMessage
from review_model.vocabulary import Stage
from tests.support.staged_rounds import factory_context, round_in_stage
from workflows.stages.reminding import remind_waiting


@pytest.mark.parametrize(
    ("stage", "count", "kind"),
    [(Stage.submission, "reminders_sent", "reminder"), (Stage.review, "review_reminders_sent", "review_reminder")],
)
def test_a_reminder_asked_for_twice_in_one_moment_is_sent_and_counted_once(engine, stage, count, kind):
    nothing_done = {"submitted": []} if stage is Stage.submission else {"reviewed": []}
    staged = round_in_stage(engine, stage, parties=3, reviewers_per_party=2, **nothing_done)
    context, ben = factory_context(engine), staged["ben"]
    moment = clock.now()
    with freeze_time(moment):
        assert remind_waiting(context, staged.round_id, ben.email).queued == 1
        assert remind_waiting(context, staged.round_id, ben.email).queued == 0  # the same email: not again
    with Session(engine) as session:
        assert getattr(session.get(Enrolment, ben.enrolment_id), count) == 1
    with freeze_time(moment + timedelta(seconds=1)):
        assert remind_waiting(context, staged.round_id, ben.email).queued == 1
    with Session(engine) as session:
        assert getattr(session.get(Enrolment, ben.enrolment_id), count) == 2
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    assert [message.recipient_email for message in sent] == [ben.email] * 2
