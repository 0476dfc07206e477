"""A whole submission stage, with time moved by freezegun: launch, invitations, submissions, reminders on
their days, the deadline, closing, and nothing more afterwards."""

import re
from collections import Counter
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from review_model.tables import Enrolment, OutboxMessage, Round
from review_model.vocabulary import OutboxState, Stage
from tests.support.answers import submit
from tests.support.messages import kinds_by_recipient, link_in
from workflows.round_driver import advance_round
from workflows.stages.launch import launch_blockers, open_invitation_stage


def round_of(world) -> Round:
    with Session(world.engine) as session:
        return session.get(Round, world.round_id)


def test_a_whole_submission_stage(round_world):
    world = round_world
    deadline = round_of(world).submission_deadline
    start = deadline - timedelta(days=13, hours=8)

    with freeze_time(start, real_asyncio=True) as frozen:
        assert launch_blockers(world.context, world.round_id) == []
        open_invitation_stage(world.context, world.round_id, "test")
        first = advance_round(world.context, world.round_id)
        assert first.invitations == 4 and first.stage_after is Stage.submission
        assert first.delivery.sent == 4
        links = {m.recipients[0].split("@")[0]: link_in(m) for m in world.received()}
        assert set(links) == {"anna", "ben", "cara", "dora"}
        again = advance_round(world.context, world.round_id)
        assert not again.did_anything  # running the driver twice does nothing the second time

        frozen.move_to(start + timedelta(days=1))
        submit(world, links["anna"])
        submit(world, links["ben"])

        def at(moment):
            frozen.move_to(moment)
            return advance_round(world.context, world.round_id)

        assert at(deadline - timedelta(days=7, minutes=1)).reminders == 0
        seven = at(deadline - timedelta(days=7) + timedelta(minutes=1))
        assert seven.reminders == 2
        assert at(deadline - timedelta(days=7) + timedelta(minutes=30)).reminders == 0

        frozen.move_to(deadline - timedelta(days=5))
        submit(world, links["cara"])

        assert at(deadline - timedelta(days=3, minutes=1)).reminders == 0
        assert at(deadline - timedelta(days=3) + timedelta(minutes=1)).reminders == 1
        assert at(deadline - timedelta(days=1) + timedelta(minutes=1)).reminders == 1
        assert at(deadline - timedelta(minutes=1)).reminders == 0
        assert round_of(world).stage is Stage.submission

        closing = at(deadline + timedelta(minutes=1))
        assert closing.stage_after is Stage.assignment and closing.stage_messages == 4
        assert closing.transitions == ["submission → assignment"]

        sent_before = len(world.received())
        for days in (1, 2, 10):
            later = at(deadline + timedelta(days=days))
            assert not later.did_anything
        assert len(world.received()) == sent_before

    counts = kinds_by_recipient(world)
    assert counts[("anna", "reminder")] == counts[("ben", "reminder")] == 0
    assert counts[("cara", "reminder")] == 1 and counts[("dora", "reminder")] == 3
    assert all(counts[(who, "invitation")] == 1 for who in ("anna", "ben", "cara", "dora"))
    assert all(counts[(who, "stage_closed")] == 1 for who in ("anna", "ben", "cara", "dora"))
    assert counts[("anna", "submission_receipt")] == 1
    reminders = [m.summary() for m in world.received() if "dora" in m.recipients[0] and "Erinnerung" in m.summary()]
    assert sorted(re.search(r"\((\d)/3\)", line).group(1) for line in reminders) == ["1", "2", "3"]
    with Session(world.engine) as session:
        assert {e.reminders_sent for e in session.exec(select(Enrolment)).all()} == {0, 1, 3}
        assert set(session.exec(select(OutboxMessage.state)).all()) == {OutboxState.sent}


def test_a_crash_between_enqueue_and_delivery_loses_nothing_and_sends_nothing_twice(round_world):
    world = round_world
    open_invitation_stage(world.context, world.round_id, "test")
    queued_only = advance_round(world.context, world.round_id, deliver=False)  # the process dies here
    assert queued_only.invitations == 4 and world.received() == []
    healed = advance_round(world.context, world.round_id)
    assert healed.invitations == 0 and healed.delivery.sent == 4
    assert advance_round(world.context, world.round_id).delivery.sent == 0
    assert len(world.received()) == 4


def test_a_driver_that_dies_midway_through_invitations_is_healed(round_world):
    from workflows.stages import invitation

    world = round_world
    open_invitation_stage(world.context, world.round_id, "test")
    with Session(world.engine) as session:
        first_two = invitation.uninvited(session, world.round_id)[:2]
    invitation.invite(world.context, world.round_id, first_two)  # then the process stops
    report = advance_round(world.context, world.round_id)
    assert report.invitations == 2 and report.delivery.sent == 4
    assert Counter(m.recipients[0] for m in world.received()).most_common(1)[0][1] == 1


def test_launch_is_refused_with_every_reason(round_world):
    from notifications.delivery import SmtpServer
    from notifications.dev_mail_server import free_port

    world = round_world
    nowhere = type(world.context)(**{**world.context.__dict__, "smtp": SmtpServer(port=free_port(), timeout=2)})
    with Session(world.engine) as session:
        for enrolment in session.exec(select(Enrolment)).all():
            session.delete(enrolment)
        session.commit()
    deadline = round_of(world).submission_deadline
    with freeze_time(deadline + timedelta(hours=1), real_asyncio=True):
        reasons = launch_blockers(nowhere, world.round_id)
    assert "no respondents are enrolled (import participants first)" in reasons
    assert any("submission deadline" in reason and "has passed" in reason for reason in reasons)
    assert any("cannot be reached" in reason for reason in reasons)
    assert round_of(world).stage is Stage.draft
