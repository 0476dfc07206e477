"""The coordinator's daily status digest: once a day from its hour while a stage runs, with what changed."""

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from sqlmodel import Session, select

from review_model.status_digest import digest_figures
from review_model.tables import OutboxMessage, Round
from tests.support.answers import submit
from tests.support.messages import link_in, text_of
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage

BERLIN = ZoneInfo("Europe/Berlin")
COORDINATOR = "gs@peer-review.example"


def digests(world) -> list[OutboxMessage]:
    with Session(world.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "status_digest")).all())


def at_local(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN)


def test_one_digest_a_day_from_its_hour_with_what_changed_since_the_last(round_world):
    world = round_world
    world.context = replace(world.context, status_digest_hour=8)
    with Session(world.engine) as session:
        first_day = session.get(Round, world.round_id).submission_deadline.astimezone(BERLIN).date() - timedelta(13)
    with freeze_time(at_local(first_day, 7, 30), real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        assert advance_round(world.context, world.round_id).digests == 0  # before eight
        frozen.move_to(at_local(first_day, 8))
        assert advance_round(world.context, world.round_id).digests == 1
        frozen.move_to(at_local(first_day, 17))
        assert advance_round(world.context, world.round_id).digests == 0  # one a day

        invitation = next(m for m in world.received() if "anna@" in m.recipients[0])
        submit(world, link_in(invitation))
        with Session(world.engine) as session:
            round_ = session.get(Round, world.round_id)
            changed = digest_figures(session, round_, first_day + timedelta(1), at_local(first_day + timedelta(1), 8))
        assert changed.changes == {"opened": 1, "submitted": 1}
        assert changed.counts["submitted"] == 1 and changed.counts["invited"] == 4
        assert changed.since == at_local(first_day, 8)  # counted from the previous digest, not a day back

        frozen.move_to(at_local(first_day + timedelta(1), 8, 5))
        assert advance_round(world.context, world.round_id).digests == 1
    sent = [m for m in world.received() if COORDINATOR in m.recipients]
    assert len(sent) == 2 and len(digests(world)) == 2
    assert "4" in text_of(sent[0]) and "Selbsteinschätzung" in text_of(sent[1])


def test_no_digest_when_it_is_turned_off_or_no_stage_runs(round_world):
    world = round_world  # the fixture's context sends none, as spr does with SPR_STATUS_DIGEST=false
    with Session(world.engine) as session:
        first_day = session.get(Round, world.round_id).submission_deadline.astimezone(BERLIN).date() - timedelta(13)
    with freeze_time(at_local(first_day, 9), real_asyncio=True):
        on = replace(world.context, status_digest_hour=8)
        assert advance_round(on, world.round_id).digests == 0  # not launched: no stage runs
        open_invitation_stage(world.context, world.round_id, "test")
        assert advance_round(world.context, world.round_id).digests == 0
    assert digests(world) == []
