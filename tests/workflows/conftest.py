"""A round ready to launch, the development SMTP server, the portal, and the stage context tying them."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from notifications.compose import Sender
from notifications.delivery import DeliveryOptions, SmtpServer
from notifications.dev_mail_server import DevMailServer
from portal.app import create_app
from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.rounds import create_round_from_file
from workflows.stages.context import StageContext

SECRET = "a-test-secret-that-is-long-enough-1234567890"
PEOPLE = """email,name,organisation,organisation_kind,state,language
anna@auenburg.example,Anna Keller,Stadt Auenburg,Kommune,BY,de
ben@nordhaven.example,Ben Hansen,Hansestadt Nordhaven,Kommune,SH,en
cara@elbstein.example,Cara Wolf,Stadt Elbstein,Kommune,SN,de
dora@talbach.example,Dora Roth,Landkreis Talbach,Region,BW,de
"""


@dataclass
class RoundWorld:
    engine: Engine
    context: StageContext
    mail: DevMailServer
    portal: TestClient
    round_id: int

    def received(self, kind_word: str | None = None) -> list:
        return [m for m in self.mail.catcher.received() if kind_word is None or kind_word in m.summary()]


def write_round_file(folder: Path, submission: str, review: str, comment: str, grace_hours: int = 0) -> Path:
    path = folder / "round.yaml"
    path.write_text(
        "slug: fruehjahr-2027\ntitle: {de: Frühjahrsrunde 2027, en: Spring round 2027}\n"
        "questionnaire: smart-city-self-assessment\n"
        "coordinator: {name: Geschäftsstelle, email: gs@peer-review.example}\n"
        f"deadlines: {{submission: '{submission}', review: '{review}', comment: '{comment}'}}\n"
        "reminders: {days_before: [7, 3, 1], max: 3}\n"
        f"late_submissions: {{grace_hours: {grace_hours}}}\n"
        # four organisations, three reviewers each: everyone reviews everyone, so mutual reviews are unavoidable
        "assignment: {forbid_mutual_review: false}\n",
        encoding="utf-8",
    )
    return path


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
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    with DevMailServer() as mail, TestClient(create_app(settings, engine)) as portal:
        yield RoundWorld(engine, stage_context(engine, mail), mail, portal, round_.id)


def stage_context(engine: Engine, mail: DevMailServer) -> StageContext:
    """What the stages need, on the test store and the test's SMTP server, with quick retries."""
    return StageContext(
        engine=engine,
        secret=SECRET.encode(),
        sender=Sender("peer-review@spr.example.org", "Stakeholder Peer Review"),
        public_base_url="http://testserver",
        link_grace=timedelta(days=14),
        smtp=SmtpServer(port=mail.port, timeout=5),
        delivery=DeliveryOptions(retry_seconds=0.05, retry_max_seconds=0.2),
    )
