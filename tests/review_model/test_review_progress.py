"""The reviews of a round per reviewed party and per reviewer: assigned, submitted, open, late, reminded."""

from datetime import timedelta

from sqlmodel import Session

from review_model import clock
from review_model.review_progress import review_progress
from review_model.rounds import get_round
from review_model.tables import Enrolment
from review_model.vocabulary import Stage
from tests.support.staged_actions import withdraw_person
from tests.support.staged_rounds import round_in_stage


def test_before_the_deadline_reviews_are_open_and_none_is_late(engine):
    staged = round_in_stage(engine, Stage.review, reviewed={"anna"})
    anna = len(staged["anna"].reviews)
    with Session(engine) as session:
        progress = review_progress(session, staged.round_id, clock.now())
    assert not progress.deadline_passed and progress.late == 0 and progress.late_reviewers == []
    assert (progress.assigned, progress.submitted, progress.open) == (8, anna, 8 - anna)
    assert [party.organisation for party in progress.parties] == sorted(p.organisation for p in staged.people.values())
    assert all(party.assigned == 2 for party in progress.parties)
    for party in progress.parties:  # anna's reviews are in for the parties she reviews
        reviewed_by_anna = party.organisation in staged["anna"].reviews
        assert party.submitted == (1 if reviewed_by_anna else 0) and party.open == 2 - party.submitted
    workload = {reviewer.name: reviewer for reviewer in progress.reviewers}
    assert (workload["Anna Keller"].assigned, workload["Anna Keller"].submitted, workload["Anna Keller"].open) == (
        anna, anna, 0)  # fmt: skip
    assert sum(reviewer.assigned for reviewer in progress.reviewers) == 8


def test_after_the_deadline_open_reviews_are_late_and_their_reviewers_listed_to_remind(engine):
    staged = round_in_stage(engine, Stage.review, reviewed={"anna"})
    now = clock.now()
    late_ones = {name for name, p in staged.people.items() if p.reviews and name != "anna"}
    assert len(late_ones) >= 2
    reminded, withdrawn = sorted(late_ones)[0], sorted(late_ones)[-1]
    with Session(engine) as session:
        round_ = get_round(session, staged.round_id)
        after = round_.review_deadline + timedelta(minutes=1)
        enrolment = session.get(Enrolment, staged[reminded].enrolment_id)
        enrolment.review_reminders_sent, enrolment.last_reminded_at = 2, now
        session.commit()
    withdraw_person(engine, staged, withdrawn)
    with Session(engine) as session:
        progress = review_progress(session, staged.round_id, after)
    assert progress.deadline_passed
    workload = {reviewer.name.split()[0].lower(): reviewer for reviewer in progress.reviewers}
    # A withdrawn reviewer's open reviews are not due, so not late either.
    assert workload[withdrawn].withdrawn and workload[withdrawn].open == 0 and workload[withdrawn].late == 0
    assert {r.name.split()[0].lower() for r in progress.late_reviewers} == late_ones - {withdrawn}
    assert all(r.late == r.open == r.assigned for r in progress.late_reviewers)
    assert workload["anna"].late == 0
    assert workload[reminded].reminders == 2 and workload[reminded].last_reminded_at == now
    assert progress.late == progress.open == sum(party.late for party in progress.parties) > 0
