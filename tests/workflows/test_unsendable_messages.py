"""One message that cannot be built or sent never stops a batch, a stage or a round (through the round driver)."""

from dataclasses import replace
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from notifications.delivery import SmtpServer
from notifications.dev_mail_server import DevMailServer
from review_model.participant_import import import_participants, parse_participants
from review_model.tables import OutboxMessage, Participant, Round
from review_model.vocabulary import OutboxState, Stage
from tests.support.answers import submit
from tests.support.messages import link_in
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage

NEWCOMERS = """email,name,organisation,organisation_kind,state,language
Müller@Stadt.example,Jörg Müller,Stadt Mühlheim,Kommune,NW,de
a@BÜCHER.example,Anna Buch,Gemeinde Bücher,Kommune,NW,de
"""
SMTPUTF8_MISSING = "the mail server does not accept non-ASCII addresses (no SMTPUTF8): müller@stadt.example"


def outbox(world) -> dict[tuple[str, str], OutboxMessage]:
    with Session(world.engine) as session:
        return {(m.recipient_email, m.kind): m for m in session.exec(select(OutboxMessage)).all()}


def test_unbuildable_and_unsendable_messages_fail_alone_and_the_round_goes_on(round_world):
    world = round_world
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        summary = import_participants(session, round_, parse_participants(NEWCOMERS.encode()), "more.csv")
        # An address that reached the store some other way and has no sendable form: no message can be built.
        dora = session.exec(select(Participant).where(Participant.email == "dora@talbach.example")).one()
        dora.email = "dora@☃.example"
        session.commit()
    assert sorted(summary.emails) == ["a@bücher.example", "müller@stadt.example"]  # normalised at import

    deadline = round_world_deadline(world)
    with DevMailServer(smtputf8=False) as mail, freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        context = replace(world.context, smtp=SmtpServer(port=mail.port, timeout=5))
        open_invitation_stage(context, world.round_id, "test")
        first = advance_round(context, world.round_id)

        assert first.stage_after is Stage.submission and first.invitations == 6
        assert (first.delivery.sent, first.delivery.failed) == (4, 1)
        assert {m.recipients[0] for m in mail.catcher.received()} == {
            "anna@auenburg.example", "ben@nordhaven.example", "cara@elbstein.example", "a@xn--bcher-kva.example"
        }  # fmt: skip
        rows = outbox(world)
        assert rows["müller@stadt.example", "invitation"].last_error == SMTPUTF8_MISSING
        unbuilt = rows["dora@☃.example", "invitation"]
        assert unbuilt.state is OutboxState.failed
        assert unbuilt.last_error.startswith("the message could not be built: the domain of dora@☃.example")
        assert not advance_round(context, world.round_id).did_anything  # nothing is stuck, nothing repeats

        anna = next(m for m in mail.catcher.received() if m.recipients[0] == "anna@auenburg.example")
        submit(world, link_in(anna))
        frozen.move_to(deadline - timedelta(days=7) + timedelta(minutes=1))
        reminders = advance_round(context, world.round_id)
        assert reminders.reminders == 5  # sent: three reminders and Anna's receipt; failed: Müller's reminder
        assert (reminders.delivery.sent, reminders.delivery.failed) == (4, 1)
        assert outbox(world)["dora@☃.example", "reminder"].state is OutboxState.failed

        frozen.move_to(deadline + timedelta(minutes=1))
        closing = advance_round(context, world.round_id)
        assert closing.transitions == ["submission → assignment"] and closing.stage_messages == 6
        rows = outbox(world)
        assert rows["müller@stadt.example", "stage_closed"].state is OutboxState.failed
        assert rows["dora@☃.example", "stage_closed"].state is OutboxState.failed
        assert rows["a@bücher.example", "stage_closed"].state is OutboxState.sent
        assert rows["anna@auenburg.example", "stage_closed"].state is OutboxState.sent


def round_world_deadline(world):
    with Session(world.engine) as session:
        return session.get(Round, world.round_id).submission_deadline
