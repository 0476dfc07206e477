"""The running stage's progress bar and the counts beside it."""

from sqlmodel import Session, select

from review_model import clock
from review_model.participation import participation
from review_model.reviews import save_review
from review_model.rounds import get_round
from review_model.stage_progress import ProgressMeasure, stage_progress
from review_model.tables import AccessToken, ReviewAssignment
from review_model.vocabulary import Stage, TokenPurpose
from tests.support.staged_actions import withdraw_person
from tests.support.staged_rounds import round_in_stage


def test_in_the_submission_stage_the_bar_counts_self_assessments_as_the_status_does(engine):
    staged = round_in_stage(engine, Stage.submission, submitted={"anna"})
    withdraw_person(engine, staged, "dora")
    with Session(engine) as session:
        progress = stage_progress(session, staged.round_id)
        assert progress.people == participation(session, staged.round_id)
    assert progress.stage is Stage.submission and progress.measure is ProgressMeasure.self_assessments
    # Dora was withdrawn before submitting: she is no longer waited for.
    assert (progress.done, progress.total, progress.withdrawn) == (1, 3, 1)
    assert progress.people.invited == 3 and progress.people.submitted == 1
    assert progress.reviews is None and progress.replies is None
    assert round(progress.share, 2) == 0.33


def test_in_the_review_stage_the_bar_counts_reviews_and_says_how_far_the_others_are(engine):
    staged = round_in_stage(engine, Stage.review, reviewed={"anna"})
    anna = len(staged["anna"].reviews)
    with Session(engine) as session:
        others = session.exec(
            select(AccessToken).where(
                AccessToken.round_id == staged.round_id,
                AccessToken.purpose == TokenPurpose.review,
                AccessToken.enrolment_id != staged["anna"].enrolment_id,
            )
        ).all()
        # Someone opened one review link and saved nothing yet; someone saved a draft of another review.
        others[0].last_used_at = clock.now()
        round_ = get_round(session, staged.round_id)
        save_review(session, round_, session.get(ReviewAssignment, others[1].assignment_id), {}, clock.now(),
                    submit=False)  # fmt: skip
        session.commit()
        progress = stage_progress(session, staged.round_id)
    assert progress.measure is ProgressMeasure.reviews and (progress.done, progress.total) == (anna, 8)
    reviews = progress.reviews
    assert reviews is not None
    assert (reviews.assigned, reviews.submitted, reviews.due, reviews.drafted) == (8, anna, 8, 1)
    assert reviews.opened == anna + 2  # the reviews submitted or drafted were opened, and so was the link used
    assert reviews.reviewers == sum(1 for person in staged.people.values() if person.reviews)
    assert reviews.reminders == 0 and reviews.bounced == 0
    assert progress.people.submitted == 4 and progress.replies is None


def test_in_the_comment_stage_the_bar_counts_replies(engine):
    staged = round_in_stage(engine, Stage.comment, replies={"anna": "Danke.", "ben": ""})
    with Session(engine) as session:
        progress = stage_progress(session, staged.round_id)
    assert progress.measure is ProgressMeasure.replies and (progress.done, progress.total) == (2, 4)
    assert progress.replies is not None and (progress.replies.sent, progress.replies.pending) == (2, 2)
    assert progress.reviews is not None and progress.reviews.submitted == 8


def test_a_stage_nobody_answers_in_has_no_bar(engine):
    staged = round_in_stage(engine, Stage.assignment)
    with Session(engine) as session:
        progress = stage_progress(session, staged.round_id)
    assert progress.measure is None and (progress.done, progress.total) == (0, 0) and progress.share == 0.0
    assert progress.people.submitted == 4
