"""The round most workflow tests run: four organisations in a smart city round, the development SMTP server,
the portal, and the stage context tying them (the fixture `round_world` in tests/workflows/conftest.py)."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from notifications.compose import Sender
from notifications.delivery import DeliveryOptions, SmtpServer
from notifications.dev_mail_server import DevMailServer
from workflows.stages.context import StageContext

SECRET = "a-test-secret-that-is-long-enough-1234567890"
PUBLIC_BASE_URL = "http://testserver"
COORDINATOR = "gs@peer-review.example"  # the round file's coordinator, named for the round
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
        f"coordinator: {{name: Geschäftsstelle, email: {COORDINATOR}}}\n"
        f"deadlines: {{submission: '{submission}', review: '{review}', comment: '{comment}'}}\n"
        "reminders: {days_before: [7, 3, 1], max: 3}\n"
        f"late_submissions: {{grace_hours: {grace_hours}}}\n"
        # four organisations, three reviewers each: everyone reviews everyone, so mutual reviews are unavoidable
        "assignment: {forbid_mutual_review: false}\n",
        encoding="utf-8",
    )
    return path


def stage_context(engine: Engine, smtp_port: int) -> StageContext:
    """What the stages need, on the test store and the test's SMTP server (on loopback), with quick retries."""
    return StageContext(
        engine=engine,
        secret=SECRET.encode(),
        sender=Sender("peer-review@spr.example.org", "Stakeholder Peer Review"),
        public_base_url=PUBLIC_BASE_URL,
        link_grace=timedelta(days=14),
        smtp=SmtpServer(port=smtp_port, timeout=5),
        delivery=DeliveryOptions(retry_seconds=0.05, retry_max_seconds=0.2),
    )
