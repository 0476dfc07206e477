"""The consensus stage's rules, without a store: where it lies in the order of stages, when a round enters and
leaves it, its deadline from the round file, and what a joint assessment must hold."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from review_model.consensus import AssessmentText, assessment_problems
from review_model.round_file import RoundFile, consensus_deadline, consensus_problems, resolve_schedule
from review_model.stage_rules import RoundProgress, due_transition, stage_after, stage_deadline, transition_blockers
from review_model.tables.consensus import ASSESSMENT_LENGTH, RECOMMENDATION_LENGTH
from review_model.vocabulary import Stage

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
DONE = RoundProgress(respondents=4, invited=4, submitted=4, assignments=8, reviews_due=8, reviews_submitted=8,
                     assessments_due=4, assessments_submitted=4)  # fmt: skip


@dataclass
class FakeRound:
    stage: Stage
    submission_deadline: datetime = NOW - timedelta(days=14)
    review_deadline: datetime = NOW + timedelta(days=7)
    comment_deadline: datetime = NOW + timedelta(days=42)
    consensus_deadline: datetime | None = NOW + timedelta(days=14)
    publication_at: datetime | None = None
    late_grace_hours: int = 0
    time_zone: str = "Europe/Berlin"
    stage_entered_at: datetime = NOW
    retention: str | None = None
    adoption_required: bool = False
    adopted_on: date | None = None


def test_consensus_follows_review_and_a_round_without_one_skips_it():
    with_consensus, without = FakeRound(Stage.review), FakeRound(Stage.review, consensus_deadline=None)
    assert stage_after(with_consensus) is Stage.consensus
    assert stage_after(without) is Stage.consolidation
    assert stage_after(FakeRound(Stage.consensus)) is Stage.consolidation
    assert stage_after(FakeRound(Stage.assignment)) is Stage.review
    # the one way out of review is the round's own: consolidation is refused where consensus comes first
    reasons = transition_blockers(with_consensus, Stage.consolidation, DONE, NOW, forced=True)
    assert reasons == ["a round in stage review can move only to consensus, not to consolidation"]
    assert transition_blockers(without, Stage.consensus, DONE, NOW, forced=True)


def test_review_closes_into_consensus_on_its_deadline_or_when_every_review_is_in():
    round_ = FakeRound(Stage.review)
    waiting = replace(DONE, reviews_submitted=5)
    assert due_transition(round_, waiting, NOW) is None
    assert due_transition(round_, DONE, NOW) is Stage.consensus  # everyone is done
    assert due_transition(round_, waiting, round_.review_deadline) is Stage.consensus
    nothing = replace(DONE, reviews_submitted=0)
    assert transition_blockers(round_, Stage.consensus, nothing, round_.review_deadline) == [
        "no review was submitted (extend the deadline)"
    ]


def test_consensus_runs_until_its_deadline_even_when_every_assessment_is_in():
    round_ = FakeRound(Stage.consensus)
    assert round_.consensus_deadline is not None
    assert due_transition(round_, DONE, NOW) is None
    assert transition_blockers(round_, Stage.consolidation, DONE, NOW) == [
        "consensus is open until 2027-03-15 13:00 CET"
    ]
    assert transition_blockers(round_, Stage.consolidation, DONE, NOW, forced=True) == []  # closed early
    assert due_transition(round_, DONE, round_.consensus_deadline) is Stage.consolidation
    assert stage_deadline(round_, Stage.consensus) == round_.consensus_deadline


def test_a_launch_names_a_consensus_deadline_that_has_passed():
    round_ = FakeRound(Stage.draft, submission_deadline=NOW + timedelta(days=1),
                       review_deadline=NOW + timedelta(days=2),
                       consensus_deadline=NOW - timedelta(hours=1))  # fmt: skip
    reasons = transition_blockers(round_, Stage.invitation, DONE, NOW)
    assert reasons == ["consensus deadline 2027-03-01 12:00 CET has passed"]
    assert transition_blockers(replace(round_, consensus_deadline=None), Stage.invitation, DONE, NOW) == []


def _round_file(**consensus: object) -> RoundFile:
    return RoundFile.model_validate({
        "slug": "fruehjahr-2027", "title": {"de": "Frühjahrsrunde 2027"}, "questionnaire": "spr-status",
        "coordinator": {"name": "Geschäftsstelle", "email": "gs@peer-review.example"},
        "deadlines": {"submission": "2027-02-15", "review": "2027-03-26T12:00", "comment": "2027-04-20"},
        **({"consensus": consensus} if consensus else {}),
    })  # fmt: skip


def test_the_consensus_deadline_is_days_after_the_review_deadline_at_the_rounds_deadline_time():
    created = datetime(2027, 1, 10, tzinfo=UTC)
    spec = _round_file(days=7)
    schedule = resolve_schedule(spec, created, BERLIN)
    review = schedule["review"]
    assert review is not None
    # 26 March at noon, then seven calendar days at 23:59: across the change to summer time (28 March)
    assert consensus_deadline(spec, review, BERLIN) == datetime(2027, 4, 2, 21, 59, tzinfo=UTC)
    assert consensus_deadline(_round_file(), review, BERLIN) is None  # none by default
    assert consensus_deadline(_round_file(days=0), review, BERLIN) is None
    assert consensus_problems(spec, schedule, BERLIN) == []
    late = _round_file(days=30)
    (problem,) = consensus_problems(late, resolve_schedule(late, created, BERLIN), BERLIN)
    assert problem.path == ("consensus", "days")
    assert "not before deadlines.comment (2027-04-20 23:59 CEST)" in problem.message
    with pytest.raises(ValueError, match="less than or equal to 90"):
        _round_file(days=91)


def test_a_joint_assessment_is_checked_field_by_field():
    draft = AssessmentText("Klare Strategie", "", ())
    assert assessment_problems(draft, final=False) == {}
    assert set(assessment_problems(draft, final=True)) == {"weaknesses", "recommendations"}
    full = AssessmentText("Klare Strategie", "Wenig Personal", ("Personal aufstocken",))
    assert assessment_problems(full, final=True) == {}
    too_many = replace(full, recommendations=("a", "b", "c", "d"))
    assert assessment_problems(too_many, final=True) == {"recommendations": "at most 3 recommendations"}
    too_long = AssessmentText("x" * (ASSESSMENT_LENGTH + 1), "y", ("z" * (RECOMMENDATION_LENGTH + 1),))
    assert set(assessment_problems(too_long, final=False)) == {"strengths", "recommendation-1"}
    assert AssessmentText(" a ", " b ", ("", " c ", "  ")).cleaned() == AssessmentText("a", "b", ("c",))
