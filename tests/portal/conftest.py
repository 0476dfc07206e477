"""A round in its submission stage, with people and personal links, and the portal serving it; the same round
with reviewers assigned (`review_links`), and in its comment stage with Anna's reply link (`replies`)."""

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
from review_model.tables import Enrolment, Finding, Participant, Reply, ReviewAssignment, Round, Submission
from review_model.tokens import issue_link
from review_model.vocabulary import FindingScope, Stage, TokenPurpose, WorkStatus
from tests.support.answers import csrf_of
from tests.support.console import RecordedActions
from tests.support.oidc import oidc_provider  # noqa: F401  (a fixture: the provider staff sign in at)
from tests.support.round_world import SECRET

HERE = Path(__file__).resolve().parent
ANNA = "anna@auenburg.example"
BEN = "ben@nordhaven.example"
CARA = "cara@elbstein.example"
HOSTILE_COMMENT = "<script>alert(1)</script> Kommentar zur Plattform"
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


@pytest.fixture
def actions() -> RecordedActions:
    """The coordinator operations the console calls, recorded and answered, nothing changed."""
    return RecordedActions()


def assign_reviewer(session: Session, world: PortalWorld, round_: Round, submission_id: int, reviewer: str) -> str:
    """Assign `reviewer` to review a submission, in the caller's transaction; the path of their review form."""
    assignment = ReviewAssignment(
        round_id=world.round_id, submission_id=submission_id, reviewer_enrolment_id=world.enrolments[reviewer]
    )
    session.add(assignment)
    session.flush()
    issued = issue_link(
        session, SECRET.encode(), round_id=world.round_id, enrolment_id=world.enrolments[reviewer],
        purpose=TokenPurpose.review, assignment_id=assignment.id,
        expires_at=round_.review_deadline + timedelta(days=14),
    )  # fmt: skip
    return f"/r/{issued.token}"


@pytest.fixture
def review_links(world: PortalWorld) -> dict[str, str]:
    """Anna submits; Cara and Ben are assigned to review her; the round moves to review. Their review links."""
    assert world.post(ANNA, COMPLETE, action="submit").status_code == 303
    links = {}
    with Session(world.engine) as session:
        submission = session.exec(select(Submission)).one()
        round_ = world.round()
        for reviewer in (CARA, BEN):
            assert submission.id is not None
            links[reviewer] = assign_reviewer(session, world, round_, submission.id, reviewer)
        stored_round = session.get(type(round_), world.round_id)
        stored_round.stage = Stage.review
        session.commit()
    return links


@dataclass
class ReplyWorld:
    world: PortalWorld
    link: str  # Anna's reply link
    findings: dict[str, int]  # "rechtlich", "technisch" (each group's first finding), "ben": another party's

    def csrf(self) -> str:
        page = self.world.client.get(self.link).text
        return csrf_of(page)

    def post(self, fields: dict[str, str], action: str = "save", **headers: str):
        data = {"csrf": self.csrf(), "action": action, "lang": "de", **fields}
        return self.world.client.post(self.link, data=data, headers=headers, follow_redirects=False)

    def stored(self) -> tuple[Submission, dict[int | None, str]]:
        with Session(self.world.engine) as session:
            submission = session.exec(select(Submission).where(Submission.enrolment_id == self.anna)).one()
            replies = session.exec(select(Reply).where(Reply.submission_id == submission.id)).all()
            return submission, {reply.finding_id: reply.text for reply in replies}

    @property
    def anna(self) -> int:
        return self.world.enrolments[ANNA]

    def move_deadline(self, deadline: datetime) -> None:
        with Session(self.world.engine) as session:
            round_ = get_round(session, self.world.round_id)
            round_.comment_deadline = deadline
            session.commit()


def _submission(session: Session, round_id: int, enrolment_id: int) -> Submission:
    now = datetime.now(UTC)
    submission = Submission(
        round_id=round_id, enrolment_id=enrolment_id, status=WorkStatus.submitted, answers={}, version=1,
        submitted_at=now,
    )  # fmt: skip
    session.add(submission)
    session.flush()
    return submission


def _finding(session: Session, round_id: int, submission_id: int, key: str, scale: str, **figures) -> int:
    # every_item_type.yaml tags its matrix rows with strategy_level: the groups a party replies to.
    finding = Finding(
        round_id=round_id, submission_id=submission_id, scope=FindingScope.strategy_level, key=key, scale=scale,
        n_reviews=2, **figures,
    )  # fmt: skip
    session.add(finding)
    session.flush()
    assert finding.id is not None
    return finding.id


@pytest.fixture
def replies(world: PortalWorld) -> ReplyWorld:
    """Anna's party was reviewed and consolidated; the round is in its comment stage; Anna has her reply link."""
    with Session(world.engine) as session:
        round_ = get_round(session, world.round_id)
        round_.stage = Stage.comment
        round_.comment_deadline = datetime.now(UTC) + timedelta(days=7)
        anna = _submission(session, world.round_id, world.enrolments[ANNA])
        comment = {"item": "ratings.matrix/technisch/comment", "text": HOSTILE_COMMENT}
        findings = {
            "rechtlich": _finding(
                session, world.round_id, anna.id, "rechtlich", "traffic_light", self_score=3.0, peer_mean=1.5,
                details={"gap": -1.5, "comments": [], "weakest": []},
            ),
            "technisch": _finding(
                session, world.round_id, anna.id, "technisch", "traffic_light", self_score=3.0, peer_mean=2.0,
                details={"gap": -1.0, "comments": [comment], "weakest": ["ratings.matrix/technisch/status"]},
            ),
        }  # fmt: skip
        # The same group on its second scale: its comments are the same ones, and shown once.
        _finding(
            session, world.round_id, anna.id, "technisch", "progress", self_score=2.0, peer_mean=1.0,
            details={"gap": -1.0, "comments": [comment], "weakest": []},
        )  # fmt: skip
        ben = _submission(session, world.round_id, world.enrolments[BEN])
        findings["ben"] = _finding(
            session, world.round_id, ben.id, "rechtlich", "traffic_light", self_score=1.0, peer_mean=1.0,
            details={"gap": 0.0, "comments": [], "weakest": []},
        )  # fmt: skip
        issued = issue_link(
            session, SECRET.encode(), round_id=world.round_id, enrolment_id=world.enrolments[ANNA],
            purpose=TokenPurpose.reply, expires_at=round_.comment_deadline + timedelta(days=14),
        )  # fmt: skip
        session.commit()
    return ReplyWorld(world, f"/c/{issued.token}", findings)
