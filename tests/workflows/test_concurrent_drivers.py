"""Two round drivers started at the same moment on the same round: each transition happens once.

The drivers are threads, each on its own PostgreSQL connection as two `spr round advance` would be, let go
together at every point where a transition is due, in 30 rounds from invitation to publication. Each step
locks the round for its change, so the second driver waits, then finds the stage moved on and does nothing.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from notifications.dev_mail_server import DevMailServer
from review_model import clock
from review_model.answers import FormMode, form_fields, read_answers
from review_model.participant_import import import_participants, parse_participants
from review_model.questionnaire import Questionnaire
from review_model.reviews import save_review
from review_model.rounds import create_round_from_file
from review_model.submissions import submit_answers
from review_model.tables import AuditEvent, Enrolment, OutboxMessage, Recommendation, ReviewAssignment, Round
from review_model.vocabulary import RecommendationStatus, Stage
from tests.support.round_world import PEOPLE, stage_context, write_round_file
from workflows.round_driver import advance_round, deliver_now
from workflows.stages import publication
from workflows.stages.context import StageContext
from workflows.stages.launch import open_invitation_stage

pytestmark = pytest.mark.postgresql_only

RACES = 30
# Each race's transitions and the once-only work that goes with them, as the audit trail names them.
ONCE_ONLY = (
    "submission stage opened",
    "submission stage closed",
    "assignment proposed",
    "review stage opened",
    "review stage closed",
    "findings consolidated",
    "drafting stage opened",
    "recommendations drafted",
    "comment stage opened",
    "report published",
)
MESSAGES_PER_ROUND = {"invitation": 4, "stage_closed": 8, "review_request": 4, "comment_invitation": 3,
                      "report_published": 4}  # fmt: skip


@pytest.fixture
def mail() -> Iterator[DevMailServer]:
    with DevMailServer() as server:
        yield server


def new_round(context: StageContext, folder: Path, number: int) -> int:
    """A launched round with four respondents, its deadlines 14, 28 and 42 days ahead."""
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
    return round_.id


def ratings(round_: Round, mode: FormMode, rating: str) -> dict[str, Any]:
    """Every rating of the round's form at `rating`, as the form would store them."""
    fields = form_fields(Questionnaire.model_validate(round_.questionnaire_snapshot), mode)
    check = read_answers(fields, {f.key: [rating] for f in fields if f.kind == "scale"}, language="de", final=False)
    assert check.ok and check.answers
    return check.answers


def three_of_four_submit_and_the_deadline_passes(engine: Engine, round_id: int) -> None:
    with Session(engine) as session:
        round_ = session.get(Round, round_id)
        enrolments = session.exec(select(Enrolment).where(Enrolment.round_id == round_id)
                                  .order_by(col(Enrolment.id))).all()  # fmt: skip
        for enrolment in enrolments[:3]:
            submit_answers(session, round_, enrolment, ratings(round_, "self_assessment", "2"), clock.now())
        round_.submission_deadline = clock.now() - timedelta(minutes=1)
        session.commit()


def the_coordinator_confirms_the_assignment(engine: Engine, round_id: int) -> None:
    with Session(engine) as session:
        session.exec(update(ReviewAssignment).where(col(ReviewAssignment.round_id) == round_id)
                     .values(confirmed_at=clock.now()))  # fmt: skip
        session.commit()


def every_review_is_submitted(engine: Engine, round_id: int, rating: str) -> None:
    with Session(engine) as session:
        round_ = session.get(Round, round_id)
        answers = ratings(round_, "review", rating)
        for assignment in session.exec(select(ReviewAssignment).where(ReviewAssignment.round_id == round_id)).all():
            save_review(session, round_, assignment, answers, clock.now(), submit=True)
        session.commit()


def the_coordinator_approves_every_draft(engine: Engine, round_id: int) -> None:
    with Session(engine) as session:
        session.exec(update(Recommendation).where(col(Recommendation.round_id) == round_id)
                     .values(status=RecommendationStatus.approved))  # fmt: skip
        session.commit()


