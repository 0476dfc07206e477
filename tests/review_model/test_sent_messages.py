"""The emails a round sent one person, from the outbox."""

from datetime import timedelta

from sqlmodel import Session

from review_model import clock
from review_model.sent_messages import messages_sent_to
from review_model.vocabulary import OutboxState, Stage
from tests.support.staged_actions import deliver, message_to, participant_of
from tests.support.staged_rounds import round_in_stage


def test_every_message_to_the_person_in_the_round_in_the_order_queued_with_how_it_went(engine):
    staged = round_in_stage(engine, Stage.submission)
    other = round_in_stage(engine, Stage.submission, slug="another-round")
    anna, ben = participant_of(engine, staged, "anna"), participant_of(engine, staged, "ben")
    first, later = clock.now(), clock.now() + timedelta(hours=1)
    invitations = [message_to(staged, "anna", anna, "invitation", 1), message_to(staged, "ben", ben, "invitation", 1)]
    deliver(engine, invitations, refused=set(), at=first)
    elsewhere = message_to(other, "anna", anna, "invitation", 1)  # the same person, in another round
    deliver(engine, [message_to(staged, "anna", anna, "reminder", 1), elsewhere], refused={staged["anna"].email},
            at=later)  # fmt: skip
    with Session(engine) as session:
        sent = messages_sent_to(session, staged.round_id, anna)
        assert messages_sent_to(session, staged.round_id, ben)[0].kind == "invitation"
    assert [(m.kind, m.subject, m.state) for m in sent] == [
        ("invitation", "invitation 1", OutboxState.sent),
        ("reminder", "reminder 1", OutboxState.failed),
    ]
    invitation, reminder = sent
    assert invitation.created_at == first and invitation.sent_at == first and invitation.last_error is None
    assert invitation.attempts == 1 and invitation.recipient_email == staged["anna"].email
    assert reminder.sent_at is None and reminder.last_error == "550 5.1.1 Unknown user"
    assert reminder.created_at.tzinfo is not None
