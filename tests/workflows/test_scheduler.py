"""The scheduler in `spr serve`: every active round on each pass, a woken round soon."""

import time

from sqlmodel import Session

from review_model import clock
from review_model.tables import Round
from review_model.vocabulary import Stage
from workflows.scheduler import RoundScheduler


def make_round(session: Session, slug: str, stage: Stage) -> int:
    now = clock.now()
    round_ = Round(
        slug=slug, title=slug, coordinator_name="K", coordinator_email="k@x.example", questionnaire_id="q",
        submission_deadline=now, review_deadline=now, comment_deadline=now, spec_digest=slug, stage=stage,
    )  # fmt: skip
    session.add(round_)
    session.flush()
    return round_.id


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_active_rounds_are_advanced_and_a_woken_round_again_soon(engine):
    with Session(engine) as session:
        draft = make_round(session, "entwurf", Stage.draft)
        open_ = make_round(session, "offen", Stage.submission)
        reviewing = make_round(session, "review", Stage.review)
        make_round(session, "fertig", Stage.published)
        session.commit()
    calls: list[str] = []
    scheduler = RoundScheduler(engine, lambda round_id, slug: calls.append(slug), interval_seconds=3600).start()
    try:
        wait_for(lambda: len(calls) >= 2)
        assert sorted(calls) == ["offen", "review"]
        scheduler.wake(open_)
        scheduler.wake(open_)
        scheduler.wake(draft)  # not active: nothing to do
        wait_for(lambda: len(calls) >= 3)
        time.sleep(0.2)
        assert calls[2:] == ["offen"]
        assert reviewing
    finally:
        scheduler.stop()


def test_one_failing_round_does_not_stop_the_others(engine):
    with Session(engine) as session:
        make_round(session, "kaputt", Stage.submission)
        make_round(session, "heil", Stage.submission)
        session.commit()
    done: list[str] = []

    def advance(round_id: int, slug: str) -> None:
        if slug == "kaputt":
            raise RuntimeError("boom")
        done.append(slug)

    scheduler = RoundScheduler(engine, advance, interval_seconds=3600).start()
    try:
        wait_for(lambda: done == ["heil"])
    finally:
        scheduler.stop()
