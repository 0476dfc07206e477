"""Peer reviews: drafts and submissions of a reviewer's ratings of one submission."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from review_model.tables import Review, ReviewAssignment, Round
from review_model.vocabulary import Stage, WorkStatus


class ReviewClosed(Exception):
    """The round does not take reviews now (not in the review stage, or past its deadline)."""


def accepts_reviews(round_: Round, now: datetime) -> bool:
    return round_.stage is Stage.review and now < round_.review_deadline


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
    """Keep a reviewer's ratings as a draft, or submit them (again, until the deadline)."""
    if not accepts_reviews(round_, now):
        raise ReviewClosed
    review = find_review(session, assignment.id, for_update=True)
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
    return review
