from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from review_model.stage_rules import (
    STAGE_ORDER,
    RoundProgress,
    accepts_submissions,
    due_transition,
    enrolment_open,
    is_late,
    next_stage,
    stage_deadline,
    transition_blockers,
)
from review_model.vocabulary import Stage

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class FakeRound:
    stage: Stage
    submission_deadline: datetime = NOW + timedelta(days=14)
    review_deadline: datetime = NOW + timedelta(days=28)
    comment_deadline: datetime = NOW + timedelta(days=42)
    consensus_deadline: datetime | None = None
    publication_at: datetime | None = None
    late_grace_hours: int = 0
    time_zone: str = "Europe/Berlin"
    stage_entered_at: datetime = NOW
    retention: str | None = None
    adoption_required: bool = False
    adopted_on: date | None = None


def test_stages_follow_each_other_in_the_documented_order():
    assert [s.value for s in STAGE_ORDER] == [
        "draft", "invitation", "submission", "assignment", "review", "consensus",
        "consolidation", "drafting", "comment", "published", "archived",
    ]  # fmt: skip
    assert next_stage(Stage.draft) is Stage.invitation
    assert next_stage(Stage.comment) is Stage.published
    assert next_stage(Stage.archived) is None


@pytest.mark.parametrize("target", [Stage.submission, Stage.review, Stage.published, Stage.draft])
def test_a_round_cannot_skip_or_go_back(target):
    reasons = transition_blockers(FakeRound(Stage.draft), target, RoundProgress(respondents=3), NOW)
    assert reasons == [f"a round in stage draft can move only to invitation, not to {target}"]


def test_launch_needs_respondents_and_future_deadlines():
    round_ = FakeRound(Stage.draft, submission_deadline=NOW - timedelta(hours=1))
    reasons = transition_blockers(round_, Stage.invitation, RoundProgress(respondents=0), NOW)
    assert "no respondents are enrolled (import participants first)" in reasons
    assert any("submission deadline" in reason and "has passed" in reason for reason in reasons)
    assert transition_blockers(FakeRound(Stage.draft), Stage.invitation, RoundProgress(respondents=2), NOW) == []


def test_submission_opens_once_everyone_is_invited():
    round_ = FakeRound(Stage.invitation)
    assert transition_blockers(round_, Stage.submission, RoundProgress(respondents=5, invited=4), NOW) == [
        "1 of 5 respondents are not invited yet"
    ]
    assert transition_blockers(round_, Stage.submission, RoundProgress(respondents=5, invited=5), NOW) == []


class TestClosingTheSubmissionStage:
    round_ = FakeRound(Stage.submission, late_grace_hours=24)
    some = RoundProgress(respondents=5, invited=5, submitted=3)

    def test_stays_open_before_the_deadline_plus_grace(self):
        at_deadline = self.round_.submission_deadline
        assert transition_blockers(self.round_, Stage.assignment, self.some, at_deadline)
        assert transition_blockers(self.round_, Stage.assignment, self.some, at_deadline + timedelta(hours=23))

    def test_closes_when_the_grace_period_ends(self):
        after_grace = self.round_.submission_deadline + timedelta(hours=24)
        assert transition_blockers(self.round_, Stage.assignment, self.some, after_grace) == []
        assert due_transition(self.round_, self.some, after_grace) is Stage.assignment

    def test_closes_early_when_everyone_has_submitted(self):
        everyone = replace(self.some, submitted=5)
        assert due_transition(self.round_, everyone, NOW) is Stage.assignment

    def test_coordinator_can_close_early_but_not_without_any_submission(self):
        assert transition_blockers(self.round_, Stage.assignment, self.some, NOW, forced=True) == []
        nothing = replace(self.some, submitted=0)
        assert transition_blockers(self.round_, Stage.assignment, nothing, NOW, forced=True) == [
            "no self-assessment was submitted (extend the deadline)"
        ]


def test_review_starts_only_with_confirmed_assignments():
    round_ = FakeRound(Stage.assignment)
    assert transition_blockers(round_, Stage.review, RoundProgress(), NOW) == ["no reviewers are assigned yet"]
    waiting = RoundProgress(assignments=6, unconfirmed_assignments=6)
    assert transition_blockers(round_, Stage.review, waiting, NOW) == [
        "6 assignments wait for the coordinator's confirmation"
    ]
    assert transition_blockers(round_, Stage.review, RoundProgress(assignments=6), NOW) == []


def test_review_closes_on_its_deadline_or_when_all_reviews_are_in():
    round_ = FakeRound(Stage.review)
    partial = RoundProgress(reviews_due=6, reviews_submitted=4)
    assert due_transition(round_, partial, NOW) is None
    assert due_transition(round_, partial, round_.review_deadline) is Stage.consolidation
    assert due_transition(round_, replace(partial, reviews_submitted=6), NOW) is Stage.consolidation


def test_drafting_needs_findings_and_comment_needs_every_draft_decided():
    assert due_transition(FakeRound(Stage.consolidation), RoundProgress(), NOW) is None
    assert due_transition(FakeRound(Stage.consolidation), RoundProgress(findings=10), NOW) is Stage.drafting
    undecided = RoundProgress(findings=10, recommendations_draft=2, recommendations_approved=3)
    assert transition_blockers(FakeRound(Stage.drafting), Stage.comment, undecided, NOW) == [
        "2 drafted recommendations wait for approval or rejection"
    ]
    decided = replace(undecided, recommendations_draft=0)
    assert due_transition(FakeRound(Stage.drafting), decided, NOW) is Stage.comment


