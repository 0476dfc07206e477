"""Every round at a glance: stage, next deadline, what the next stage waits for, for all rounds or some."""

from sqlmodel import Session

from review_model import clock
from review_model.refusals import Reason
from review_model.round_dashboard import rounds_at_a_glance
from review_model.round_timeline import Milestone
from review_model.rounds import get_round, round_progress
from review_model.vocabulary import Stage
from tests.support.staged_rounds import round_in_stage


def test_each_round_shows_its_stage_next_deadline_and_what_the_next_stage_waits_for(engine):
    submitting = round_in_stage(engine, Stage.submission, slug="submitting", submitted={"anna", "ben"})
    assigning = round_in_stage(engine, Stage.assignment, slug="assigning")
    preparing = round_in_stage(engine, Stage.draft, slug="preparing", parties=2)
    now = clock.now()
    with Session(engine) as session:
        glances = rounds_at_a_glance(session, now=now)
        by_slug = {glance.slug: glance for glance in glances}
        assert [glance.slug for glance in glances] == ["preparing", "assigning", "submitting"]  # newest first
        for glance in glances:  # the same counts the stage rules decide on
            assert glance.progress == round_progress(session, glance.id)
        deadline = get_round(session, submitting.round_id).submission_deadline
    first = by_slug["submitting"]
    assert first.stage is Stage.submission and first.next_stage is Stage.assignment
    assert first.title == "Testrunde submitting" and first.title_in("en") == "Test round submitting"
    assert first.next_deadline.milestone is Milestone.submission_deadline and first.next_deadline.at == deadline
    assert not first.next_deadline.passed
    assert first.progress.submitted == 2 and first.progress.respondents == 4
    [reason] = first.waits_for
    assert (
        isinstance(reason, Reason)
        and reason.message == "submission is open until {when} and not everyone has submitted"
    )
    second = by_slug["assigning"]
    assert second.next_stage is Stage.review and second.next_deadline.milestone is Milestone.review_deadline
    assert second.waits_for == ("8 assignments wait for the coordinator's confirmation",)
    assert by_slug["preparing"].waits_for == () and by_slug["preparing"].next_stage is Stage.invitation
    assert by_slug["preparing"].progress.respondents == 2
    assert assigning.round_id != preparing.round_id


def test_a_coordinator_sees_only_the_rounds_asked_for(engine):
    round_in_stage(engine, Stage.submission, slug="theirs")
    mine = round_in_stage(engine, Stage.review, slug="mine", reviewed={"anna"})
    with Session(engine) as session:
        [glance] = rounds_at_a_glance(session, [mine.round_id])
        assert rounds_at_a_glance(session, []) == []
    assert glance.slug == "mine" and glance.stage is Stage.review
    assert glance.progress.reviews_submitted == len(mine["anna"].reviews) > 0 and glance.progress.reviews_due == 8
    assert [reason.message for reason in glance.waits_for] == ["review is open until {when} and reviews are missing"]
