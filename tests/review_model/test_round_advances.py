"""The last advance of each round: recorded by one UPDATE of its own column, read back for the active rounds."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select as core_select
from sqlmodel import Session

from review_model.round_advances import RoundAdvance, active_round_advances, record_advance
from review_model.tables import Round, table_of
from review_model.vocabulary import Stage

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def make_round(session: Session, slug: str, stage: Stage, entered: datetime = NOW) -> int:
    round_ = Round(
        slug=slug, title=slug, coordinator_name="K", coordinator_email="k@x.example", questionnaire_id="q",
        submission_deadline=NOW, review_deadline=NOW, comment_deadline=NOW, spec_digest=slug, stage=stage,
        stage_entered_at=entered, created_at=NOW,
    )  # fmt: skip
    session.add(round_)
    session.flush()
    return round_.id


def row_of(engine, round_id: int) -> dict:
    with engine.connect() as connection:
        table = table_of(Round)
        return dict(connection.execute(core_select(table).where(table.c.id == round_id)).mappings().one())


def test_recording_an_advance_changes_that_column_alone(engine):
    with Session(engine) as session:
        round_id = make_round(session, "offen", Stage.submission)
        other = make_round(session, "andere", Stage.submission)
        session.commit()
    before, other_before = row_of(engine, round_id), row_of(engine, other)
    assert before["last_advanced_at"] is None

    record_advance(engine, round_id, NOW + timedelta(minutes=5))  # commits on its own
    after = row_of(engine, round_id)
    assert after["last_advanced_at"] == NOW + timedelta(minutes=5)
    assert {k: v for k, v in after.items() if k != "last_advanced_at"} == {
        k: v for k, v in before.items() if k != "last_advanced_at"
    }
    assert row_of(engine, other) == other_before

    with Session(engine) as session:  # in a session: part of the caller's transaction
        record_advance(session, round_id, NOW + timedelta(minutes=10))
        session.rollback()
    assert row_of(engine, round_id)["last_advanced_at"] == NOW + timedelta(minutes=5)
    with Session(engine) as session:
        record_advance(session, round_id, NOW + timedelta(minutes=10))
        session.commit()
    assert row_of(engine, round_id)["last_advanced_at"] == NOW + timedelta(minutes=10)


def test_active_rounds_with_their_last_advance_and_whether_they_are_overdue(engine):
    with Session(engine) as session:
        recent = make_round(session, "b-recent", Stage.review)
        stale = make_round(session, "a-stale", Stage.submission)
        make_round(session, "c-never-new", Stage.invitation, entered=NOW - timedelta(minutes=10))
        make_round(session, "d-never-old", Stage.comment, entered=NOW - timedelta(hours=2))
        make_round(session, "e-draft", Stage.draft, entered=NOW - timedelta(days=9))
        make_round(session, "f-published", Stage.published, entered=NOW - timedelta(days=9))
        session.commit()
    record_advance(engine, recent, NOW - timedelta(minutes=14))
    record_advance(engine, stale, NOW - timedelta(minutes=16))
    with Session(engine) as session:
        advances = active_round_advances(session, NOW, timedelta(minutes=15))
    assert advances == [
        RoundAdvance("a-stale", Stage.submission, NOW - timedelta(minutes=16), True),
        RoundAdvance("b-recent", Stage.review, NOW - timedelta(minutes=14), False),
        RoundAdvance("c-never-new", Stage.invitation, None, False),  # counted from entering its stage
        RoundAdvance("d-never-old", Stage.comment, None, True),
    ]
