"""Peer reviews: drafts and submissions of a reviewer's ratings of one submission."""

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    ReviewVersion,
    Round,
    Submission,
)
from review_model.vocabulary import Stage, WorkStatus

# The reviewed party's organisation in a query over review assignments (see `confirmed_assignments`).
REVIEWED_ORGANISATION = aliased(Organisation, name="reviewed_organisation")
_REVIEWED_ENROLMENT = aliased(Enrolment, name="reviewed_enrolment")
_REVIEWED_PERSON = aliased(Participant, name="reviewed_person")

_Statement = TypeVar("_Statement", bound=Select[*tuple[Any, ...]])


def confirmed_assignments(statement: _Statement, round_id: int) -> _Statement:
    """`statement` (selecting from review assignments) over the round's confirmed assignments, joined to the
    reviewer (Enrolment, Participant, Organisation), the reviewed organisation (REVIEWED_ORGANISATION) and
    the review if one was begun (Review)."""
    return (
        statement.join(Enrolment, col(Enrolment.id) == ReviewAssignment.reviewer_enrolment_id)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
        .join(_REVIEWED_ENROLMENT, col(_REVIEWED_ENROLMENT.id) == Submission.enrolment_id)
        .join(_REVIEWED_PERSON, col(_REVIEWED_PERSON.id) == _REVIEWED_ENROLMENT.participant_id)
        .join(REVIEWED_ORGANISATION, col(REVIEWED_ORGANISATION.id) == _REVIEWED_PERSON.organisation_id)
        .outerjoin(Review, col(Review.assignment_id) == ReviewAssignment.id)
        .where(col(ReviewAssignment.round_id) == round_id, col(ReviewAssignment.confirmed_at).is_not(None))
    )


class ReviewClosed(Exception):
    """The round does not take this review now (not in the review stage, or past its deadline; in the
    consensus stage, a review never submitted)."""


def accepts_reviews(round_: Round, now: datetime, review: Review | None = None) -> bool:
    """Whether the review may be saved now: in the review stage until its deadline, and in the consensus
    stage until its deadline for a review submitted before (the reviewer revises their ratings)."""
    if round_.stage is Stage.review:
        return now < round_.review_deadline
    if round_.stage is Stage.consensus and round_.consensus_deadline is not None:
        return review is not None and review.is_submitted and now < round_.consensus_deadline
    return False


def find_review(session: Session, assignment_id: int, *, for_update: bool = False) -> Review | None:
    statement = select(Review).where(Review.assignment_id == assignment_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def save_review(
    session: Session,
    round_: Round,
    assignment: ReviewAssignment,
    answers: dict[str, Any],
    now: datetime,
    *,
    submit: bool,
) -> Review:
    """Keep a reviewer's ratings as a draft, or submit them (again, until the deadline; in the consensus stage,
    revised). Every submission is kept as a ReviewVersion; the review's answers are the last."""
    assert round_.id is not None and assignment.id is not None
    review = find_review(session, assignment.id, for_update=True)
    if not accepts_reviews(round_, now, review):
        raise ReviewClosed
    if review is None:
        review = Review(round_id=round_.id, assignment_id=assignment.id, created_at=now)
        session.add(review)
    review.answers = answers
    review.updated_at = now
    if submit:
        review.version += 1
        review.status = WorkStatus.submitted
        review.submitted_at = now
    session.flush()
    if submit:
        assert review.id is not None
        session.add(ReviewVersion(review_id=review.id, version=review.version, answers=answers, submitted_at=now))
        session.flush()
    return review


def last_submitted(statement: _Statement) -> _Statement:
    """`statement` (over reviews) joined to each review's last submitted version (ReviewVersion): the ratings
    that count, whatever draft the reviewer saved since."""
    return statement.join(
        ReviewVersion, (col(ReviewVersion.review_id) == Review.id) & (col(ReviewVersion.version) == Review.version)
    )