def test_publication_waits_for_the_right_of_reply_and_the_planned_date():
    round_ = FakeRound(Stage.comment)
    assert due_transition(round_, RoundProgress(), NOW) is None
    assert due_transition(round_, RoundProgress(), round_.comment_deadline) is Stage.published
    # Closing early needs every party's reply sent; it also waives a planned publication date.
    waiting = RoundProgress(replies_pending=1)
    assert transition_blockers(round_, Stage.published, waiting, NOW, forced=True) == [
        f"the right of reply runs until {round_.comment_deadline.astimezone(BERLIN):%Y-%m-%d %H:%M %Z}"
    ]
    assert transition_blockers(round_, Stage.published, RoundProgress(), NOW, forced=True) == []
    planned = replace(round_, publication_at=round_.comment_deadline + timedelta(days=7))
    assert due_transition(planned, RoundProgress(), round_.comment_deadline) is None
    assert due_transition(planned, RoundProgress(), planned.publication_at) is Stage.published


def test_the_driver_never_launches_by_itself_and_archives_only_when_the_retention_period_has_run_out():
    assert due_transition(FakeRound(Stage.draft), RoundProgress(respondents=3), NOW) is None
    assert due_transition(FakeRound(Stage.published), RoundProgress(), NOW + timedelta(days=3650)) is None
    assert transition_blockers(FakeRound(Stage.published), Stage.archived, RoundProgress(), NOW) == [
        "the round has no retention period: its people are erased one by one, on request"
    ]
    assert transition_blockers(FakeRound(Stage.published), Stage.archived, RoundProgress(), NOW, forced=True) == []
    # Published on 1 March 2027 at 18:00 in Berlin (CET): two calendar years later, in summer time there.
    published = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
    kept = FakeRound(Stage.published, stage_entered_at=published, retention="P2Y")
    due = datetime(2029, 3, 1, 17, 0, tzinfo=UTC)
    assert transition_blockers(kept, Stage.archived, RoundProgress(), due - timedelta(minutes=1)) == [
        "its people's data is kept until 2029-03-01 18:00 CET"
    ]
    assert due_transition(kept, RoundProgress(), due - timedelta(minutes=1)) is None
    assert due_transition(kept, RoundProgress(), due) is Stage.archived
    assert due_transition(replace(kept, stage=Stage.archived), RoundProgress(), due + timedelta(days=1)) is None


def test_submission_window_and_lateness():
    round_ = FakeRound(Stage.submission, late_grace_hours=12)
    deadline = round_.submission_deadline
    assert stage_deadline(round_, Stage.submission) == deadline + timedelta(hours=12)
    assert accepts_submissions(round_, deadline + timedelta(hours=11))
    assert not accepts_submissions(round_, deadline + timedelta(hours=12))
    assert not is_late(round_, deadline)
    assert is_late(round_, deadline + timedelta(seconds=1))
    refused = FakeRound(Stage.submission)
    assert not accepts_submissions(refused, deadline)
    assert not accepts_submissions(FakeRound(Stage.assignment), NOW)


def test_enrolment_closes_with_the_submission_stage():
    assert [stage for stage in Stage if enrolment_open(stage)] == [Stage.draft, Stage.invitation, Stage.submission]


def test_reminders_count_only_times_after_the_person_was_asked():
    from review_model.reminders import reminder_due

    deadline = NOW + timedelta(days=10)
    policy = (deadline, [7, 3, 1], 3)
    assert reminder_due(*policy, 0, deadline - timedelta(days=7, minutes=1)) is None
    assert reminder_due(*policy, 0, deadline - timedelta(days=7) + timedelta(minutes=1)) == 1
    # invited two days before the deadline: the 7- and 3-day reminders are not theirs
    invited = deadline - timedelta(days=2)
    assert reminder_due(*policy, 0, invited + timedelta(minutes=1), since=invited) is None
    assert reminder_due(*policy, 0, deadline - timedelta(hours=23), since=invited) == 1
    # a driver that slept through two reminder times sends one reminder, not two
    assert reminder_due(*policy, 0, deadline - timedelta(days=2)) == 2
    assert reminder_due(*policy, 3, deadline - timedelta(hours=1)) is None
    assert reminder_due(*policy, 0, deadline) is None


def test_a_round_that_asks_for_adoption_is_published_only_once_it_is_adopted_even_when_closed_early():
    waiting = FakeRound(Stage.comment, adoption_required=True)
    after = waiting.comment_deadline + timedelta(minutes=1)
    adoption = "publication waits for the adoption of the results (`spr round adopt`)"
    assert transition_blockers(waiting, Stage.published, RoundProgress(), after) == [adoption]
    assert transition_blockers(waiting, Stage.published, RoundProgress(), after, forced=True) == [adoption]
    assert due_transition(waiting, RoundProgress(), after) is None
    adopted = replace(waiting, adopted_on=date(2027, 1, 20))
    assert due_transition(adopted, RoundProgress(), after) is Stage.published
