"""Two round drivers started at the same moment on the same round: each transition happens once.

On PostgreSQL two `spr round advance` run side by side for real; each step locks the round for its
transition, so the second driver waits, then finds the stage moved on and does nothing.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.compose import Sender
from notifications.delivery import DeliveryOptions, SmtpServer
from notifications.dev_mail_server import DevMailServer
from review_model import clock
from review_model.participant_import import import_participants, parse_participants
from review_model.rounds import create_round_from_file
from review_model.submissions import submit_answers
from review_model.tables import AuditEvent, Enrolment, OutboxMessage, ReviewAssignment, Round
from review_model.vocabulary import Stage
from tests.workflows.conftest import PEOPLE, SECRET, write_round_file
from workflows.round_driver import advance_round, deliver_now
from workflows.stages.context import StageContext
from workflows.stages.launch import open_invitation_stage

pytestmark = pytest.mark.postgresql_only

RACES = 30
# Every transition a driver makes, and the once-only work that goes with one, as the audit trail names it.
ONCE_ONLY = ("submission stage closed", "assignment proposed", "review stage opened")
FIELDS = ("verwaltung", "it_kommunikation", "energie_umwelt", "mobilitaet", "gesellschaft_bildung", "gesundheit")
GUIDELINES = ("ziele", "teilhabe", "infrastruktur", "ressourcen")
ANSWERS = {f"{field}.{guideline}": "2" for field in FIELDS for guideline in GUIDELINES}
ANSWERS["gesamtbild.staerken"] = "Offene Daten"


@pytest.fixture
def mail() -> Iterator[DevMailServer]:
    with DevMailServer() as server:
        yield server


def stage_context(engine: Engine, mail: DevMailServer) -> StageContext:
    return StageContext(
        engine=engine,
        secret=SECRET.encode(),
        sender=Sender("peer-review@spr.example.org", "Stakeholder Peer Review"),
        public_base_url="http://testserver",
        link_grace=timedelta(days=14),
        smtp=SmtpServer(port=mail.port, timeout=5),
        delivery=DeliveryOptions(retry_seconds=0.05, retry_max_seconds=0.2),
    )


def round_past_its_submission_deadline(context: StageContext, folder: Path, number: int) -> int:
    """A round whose respondents were invited, three of four submitted, and whose submission deadline passed."""
    today = clock.now().date()
    days = [(today + timedelta(days=n)).isoformat() + "T18:00" for n in (14, 28, 42)]
    path = write_round_file(folder, *days)
    path.write_text(path.read_text(encoding="utf-8").replace("fruehjahr-2027", f"race-{number}"), encoding="utf-8")
    with Session(context.engine, expire_on_commit=False) as session:
        round_ = create_round_from_file(session, path, now=clock.now(), default_time_zone="Europe/Berlin",
                                        default_language="de", actor="test").round  # fmt: skip
        import_participants(session, round_, parse_participants(PEOPLE.encode()), "people.csv")
        session.commit()
    open_invitation_stage(context, round_.id, "test")
    advance_round(context, round_.id, deliver=False)
    with Session(context.engine) as session:
        round_ = session.get(Round, round_.id)
        enrolments = session.exec(select(Enrolment).where(Enrolment.round_id == round_.id)
                                  .order_by(col(Enrolment.id))).all()  # fmt: skip
        for enrolment in enrolments[:3]:
            submit_answers(session, round_, enrolment, ANSWERS, clock.now())
        round_.submission_deadline = clock.now() - timedelta(minutes=1)
        session.commit()
        return round_.id


def race(drivers: list[Callable[[], object]]) -> list[BaseException]:
    """Start the drivers in threads at the same moment; returns what they raised."""
    start = threading.Barrier(len(drivers))
    raised: list[BaseException] = []

    def run(driver: Callable[[], object]) -> None:
        start.wait()
        try:
            driver()
        except BaseException as error:
            raised.append(error)

    threads = [threading.Thread(target=run, args=(driver,)) for driver in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return raised


def test_two_drivers_at_once_take_each_transition_once(postgres_engine, mail, tmp_path):
    context = stage_context(postgres_engine, mail)

    def two_drivers(round_id: int) -> list[BaseException]:
        return race([lambda: advance_round(context, round_id, deliver=False)] * 2)

    round_ids, raised = [], []
    for number in range(RACES):
        round_id = round_past_its_submission_deadline(context, tmp_path, number)
        round_ids.append(round_id)
        # The deadline has passed: both close the submission stage, then both look for a proposal.
        raised += two_drivers(round_id)
        with Session(postgres_engine) as session:
            session.exec(update(ReviewAssignment).where(col(ReviewAssignment.round_id) == round_id)
                         .values(confirmed_at=clock.now()))  # fmt: skip
            session.commit()
        # The coordinator confirmed the assignment: both open the review stage.
        raised += two_drivers(round_id)

    with Session(postgres_engine) as session:
        stages = Counter(session.exec(select(Round.stage)).all())
        actions = Counter(session.exec(select(AuditEvent.round_id, AuditEvent.action)).all())
        outbox = Counter(session.exec(select(OutboxMessage.round_id, OutboxMessage.recipient_email,
                                             OutboxMessage.kind)).all())  # fmt: skip
    # How many rounds have each once-only entry how many times: every one of them exactly once.
    times = Counter((action, actions[round_id, action]) for round_id in round_ids for action in ONCE_ONLY)
    assert times == {(action, 1): RACES for action in ONCE_ONLY}
    assert stages == {Stage.review: RACES}
    assert [repr(error)[:160] for error in raised] == []
    assert set(outbox.values()) == {1}  # one invitation, one closing notice, one review request each
    delivered = deliver_now(context)
    received = Counter(message.message_id for message in mail.catcher.received())
    assert delivered.sent == sum(outbox.values()) == len(received) and set(received.values()) == {1}
