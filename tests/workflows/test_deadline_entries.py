"""A round's invitations carry the submission deadline as a calendar entry, and each extension carries the same
entry, moved, so that every calendar holding it moves it too."""

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from review_model.tables import OutboxMessage, Participant, Round
from tests.support.calendar_entries import event_in, parsed
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage
from workflows.stages.submission import extend_submission_deadline

BERLIN = ZoneInfo("Europe/Berlin")


def entries(world, kind: str) -> dict[str, object]:
    """The calendar event of each message of `kind` in the outbox, by the recipient's participant id, in the order
    they were queued (a later one of the same person replaces an earlier)."""
    with Session(world.engine) as session:
        rows = session.exec(
            select(OutboxMessage.recipient_participant_id, OutboxMessage.payload)
            .where(OutboxMessage.kind == kind)
            .order_by(col(OutboxMessage.id))
        ).all()
    return {participant: event_in(parsed(payload)) for participant, payload in rows}


def test_each_extension_moves_every_persons_entry_with_the_same_uid_and_a_higher_sequence(round_world):
    world = round_world
    with Session(world.engine) as session:
        deadline = session.get(Round, world.round_id).submission_deadline
        people = set(session.exec(select(Participant.id)).all())
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    invited = entries(world, "invitation")
    assert set(invited) == people
    for participant, event in invited.items():
        assert event["UID"] == f"spr.fruehjahr-2027.submission_deadline.p{participant}@spr.example.org"
        assert event.start == deadline and event.DTSTART.tzinfo is not None
        assert str(event.DTSTART.tzinfo) == "Europe/Berlin" and event.DTSTART.hour == 18  # as the round file says

    later = deadline + timedelta(days=2)
    assert extend_submission_deadline(world.context, world.round_id, later, "test").told == len(people)
    moved = entries(world, "deadline_extended")
    assert set(moved) == people
    for participant, event in moved.items():
        assert event["UID"] == invited[participant]["UID"]
        assert event["SEQUENCE"] > invited[participant]["SEQUENCE"]
        assert event.start == later and event.start.astimezone(UTC) == later.astimezone(UTC)

    even_later = later + timedelta(hours=6)
    extend_submission_deadline(world.context, world.round_id, even_later, "test")
    with Session(world.engine) as session:
        extensions = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "deadline_extended")).all()
    assert len(extensions) == 2 * len(people)  # each extension is a message of its own (its own idempotency key)
    moved_again = entries(world, "deadline_extended")
    for participant, event in moved_again.items():
        assert event["UID"] == invited[participant]["UID"]
        assert event["SEQUENCE"] > moved[participant]["SEQUENCE"]
        assert event.start == even_later
        assert event.DTSTART.replace(tzinfo=None) == even_later.astimezone(BERLIN).replace(tzinfo=None)
        assert (event.DTSTART.hour, event.DTSTART.minute) == (0, 0)  # six hours after 18:00
