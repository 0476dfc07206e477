"""transition: the one way a round changes its stage — checked, set and recorded together, or not at all."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from review_model.tables import AuditEvent, Round
from review_model.transitions import TransitionRefused, transition
from review_model.vocabulary import Stage

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
PACKAGES = ("config", "review_model", "notifications", "reports", "portal", "workflows")


def a_round(engine, stage: Stage, deadlines_in: timedelta = timedelta(days=-1)) -> int:
    at = NOW + deadlines_in
    with Session(engine) as session:
        round_ = Round(slug="r", title="R", coordinator_name="C", coordinator_email="c@x.example",
                       questionnaire_id="q", submission_deadline=at, review_deadline=at + timedelta(days=1),
                       comment_deadline=at + timedelta(days=2), spec_digest="d", stage=stage)  # fmt: skip
        session.add(round_)
        session.commit()
        return round_.id


def events(engine) -> list[tuple[str, dict]]:
    with Session(engine) as session:
        return [(event.action, event.details) for event in session.exec(select(AuditEvent)).all()]


def test_a_transition_sets_the_stage_and_records_it_with_what_went_with_it(engine):
    round_id = a_round(engine, Stage.drafting)
    with Session(engine) as session:
        with transition(session, round_id, Stage.comment, "driver", now=NOW) as change:
            assert change is not None and change.before is Stage.drafting
            assert change.round.stage is Stage.comment
            change.details["invitations"] = 3
        session.commit()
        round_ = session.get(Round, round_id)
        assert (round_.stage, round_.stage_entered_at) == (Stage.comment, NOW)
    assert events(engine) == [("comment stage opened", {"invitations": 3})]


def test_a_transition_taken_already_is_nothing(engine):
    round_id = a_round(engine, Stage.consolidation)
    with Session(engine) as session:
        with transition(session, round_id, Stage.consolidation, "second driver", now=NOW) as change:
            assert change is None
        session.commit()
        assert session.get(Round, round_id).stage is Stage.consolidation
    assert events(engine) == []


def test_the_rules_are_checked_and_every_reason_given(engine):
    round_id = a_round(engine, Stage.draft, timedelta(days=-5))  # no questionnaire, nobody, deadlines passed
    refusing = pytest.raises(TransitionRefused)
    with (
        Session(engine) as session,
        refusing as refused,
        transition(session, round_id, Stage.invitation, "coordinator", now=NOW),
    ):
        pytest.fail("a refused transition runs nothing")
    assert "no respondents are enrolled (import participants first)" in refused.value.reasons
    assert sum("has passed" in reason for reason in refused.value.reasons) == 3
    with Session(engine) as session:
        assert session.get(Round, round_id).stage is Stage.draft


def test_closing_early_waives_the_deadline_and_says_it_was_forced(engine):
    round_id = a_round(engine, Stage.comment, deadlines_in=timedelta(days=10))  # every party (none) replied
    early = pytest.raises(TransitionRefused, match="the right of reply runs until")
    with Session(engine) as session, early, transition(session, round_id, Stage.published, "driver", now=NOW):
        pass
    with Session(engine) as session:
        with transition(session, round_id, Stage.published, "coordinator", forced=True, now=NOW) as change:
            assert change is not None
        session.commit()
    assert events(engine) == [("report published", {"forced": True})]


def test_what_fails_inside_leaves_the_stage_and_the_history_as_they_were(engine):
    round_id = a_round(engine, Stage.drafting)
    failing = pytest.raises(RuntimeError)
    with Session(engine) as session, failing, transition(session, round_id, Stage.comment, "driver", now=NOW):
        raise RuntimeError("the messages could not be queued")
    with Session(engine) as session:
        assert session.get(Round, round_id).stage is Stage.drafting
    assert events(engine) == []


def test_nothing_but_transition_assigns_a_rounds_stage():
    root = Path(__file__).resolve().parents[2]
    assigning = []
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = node.targets if isinstance(node, ast.Assign) else []
                for target in targets:
                    for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                        if isinstance(element, ast.Attribute) and element.attr == "stage":
                            assigning.append(str(path.relative_to(root)))
    assert assigning == ["review_model/transitions.py"]