def the_right_of_reply_ends(engine: Engine, round_id: int) -> None:
    with Session(engine) as session:
        session.get(Round, round_id).comment_deadline = clock.now() - timedelta(minutes=1)
        session.commit()


def race(drivers: list[Callable[[], object]]) -> list[BaseException]:
    """Start the drivers in threads at the same moment; returns what they raised."""
    start = threading.Barrier(len(drivers))
    raised: list[BaseException] = []

    def run(driver: Callable[[], object]) -> None:
        start.wait()
        try:
            driver()
        except BaseException as error:  # every failure, reported by the test
            raised.append(error)

    threads = [threading.Thread(target=run, args=(driver,)) for driver in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return raised


def test_two_drivers_at_once_take_each_transition_once(postgres_engine, mail, tmp_path, monkeypatch):
    # The report's rendering is not what races; a PDF of each round would take most of the test's time.
    monkeypatch.setattr(publication, "PDF_MAX_PARTIES", 0)
    context = stage_context(postgres_engine, mail.port)
    round_ids, raised = [], []

    def two_drivers(round_id: int) -> None:
        raised.extend(race([lambda: advance_round(context, round_id, deliver=False)] * 2))

    for number in range(RACES):
        round_id = new_round(context, tmp_path, number)
        round_ids.append(round_id)
        two_drivers(round_id)  # both invite, both open the submission stage
        three_of_four_submit_and_the_deadline_passes(postgres_engine, round_id)
        two_drivers(round_id)  # both close the submission stage, then both look for a proposal
        the_coordinator_confirms_the_assignment(postgres_engine, round_id)
        two_drivers(round_id)  # both open the review stage
        # The peers rate lower than the parties themselves (twelve drafts), or as they did (none: the round
        # goes on to the comment stage at once, and only the drafting step's audit entry says it ran).
        every_review_is_submitted(postgres_engine, round_id, "0" if number % 2 else "2")
        two_drivers(round_id)  # both close the review stage, consolidate, open drafting and draft
        the_coordinator_approves_every_draft(postgres_engine, round_id)
        two_drivers(round_id)  # both open the comment stage
        the_right_of_reply_ends(postgres_engine, round_id)
        two_drivers(round_id)  # both publish

    with Session(postgres_engine) as session:
        stages = Counter(session.exec(select(Round.stage)).all())
        per_round = Counter(session.exec(select(Recommendation.round_id)).all())
        drafts = Counter(per_round[round_id] for round_id in round_ids)
        actions = Counter(session.exec(select(AuditEvent.round_id, AuditEvent.action)).all())
        outbox = session.exec(select(OutboxMessage.round_id, OutboxMessage.recipient_email, OutboxMessage.subject,
                                     OutboxMessage.kind)).all()  # fmt: skip
    # How many rounds have each once-only entry how many times: every one of them exactly once.
    times = Counter((action, actions[round_id, action]) for round_id in round_ids for action in ONCE_ONLY)
    wrong = {f"{action} {n}x": rounds for (action, n), rounds in sorted(times.items()) if n != 1}
    assert not wrong, f"in how many of {RACES} rounds: {wrong}"
    assert stages == {Stage.published: RACES}
    assert drafts == {0: RACES // 2, 12: RACES // 2}
    assert [repr(error)[:160] for error in raised] == []
    # Each person got each message once (a second driver's copy would have the same subject, another key),
    # and each round the same messages: the four respondents' invitations and closing notices, the four
    # reviewers' requests and closing notices, the three reviewed parties' reply links, four reports.
    assert Counter(row[:3] for row in outbox).most_common(1)[0][1] == 1
    kinds = Counter(kind for _, _, _, kind in outbox)
    assert kinds == {kind: RACES * n for kind, n in MESSAGES_PER_ROUND.items()}
    delivered = deliver_now(context)
    received = Counter(message.message_id for message in mail.catcher.received())
    assert delivered.sent == len(outbox) == len(received) and set(received.values()) == {1}
