"""The store's fast insert path writes what the ORM writes."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from review_model.store import insert_rows, reading_session
from review_model.tables import Finding, Round
from review_model.vocabulary import FindingScope

MOMENT = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
# Text that COPY and JSON must both carry through: tabs, line breaks, backslashes, quotes, umlauts.
DETAILS = {"ü": [1, None, 2.5], "comment": 'Tab\there, line\nbreak\r\n, back\\slash, "quoted" \\N'}


def _round(session: Session) -> Round:
    round_ = Round(
        slug="r",
        title="R",
        coordinator_name="C",
        coordinator_email="c@x.example",
        questionnaire_id="q",
        submission_deadline=MOMENT,
        review_deadline=MOMENT,
        comment_deadline=MOMENT,
        spec_digest="d",
    )
    session.add(round_)
    session.commit()
    return round_


def test_insert_rows_round_trips_timestamps_json_and_enums(engine):
    with Session(engine) as session:
        round_ = _round(session)
        row = {"round_id": round_.id, "submission_id": None, "scope": FindingScope.round, "key": "k\\ü\t",
               "scale": "maturity", "self_score": 1.5, "peer_median": None, "peer_mean": 2.0, "spread": None,
               "n_reviews": 2, "disagreement": True, "details": DETAILS, "computed_at": MOMENT}  # fmt: skip
        insert_rows(session, Finding.__table__, [row])
        session.add(Finding(**{**row, "key": "by the ORM"}))
        session.commit()
    with reading_session(engine) as session:
        fast, _ = session.exec(select(Finding).order_by(Finding.id)).all()
        assert (fast.computed_at, fast.details, fast.scope, fast.disagreement) == (
            MOMENT, DETAILS, FindingScope.round, True)  # fmt: skip
        raw = session.connection().exec_driver_sql("SELECT computed_at FROM findings ORDER BY id").all()
        assert raw[0] == raw[1]  # stored exactly as the ORM stores it
        assert fast.key == "k\\ü\t"


def test_insert_rows_converts_a_value_every_row_shares_once_and_keeps_each_rows_own(engine):
    with Session(engine) as session:
        round_ = _round(session)
        shared = {"same": "for all"}
        rows = [{"round_id": round_.id, "scope": FindingScope.party, "key": f"k{i}", "peer_mean": i / 4, "n_reviews": 3,
                 "disagreement": False, "details": shared if i % 2 else {i: "own"}, "computed_at": MOMENT}
                for i in range(5)]  # fmt: skip
        insert_rows(session, Finding.__table__, rows)
        session.commit()
    with reading_session(engine) as session:
        stored = session.exec(select(Finding).order_by(Finding.id)).all()
    assert [(f.key, f.peer_mean, f.details, f.computed_at) for f in stored] == [
        (f"k{i}", i / 4, shared if i % 2 else {str(i): "own"}, MOMENT) for i in range(5)
    ]
