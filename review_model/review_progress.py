"""How the peer reviews of a round stand, per reviewed party and per reviewer, for the console's review page:
who is behind, who is late, who was reminded when. Two aggregate queries over the confirmed assignments,
one by reviewer, one by reviewed organisation, read as Core rows.

An open review is one not submitted whose reviewer takes part: a withdrawn reviewer's open review is not due
(review_model.withdrawal), as the stage rules count it. A review is late once the review deadline passed
and it is still open.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, func, or_, select
from sqlmodel import Session

from review_model.rounds import get_round
from review_model.tables import Enrolment, Organisation, Participant, Review, ReviewAssignment, Submission, table_of
from review_model.vocabulary import WorkStatus


@dataclass(frozen=True, slots=True)
class PartyReviews:
    """One reviewed organisation: its reviewers assigned, the reviews submitted, open and late."""

    organisation_id: int
    organisation: str
    assigned: int
    submitted: int
    open: int
    late: int


@dataclass(frozen=True, slots=True)
class ReviewerWorkload:
    """One reviewer: reviews assigned, submitted, open and late, the reminders to review they had and when
    they were last reminded (of anything in the round), whether their address bounced, they were withdrawn,
    or they stopped their reminders."""

    participant_id: int
    enrolment_id: int
    name: str
    organisation: str
    assigned: int
    submitted: int
    open: int
    late: int
    reminders: int
    last_reminded_at: datetime | None
    bounced: bool
    withdrawn: bool
    stopped_reminders: bool = False


@dataclass(frozen=True)
class ReviewProgress:
    """The round's reviews: per party (by organisation name) and per reviewer (by name), the late reviewers
    (those `remind all late ones` reaches: late, taking part, address not bounced, reminders not stopped), and
    the totals."""

    deadline: datetime
    deadline_passed: bool
    parties: list[PartyReviews]
    reviewers: list[ReviewerWorkload]
    late_reviewers: list[ReviewerWorkload]
    assigned: int
    submitted: int
    open: int
    late: int


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)


def _confirmed() -> Select[int, int]:
    """Counts over the round's confirmed assignments and their reviews (assigned, submitted), to be grouped."""
    assignments, reviews = table_of(ReviewAssignment), table_of(Review)
    return select(
        func.count().label("assigned"), _count(reviews.c.status == WorkStatus.submitted.value).label("submitted")
    ).select_from(assignments.outerjoin(reviews, reviews.c.assignment_id == assignments.c.id))


def reviewer_workloads(session: Session, round_id: int, now: datetime) -> list[ReviewerWorkload]:
    """Every reviewer with confirmed reviews in the round, by name: their reviews assigned, submitted, open
    and late at `now`, their reminders, whether their address bounced, they were withdrawn or they stopped
    their reminders."""
    passed = now >= get_round(session, round_id).review_deadline
    assignments, enrolments = table_of(ReviewAssignment), table_of(Enrolment)
    people, organisations = table_of(Participant), table_of(Organisation)
    # Grouped on the assignments' own columns first, then named: 10,000 names are joined to 10,000 grouped
    # rows, not to every assignment.
    by_reviewer = (
        _confirmed()
        .add_columns(assignments.c.reviewer_enrolment_id)
        .where(assignments.c.round_id == round_id, assignments.c.confirmed_at.is_not(None))
        .group_by(assignments.c.reviewer_enrolment_id)
        .subquery()
    )
    rows = session.connection().execute(
        select(
            people.c.id, enrolments.c.id, people.c.name, organisations.c.name, by_reviewer.c.assigned,
            by_reviewer.c.submitted, enrolments.c.review_reminders_sent, enrolments.c.last_reminded_at,
            enrolments.c.bounced_at.is_not(None), enrolments.c.withdrawn_at.is_not(None),
            enrolments.c.opted_out_at.is_not(None),
        ).select_from(
            by_reviewer.join(enrolments, enrolments.c.id == by_reviewer.c.reviewer_enrolment_id)
            .join(people, people.c.id == enrolments.c.participant_id)
            .join(organisations, organisations.c.id == people.c.organisation_id)
        )
    )  # fmt: skip
    reviewers = []
    for pid, eid, name, organisation, n, done, reminders, reminded, bounced, withdrawn, stopped in rows:
        still_open = 0 if withdrawn else n - done  # a withdrawn reviewer's open reviews are not due
        late = still_open if passed else 0
        reviewers.append(ReviewerWorkload(pid, eid, name, organisation, n, done, still_open, late,
                                          reminders, reminded, bounced, withdrawn, stopped))  # fmt: skip
    reviewers.sort(key=lambda reviewer: (reviewer.name, reviewer.enrolment_id))
    return reviewers


def party_reviews(session: Session, round_id: int, now: datetime) -> list[PartyReviews]:
    """Every reviewed organisation of the round, by name: its confirmed reviewers, the reviews submitted,
    open and late at `now`."""
    passed = now >= get_round(session, round_id).review_deadline
    assignments, reviews, enrolments = table_of(ReviewAssignment), table_of(Review), table_of(Enrolment)
    people, organisations, submissions = table_of(Participant), table_of(Organisation), table_of(Submission)
    reviewer = enrolments.alias("reviewer")
    still_open = and_(or_(reviews.c.status.is_(None), reviews.c.status != WorkStatus.submitted.value),
                      reviewer.c.withdrawn_at.is_(None))  # fmt: skip
    by_submission = (
        _confirmed()
        .add_columns(assignments.c.submission_id, _count(still_open).label("open"))
        .join_from(assignments, reviewer, reviewer.c.id == assignments.c.reviewer_enrolment_id)
        .where(assignments.c.round_id == round_id, assignments.c.confirmed_at.is_not(None))
        .group_by(assignments.c.submission_id)
        .subquery()
    )
    rows = session.connection().execute(
        select(
            organisations.c.id, organisations.c.name, func.sum(by_submission.c.assigned),
            func.sum(by_submission.c.submitted), func.sum(by_submission.c.open),
        ).select_from(
            by_submission.join(submissions, submissions.c.id == by_submission.c.submission_id)
            .join(enrolments, enrolments.c.id == submissions.c.enrolment_id)
            .join(people, people.c.id == enrolments.c.participant_id)
            .join(organisations, organisations.c.id == people.c.organisation_id)
        ).group_by(organisations.c.id, organisations.c.name)
    )  # fmt: skip
    return sorted(
        (PartyReviews(org_id, name, int(n), int(done), int(due), int(due) if passed else 0)
         for org_id, name, n, done, due in rows),
        key=lambda party: (party.organisation, party.organisation_id),
    )  # fmt: skip


def review_progress(session: Session, round_id: int, now: datetime) -> ReviewProgress:
    """Where the round's confirmed reviews stand at `now`, per reviewed party and per reviewer (a page that
    shows one of the two lists asks `party_reviews` or `reviewer_workloads` alone)."""
    deadline = get_round(session, round_id).review_deadline
    parties = party_reviews(session, round_id, now)
    reviewers = reviewer_workloads(session, round_id, now)
    return ReviewProgress(
        deadline=deadline,
        deadline_passed=now >= deadline,
        parties=parties,
        reviewers=reviewers,
        late_reviewers=[
            r for r in reviewers if r.late and not r.bounced and not r.withdrawn and not r.stopped_reminders
        ],
        assigned=sum(party.assigned for party in parties),
        submitted=sum(party.submitted for party in parties),
        open=sum(party.open for party in parties),
        late=sum(party.late for party in parties),
    )
