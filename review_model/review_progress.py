"""How the peer reviews of a round stand, per reviewed party and per reviewer, for the console's review page:
who is behind, who is late, who was reminded when. Two aggregate queries over the confirmed assignments
(`reviews.confirmed_assignments`), one grouped by reviewed organisation, one by reviewer.

An open review is one not submitted whose reviewer takes part: a withdrawn reviewer's open review is not due
(review_model.withdrawal), as the stage rules count it. A review is late once the review deadline passed
and it is still open.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, or_
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import Session, col

from review_model.reviews import REVIEWED_ORGANISATION, confirmed_assignments
from review_model.rounds import get_round
from review_model.tables import Enrolment, Organisation, Participant, Review, ReviewAssignment
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part


@dataclass(frozen=True)
class PartyReviews:
    """One reviewed organisation: its reviewers assigned, the reviews submitted, open and late."""

    organisation_id: int
    organisation: str
    assigned: int
    submitted: int
    open: int
    late: int


@dataclass(frozen=True)
class ReviewerWorkload:
    """One reviewer: reviews assigned, submitted, open and late, the reminders to review they had and when
    they were last reminded (of anything in the round), whether their address bounced or they were withdrawn."""

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


@dataclass(frozen=True)
class ReviewProgress:
    """The round's reviews: per party (by organisation name) and per reviewer (by name), the late reviewers
    (those `remind all late ones` reaches: late, taking part, address not bounced), and the totals."""

    deadline: datetime
    deadline_passed: bool
    parties: list[PartyReviews]
    reviewers: list[ReviewerWorkload]
    late_reviewers: list[ReviewerWorkload]
    assigned: int
    submitted: int
    open: int
    late: int


def _count(condition: ColumnElement[bool] | QueryableAttribute[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)


def review_progress(session: Session, round_id: int, now: datetime) -> ReviewProgress:
    """Where the round's confirmed reviews stand at `now`, per reviewed party and per reviewer."""
    round_ = get_round(session, round_id)
    deadline = round_.review_deadline
    passed = now >= deadline
    submitted = Review.is_submitted
    still_open = and_(or_(col(Review.status).is_(None), ~Review.is_submitted), taking_part())
    per_party = session.exec(
        confirmed_assignments(
            select_columns(
                REVIEWED_ORGANISATION.id, REVIEWED_ORGANISATION.name, func.count(), _count(submitted),
                _count(still_open),
            ).select_from(ReviewAssignment),
            round_id,
        ).group_by(col(REVIEWED_ORGANISATION.id), col(REVIEWED_ORGANISATION.name))
    ).all()  # fmt: skip
    parties = sorted(
        (PartyReviews(org_id, name, int(n), int(done), int(due), int(due) if passed else 0)
         for org_id, name, n, done, due in per_party),
        key=lambda party: (party.organisation, party.organisation_id),
    )  # fmt: skip
    per_reviewer = session.exec(
        confirmed_assignments(
            select_columns(
                Participant.id, Enrolment.id, Participant.name, Organisation.name, func.count(), _count(submitted),
                _count(still_open), Enrolment.review_reminders_sent, Enrolment.last_reminded_at,
                col(Enrolment.bounced_at).is_not(None), col(Enrolment.withdrawn_at).is_not(None),
            ).select_from(ReviewAssignment),
            round_id,
        ).group_by(
            col(Participant.id), col(Enrolment.id), col(Participant.name), col(Organisation.name),
            col(Enrolment.review_reminders_sent), col(Enrolment.last_reminded_at), col(Enrolment.bounced_at),
            col(Enrolment.withdrawn_at),
        )
    ).all()  # fmt: skip
    reviewers = sorted(
        (ReviewerWorkload(pid, eid, name, organisation, int(n), int(done), int(due), int(due) if passed else 0,
                          int(reminders), reminded, bool(bounced), bool(withdrawn))
         for pid, eid, name, organisation, n, done, due, reminders, reminded, bounced, withdrawn in per_reviewer),
        key=lambda reviewer: (reviewer.name, reviewer.enrolment_id),
    )  # fmt: skip
    return ReviewProgress(
        deadline=deadline,
        deadline_passed=passed,
        parties=parties,
        reviewers=reviewers,
        late_reviewers=[r for r in reviewers if r.late and not r.bounced and not r.withdrawn],
        assigned=sum(party.assigned for party in parties),
        submitted=sum(party.submitted for party in parties),
        open=sum(party.open for party in parties),
        late=sum(party.late for party in parties),
    )
