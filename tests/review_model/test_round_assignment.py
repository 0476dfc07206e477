"""Reviewer assignment inside a round: eligibility, affinity, storage, and what the driver needs."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from review_model.assignment_solver import AssignmentInfeasible
from review_model.participant_import import import_participants, parse_participants
from review_model.round_assignment import propose_assignment, round_assignment_problem
from review_model.rounds import create_round_from_file
from review_model.tables import Enrolment, Organisation, Participant, ReviewAssignment, Round, Submission
from review_model.vocabulary import Stage, WorkStatus
from tests.conftest import EXAMPLES

NOW = datetime.now(UTC)


@pytest.fixture
def example_round(engine):
    """The example round with its 30 participants; every respondent has submitted."""
    with Session(engine, expire_on_commit=False) as session:
        round_ = create_round_from_file(
            session, EXAMPLES / "round.yaml", now=NOW, default_time_zone="Europe/Berlin", default_language="de",
            actor="test",
        ).round  # fmt: skip
        csv = (EXAMPLES / "participants.csv").read_bytes()
        import_participants(session, round_, parse_participants(csv), "participants.csv")
        for enrolment in session.exec(select(Enrolment).where(Enrolment.is_respondent)).all():
            session.add(Submission(round_id=round_.id, enrolment_id=enrolment.id, status=WorkStatus.submitted,
                                   version=1, submitted_at=NOW))  # fmt: skip
        round_.stage = Stage.assignment
        session.commit()
        return round_


def organisations_of(session, round_id):
    """(reviewed organisation id, reviewer organisation id, reviewer participant id) per stored assignment."""
    rows = []
    for assignment in session.exec(select(ReviewAssignment).where(ReviewAssignment.round_id == round_id)).all():
        submission = session.get(Submission, assignment.submission_id)
        reviewed = session.get(Participant, session.get(Enrolment, submission.enrolment_id).participant_id)
        reviewer = session.get(Participant, session.get(Enrolment, assignment.reviewer_enrolment_id).participant_id)
        rows.append((reviewed.organisation_id, reviewer.organisation_id, reviewer.id, submission.id))
    return rows


def test_the_example_round_gets_a_complete_assignment_without_conflicts(engine, example_round):
    with Session(engine) as session:
        round_ = session.get(Round, example_round.id)
        assignment = propose_assignment(session, round_, NOW)
        session.commit()
        rows = organisations_of(session, round_.id)
        braun = session.exec(
            select(Participant.id).where(Participant.email == "christian.braun@stadtwerke-auenburg.example")
        ).one()
        auenburg = session.exec(select(Organisation.id).where(Organisation.name == "Stadt Auenburg")).one()
        declared = {(braun, auenburg)}
    submissions = {row[3] for row in rows}
    assert len(rows) == len(assignment.pairs) == 3 * len(submissions) == 3 * 20
    assert all(reviewed != reviewer for reviewed, reviewer, _, _ in rows)  # never the own organisation
    assert not any((person, reviewed) in declared for reviewed, _, person, _ in rows)  # never a declared conflict
    loads = {}
    for _, _, person, _ in rows:
        loads[person] = loads.get(person, 0) + 1
    assert max(loads.values()) <= 4
    kinds_per_submission = {}
    with Session(engine) as session:
        for _, reviewer_org, _, submission in rows:
            kinds_per_submission.setdefault(submission, []).append(session.get(Organisation, reviewer_org).kind)
    assert all(max(kinds.count(kind) for kind in kinds) <= 2 for kinds in kinds_per_submission.values())


def test_affinity_prefers_shared_expertise_and_peers_of_the_same_kind(engine, example_round):
    with Session(engine) as session:
        instance = round_assignment_problem(session, session.get(Round, example_round.id)).problem
    assert instance.pair_affinity.min() >= 0 and instance.pair_affinity.max() <= 1
    assert instance.pair_affinity.max() > 0.5  # some peers share kind and fields


def test_an_infeasible_round_says_why_and_stores_nothing(engine, example_round):
    with Session(engine) as session:
        round_ = session.get(Round, example_round.id)
        round_.max_reviews_per_reviewer = 1  # 30 reviewers × 1 < 20 submissions × 3
        with pytest.raises(AssignmentInfeasible) as caught:
            propose_assignment(session, round_, NOW)
        session.rollback()
        assert "the reviewers' maximum loads add up to 30 reviews, but 60 are needed" in caught.value.reasons
        assert session.exec(select(ReviewAssignment)).all() == []


def test_same_state_exclusion_and_confirmed_assignments_stay(engine, example_round):
    with Session(engine) as session:
        round_ = session.get(Round, example_round.id)
        round_.exclude_same_state = True
        propose_assignment(session, round_, NOW)
        session.commit()
        for reviewed_org, reviewer_org, _, _ in organisations_of(session, round_.id):
            a, b = session.get(Organisation, reviewed_org), session.get(Organisation, reviewer_org)
            assert a.state is None or a.state != b.state
        for assignment in session.exec(select(ReviewAssignment)).all():
            assignment.confirmed_at = NOW + timedelta(minutes=1)
        session.commit()
        with pytest.raises(ValueError, match="confirmed already"):
            propose_assignment(session, round_, NOW)


def test_a_swap_keeps_every_rule_and_needs_confirming_again(engine, example_round):
    from review_model.round_assignment import SwapRefused, swap_reviewer

    with Session(engine) as session:
        round_ = session.get(Round, example_round.id)
        propose_assignment(session, round_, NOW)
        for assignment in session.exec(select(ReviewAssignment)).all():
            assignment.confirmed_at = NOW
        session.commit()
        everyone = session.exec(select(ReviewAssignment).order_by(ReviewAssignment.id)).all()
        load_of = {}
        for a in everyone:
            load_of[a.reviewer_enrolment_id] = load_of.get(a.reviewer_enrolment_id, 0) + 1
        first = next(a for a in everyone if load_of[a.reviewer_enrolment_id] >= 2)  # may give one away
        reviewer = session.get(Participant, session.get(Enrolment, first.reviewer_enrolment_id).participant_id)
        reviewed_org = session.get(
            Participant,
            session.get(Enrolment, session.get(Submission, first.submission_id).enrolment_id).participant_id,
        ).organisation_id
        colleague = session.exec(select(Participant).where(Participant.organisation_id == reviewed_org)).first()
        with pytest.raises(SwapRefused, match="own organisation: "):
            swap_reviewer(session, round_, first.submission_id, reviewer.email, colleague.email, NOW)
        assigned = {a.reviewer_enrolment_id for a in session.exec(select(ReviewAssignment)).all()
                    if a.submission_id == first.submission_id}  # fmt: skip
        instance = round_assignment_problem(session, round_)
        loads = {}
        for a in session.exec(select(ReviewAssignment)).all():
            loads[a.reviewer_enrolment_id] = loads.get(a.reviewer_enrolment_id, 0) + 1
        s = instance.submission_ids.index(first.submission_id)
        candidates = [
            instance.reviewer_enrolment_ids[r]
            for r in instance.problem.pair_reviewer[instance.problem.pair_submission == s]
        ]
        free = next(e for e in candidates if e not in assigned and loads.get(e, 0) < 4)
        other = session.get(Participant, session.get(Enrolment, free).participant_id)
        swap_reviewer(session, round_, first.submission_id, reviewer.email, other.email, NOW)
        session.commit()
        rows = session.exec(select(ReviewAssignment).where(ReviewAssignment.submission_id == first.submission_id)).all()
        assert free in {a.reviewer_enrolment_id for a in rows}
        assert all(a.confirmed_at is None for a in session.exec(select(ReviewAssignment)).all())


def test_a_stated_preference_raises_the_affinity(engine, example_round):
    """Anna (Kommune; mobility, energy) asked to review Hansestadt Nordhaven (Kommune; society, health)."""
    with Session(engine) as session:
        instance = round_assignment_problem(session, session.get(Round, example_round.id))
        anna = session.exec(
            select(Enrolment).join(Participant).where(Participant.email == "anna.keller@auenburg.example")
        ).one()
    problem = instance.problem
    column = instance.reviewer_enrolment_ids.index(anna.id)

    def affinity(organisation: str) -> float:
        row = problem.submissions.index(organisation)
        mask = (problem.pair_submission == row) & (problem.pair_reviewer == column)
        return float(problem.pair_affinity[mask][0])

    assert affinity("Hansestadt Nordhaven") == pytest.approx(0.25 + 0.15)  # same kind, stated preference
    assert affinity("Stadt Elbstein") == pytest.approx(0.25)  # same kind only


def test_a_submission_can_get_more_reviewers_than_the_round_default(engine, example_round):
    with Session(engine) as session:
        round_ = session.get(Round, example_round.id)
        round_.forbid_mutual_review = False
        propose_assignment(session, round_, NOW, {"Stadt Auenburg": 5})
        session.commit()
        per_org = {}
        for reviewed_org, _, _, _ in organisations_of(session, round_.id):
            name = session.get(Organisation, reviewed_org).name
            per_org[name] = per_org.get(name, 0) + 1
    assert per_org["Stadt Auenburg"] == 5 and per_org["Stadt Elbstein"] == 3
