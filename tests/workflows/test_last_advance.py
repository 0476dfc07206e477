"""The round driver records when it last finished a pass over a round, and only a pass that raised nothing."""

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session

from review_model.tables import Round
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage


def last_advanced_at(world):
    with Session(world.engine) as session:
        return session.get(Round, world.round_id).last_advanced_at


def test_each_finished_pass_is_recorded_and_a_failed_one_is_not(round_world):
    world = round_world
    with Session(world.engine) as session:
        start = session.get(Round, world.round_id).submission_deadline - timedelta(days=13)
    with freeze_time(start, real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        assert last_advanced_at(world) is None
        advance_round(world.context, world.round_id)
        assert last_advanced_at(world) == start

        frozen.tick(timedelta(minutes=5))
        assert not advance_round(world.context, world.round_id).did_anything
        assert last_advanced_at(world) == start + timedelta(minutes=5)  # a pass with nothing due counts too

        def failing_delivery(label, function, *arguments):
            if "delivery" in label:
                raise ConnectionError("the mail server went away")
            return function(*arguments)

        frozen.tick(timedelta(minutes=5))
        with pytest.raises(ConnectionError):
            advance_round(world.context, world.round_id, run_step=failing_delivery)
        assert last_advanced_at(world) == start + timedelta(minutes=5)
