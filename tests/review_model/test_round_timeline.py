"""A round's stages in order with their dates, and the next deadline, read from the round alone."""

from datetime import UTC, datetime, timedelta

from review_model.round_timeline import Milestone, StageState, next_deadline, round_timeline
from review_model.tables import Round
from review_model.vocabulary import Stage

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def a_round(stage: Stage, **schedule) -> Round:
    dates = {
        "submission_deadline": NOW + timedelta(days=14),
        "review_deadline": NOW + timedelta(days=28),
        "comment_deadline": NOW + timedelta(days=42),
        **schedule,
    }
    return Round(slug="r", title="R", coordinator_name="GS", coordinator_email="gs@example.org", questionnaire_id="q",
                 spec_digest="d", stage=stage, stage_entered_at=NOW - timedelta(days=1), **dates)  # fmt: skip


def test_the_stages_come_in_order_marked_against_the_current_one_with_their_dates():
    round_ = a_round(Stage.review, submission_deadline=NOW - timedelta(days=2), late_grace_hours=24,
                     launched_at=NOW - timedelta(days=20), publication_at=NOW + timedelta(days=50))  # fmt: skip
    timeline = round_timeline(round_, NOW)
    assert [entry.stage for entry in timeline] == [
        Stage.draft, Stage.invitation, Stage.submission, Stage.assignment, Stage.review, Stage.consolidation,
        Stage.drafting, Stage.comment, Stage.published,
    ]  # fmt: skip
    states = {entry.stage: entry.state for entry in timeline}
    assert states[Stage.submission] is StageState.past and states[Stage.assignment] is StageState.past
    assert states[Stage.review] is StageState.current and states[Stage.comment] is StageState.future
    by_stage = {entry.stage: entry for entry in timeline}
    submission, review = by_stage[Stage.submission], by_stage[Stage.review]
    assert submission.deadline == NOW - timedelta(days=2) and submission.late_until == NOW - timedelta(days=1)
    assert submission.deadline_passed
    assert review.starts_at == NOW - timedelta(days=1)  # when the round entered its current stage
    assert review.deadline == NOW + timedelta(days=28) and not review.deadline_passed and review.late_until is None
    assert by_stage[Stage.invitation].starts_at == NOW - timedelta(days=20)
    assert by_stage[Stage.published].starts_at == NOW + timedelta(days=50)
    assert by_stage[Stage.comment].deadline == NOW + timedelta(days=42)


def test_within_the_grace_period_the_submission_deadline_has_not_closed_the_stage():
    round_ = a_round(Stage.submission, submission_deadline=NOW - timedelta(hours=1), late_grace_hours=12)
    submission = next(entry for entry in round_timeline(round_, NOW) if entry.stage is Stage.submission)
    assert not submission.deadline_passed and submission.late_until == NOW + timedelta(hours=11)


def test_the_archive_is_shown_once_the_round_is_there():
    assert Stage.archived not in [entry.stage for entry in round_timeline(a_round(Stage.published), NOW)]
    archived = round_timeline(a_round(Stage.archived), NOW)
    assert archived[-1].stage is Stage.archived and archived[-1].state is StageState.current
    assert all(entry.state is StageState.past for entry in archived[:-1])


def test_the_next_deadline_is_the_current_stages_else_the_one_ahead():
    opens = NOW + timedelta(days=3)
    assert (
        next_deadline(a_round(Stage.invitation, submission_opens_at=opens), NOW).milestone is Milestone.submission_opens
    )
    submission = next_deadline(a_round(Stage.submission, submission_opens_at=NOW - timedelta(days=1)), NOW)
    assert submission.milestone is Milestone.submission_deadline and submission.at == NOW + timedelta(days=14)
    assert not submission.passed
    # Reviewer assignment has no deadline of its own: the review deadline is the next.
    assert next_deadline(a_round(Stage.assignment), NOW).milestone is Milestone.review_deadline
    overdue = next_deadline(a_round(Stage.review, review_deadline=NOW - timedelta(minutes=5)), NOW)
    assert overdue.milestone is Milestone.review_deadline and overdue.passed
    assert next_deadline(a_round(Stage.drafting), NOW).milestone is Milestone.comment_deadline
    after_reply = a_round(Stage.comment, comment_deadline=NOW - timedelta(days=1),
                          publication_at=NOW + timedelta(days=5))  # fmt: skip
    # The right of reply ended; publication waits for its planned date.
    assert next_deadline(after_reply, NOW).milestone is Milestone.publication
    assert next_deadline(a_round(Stage.published, publication_at=NOW - timedelta(days=1)), NOW) is None
