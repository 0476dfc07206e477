"""A round ready to launch, the development SMTP server, the portal, and the stage context tying them; the same
round world with its staff, for the console's operations (`world`)."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from notifications.dev_mail_server import DevMailServer
from portal.app import create_app
from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.rounds import create_round_from_file
from review_model.vocabulary import StaffRole
from tests.support.commands import configure
from tests.support.round_world import (
    COORDINATOR,
    PEOPLE,
    PUBLIC_BASE_URL,
    SECRET,
    RoundWorld,
    stage_context,
    write_round_file,
)
from tests.support.staff import OBSERVER, staff_member


@pytest.fixture
def round_world(engine: Engine, tmp_path: Path) -> Iterator[RoundWorld]:
    """A round created now, with deadlines 14, 28 and 42 days ahead at 18:00 Berlin, and four respondents."""
    today = clock.now().date()
    days = [(today + timedelta(days=n)).isoformat() + "T18:00" for n in (14, 28, 42)]
    with Session(engine, expire_on_commit=False) as session:
        round_ = create_round_from_file(
            session, write_round_file(tmp_path, *days), now=clock.now(), default_time_zone="Europe/Berlin",
            default_language="de", actor="test",
        ).round  # fmt: skip
        import_participants(session, round_, parse_participants(PEOPLE.encode()), "people.csv")
        session.commit()
    settings = Settings(secret_key=SECRET, public_base_url=PUBLIC_BASE_URL, database_url="sqlite://")
    with DevMailServer() as mail, TestClient(create_app(settings, engine)) as portal:
        yield RoundWorld(engine, stage_context(engine, mail.port), mail, portal, round_.id)


@pytest.fixture
def world(round_world: RoundWorld, configured: str, monkeypatch: pytest.MonkeyPatch) -> RoundWorld:
    """The round world with the settings a coordinator's commands need (the console's operations run them), its
    coordinator (the round file's) and an observer named for it, both with a password."""
    configure(monkeypatch, round_world)
    staff_member(round_world.engine, COORDINATOR, StaffRole.coordinator)
    staff_member(round_world.engine, OBSERVER, StaffRole.observer, rounds=["fruehjahr-2027"])
    return round_world
