"""A round in its submission stage, with people and personal links, and the portal serving it."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from review_model.participant_import import import_participants, parse_participants
from review_model.rounds import create_round_from_file, get_round
from review_model.tables import Enrolment, Participant, Round
from review_model.tokens import issue_link
from review_model.vocabulary import Stage, TokenPurpose
from tests.support.answers import csrf_of

HERE = Path(__file__).resolve().parent
SECRET = "a-test-secret-that-is-long-enough-1234567890"
PEOPLE = """email,name,organisation,organisation_kind,state,language,roles
anna@auenburg.example,Anna Keller,Stadt Auenburg,Kommune,BY,de,respondent;reviewer
ben@nordhaven.example,Ben Hansen,Hansestadt Nordhaven,Kommune,SH,en,respondent;reviewer
cara@elbstein.example,Cara Wolf,Stadt Elbstein,Kommune,SN,de,reviewer
"""
COMPLETE = {
    "ratings.ampel": "2",
    "ratings.ampel/comment": "Es fehlt Personal.",
    "ratings.reife": "3",
    "ratings.umsetzung": "1",
    "ratings.matrix/rechtlich/status": "1",
    "ratings.matrix/rechtlich/fortschritt": "0",
    "ratings.matrix/technisch/status": "3",
    "ratings.matrix/technisch/fortschritt": "2",
    "ratings.matrix/technisch/comment": "Plattform läuft seit 2025.",
    "facts.art": "kommune",
    "facts.themen": ["mobilitaet", "bildung"],
    "facts.einwohner": "48.250",
    "facts.budget": "2,5",
    "facts.staerken": "Starke Bürgerbeteiligung <b>und</b> offene Daten.",
}


@dataclass
class PortalWorld:
    engine: Engine
    client: TestClient
    round_id: int
    links: dict[str, str]  # email -> path of the person's self-assessment form
    enrolments: dict[str, int] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def form(self, email: str) -> str:
        return self.links[email]

    def csrf(self, email: str) -> str:
        page = self.client.get(self.form(email)).text
        return csrf_of(page)

    def post(self, email: str, answers: dict, action: str = "save", **extra: str):
        data = {"csrf": self.csrf(email), "action": action, **extra, **answers}
        return self.client.post(self.form(email), data=data, follow_redirects=False)

    def round(self) -> Round:
        with Session(self.engine) as session:
            return get_round(session, self.round_id)


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[PortalWorld]:
    (tmp_path / "round.yaml").write_text(
        "slug: portal-test\ntitle: {de: Testrunde, en: Test round}\n"
        f"questionnaire: {HERE / 'every_item_type.yaml'}\n"
        "coordinator: {name: Geschäftsstelle, email: gs@peer-review.example}\n"
        "deadlines: {submission: P14D, review: P28D, comment: P42D}\ndeadline_time: '18:00'\n"
        "late_submissions: {grace_hours: 0}\n",
        encoding="utf-8",
    )
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session:
        round_ = create_round_from_file(
            session, tmp_path / "round.yaml", now=now, default_time_zone="Europe/Berlin", default_language="de",
            actor="test",
        ).round  # fmt: skip
        import_participants(session, round_, parse_participants(PEOPLE.encode()), "people.csv")
        round_.stage = Stage.submission
        session.flush()
        links, enrolments = {}, {}
        rows = session.exec(select(Enrolment, Participant).join(Participant)).all()
        for enrolment, person in rows:
            enrolments[person.email] = enrolment.id
            if enrolment.is_respondent:
                issued = issue_link(
                    session, SECRET.encode(), round_id=round_.id, enrolment_id=enrolment.id,
                    purpose=TokenPurpose.self_assessment, expires_at=round_.submission_deadline + timedelta(days=14),
                )  # fmt: skip
                links[person.email] = f"/a/{issued.token}"
        session.commit()
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    with TestClient(create_app(settings, engine), base_url="http://testserver") as client:
        yield PortalWorld(engine, client, round_.id, links, enrolments, now)
