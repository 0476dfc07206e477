"""How a reviewer is named where their name may not stand: "Gutachter:in 2" or "Reviewer 2" of the party
they reviewed. The number is the reviewer's place among the party's confirmed reviewers, in the order they
were assigned, so it stays the same in every page, export and edition of the report."""

from collections.abc import Collection

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from config.translations import N_, translate
from review_model.tables import ReviewAssignment

REVIEWER = N_("Reviewer {number}")


def reviewer_numbers(session: Session, round_id: int) -> dict[int, int]:
    """Each confirmed assignment of the round (by id) with its reviewer's number for the party reviewed."""
    return _numbered(session, col(ReviewAssignment.round_id) == round_id)


def reviewer_numbers_of(session: Session, submission_ids: Collection[int]) -> dict[int, int]:
    """`reviewer_numbers` for these parties alone (a page about a few parties need not number a whole round)."""
    return _numbered(session, col(ReviewAssignment.submission_id).in_(sorted(submission_ids)))


def _numbered(session: Session, which: ColumnElement[bool]) -> dict[int, int]:
    numbers: dict[int, int] = {}
    counted: dict[int, int] = {}
    for assignment_id, submission_id in session.exec(
        select(ReviewAssignment.id, ReviewAssignment.submission_id)
        .where(which, col(ReviewAssignment.confirmed_at).is_not(None))
        .order_by(col(ReviewAssignment.submission_id), col(ReviewAssignment.id))
    ).all():
        assert assignment_id is not None
        counted[submission_id] = counted.get(submission_id, 0) + 1
        numbers[assignment_id] = counted[submission_id]
    return numbers


def reviewer_pseudonym(language: str, number: int) -> str:
    """ "Reviewer 2" in `language`."""
    return translate(language, "review_model", REVIEWER, number=number)
