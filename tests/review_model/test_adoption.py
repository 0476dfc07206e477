"""Recording the adoption of a round's results: when it can be recorded, what is kept, what the history says."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from review_model import clock
from review_model.adoption import AdoptionRefused, record_adoption
from review_model.tables import AuditEvent, Round
from review_model.vocabulary import Stage
from tests.support.staged_rounds import round_in_stage


def test_the_adoption_is_kept_with_its_changes_and_the_history_says_so(engine):
    staged = round_in_stage(engine, Stage.comment)
    today = clock.now().date()
    with Session(engine) as session:
        round_ = session.get(Round, staged.round_id)
        record_adoption(session, round_, " Plenum des Digital-Gipfels ", today, "Empfehlung 2 umformuliert.",
                        "coordinator", clock.now())  # fmt: skip
        session.commit()
    with Session(engine) as session:
        round_ = session.get(Round, staged.round_id)
        assert (round_.adopted_by, round_.adopted_on) == ("Plenum des Digital-Gipfels", today)
        assert round_.adoption_changes == "Empfehlung 2 umformuliert." and round_.adoption_recorded_by == "coordinator"
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "adoption recorded")).one()
        assert event.details == {"by": "Plenum des Digital-Gipfels", "on": today.isoformat(), "changes_noted": True}


def test_an_adoption_is_refused_with_every_reason_before_drafting_in_the_future_or_without_a_body(engine):
    staged = round_in_stage(engine, Stage.review)
    with Session(engine) as session, pytest.raises(AdoptionRefused) as refused:
        round_ = session.get(Round, staged.round_id)
        record_adoption(session, round_, "  ", clock.now().date() + timedelta(days=2), "x" * 4001, "c", clock.now())
    assert refused.value.reasons == [
        "round staged-round is in stage review: the results are adopted after the drafting and before publication",
        "name the body that adopted the results (--by), e.g. the plenary",
        f"the adoption's date {clock.now().date() + timedelta(days=2)} lies in the future: record it once it has "
        "happened",
        "the changes noted are longer than 4000 characters",
    ]
    with Session(engine) as session:
        assert session.get(Round, staged.round_id).adopted_by is None


def test_a_body_is_one_line(engine):
    staged = round_in_stage(engine, Stage.drafting)
    with Session(engine) as session, pytest.raises(AdoptionRefused, match="one line of at most 200 characters"):
        record_adoption(session, session.get(Round, staged.round_id), "Plenum\nand more", date(2020, 1, 1), None,
                        "c", clock.now())  # fmt: skip
