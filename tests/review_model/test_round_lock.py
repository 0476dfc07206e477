"""lock_round holds a round for the rest of a transaction: a second transaction reads it only afterwards."""

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from review_model.round_lock import RoundNotLockable, lock_round
from review_model.store import reading_session
from review_model.tables import Round
from review_model.vocabulary import Stage

MOMENT = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def a_round(engine) -> int:
    with Session(engine) as session:
        round_ = Round(slug="r", title="R", coordinator_name="C", coordinator_email="c@x.example",
                       questionnaire_id="q", submission_deadline=MOMENT, review_deadline=MOMENT,
                       comment_deadline=MOMENT, spec_digest="d", stage=Stage.assignment)  # fmt: skip
        session.add(round_)
        session.commit()
        return round_.id


def test_a_second_transaction_waits_and_sees_the_stage_the_first_one_left(engine):
    round_id = a_round(engine)
    locked, seen = threading.Event(), []

    def second() -> None:
        locked.wait(5)
        with Session(engine) as session:
            session.get(Round, round_id)  # read before the lock: lock_round reads the row again all the same
            seen.append(lock_round(session, round_id).stage)

    thread = threading.Thread(target=second)
    thread.start()
    with Session(engine) as session:
        round_ = lock_round(session, round_id)
        locked.set()
        time.sleep(0.3)  # the second transaction has asked for the round by now
        round_.stage = Stage.review
        session.commit()
    thread.join(10)
    assert seen == [Stage.review]


def test_a_reading_session_cannot_lock_a_round(engine):
    round_id = a_round(engine)
    with reading_session(engine) as session, pytest.raises(RoundNotLockable):
        lock_round(session, round_id)


def test_locking_a_round_that_does_not_exist_says_so(engine):
    with Session(engine) as session, pytest.raises(LookupError, match="no round with id 999"):
        lock_round(session, 999)
