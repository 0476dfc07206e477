"""Questions during the review put straight into the store: each confirmed reviewer of a round asks their
party one question about an item and, where `answered`, the party answers it."""

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model import clock
from review_model.questionnaire import Questionnaire
from review_model.rounds import get_round
from review_model.tables import ReviewAssignment, ReviewQuestion, Submission


def ask_every_party(engine: Engine, round_id: int, *, answered: bool = True) -> int:
    """One question per confirmed assignment, about the questionnaire's first item, asked and answered now;
    returns how many. Written as rows, whatever the round's stage: a report's or a sheet's test needs the
    questions a review stage left behind."""
    now: datetime = clock.now()
    with Session(engine) as session:
        round_ = get_round(session, round_id)
        first_item = next(Questionnaire.model_validate(round_.questionnaire_snapshot).items())[1].id
        assignments = session.exec(
            select(ReviewAssignment, Submission)
            .join(Submission, col(Submission.id) == ReviewAssignment.submission_id)
            .where(ReviewAssignment.round_id == round_id, col(ReviewAssignment.confirmed_at).is_not(None))
            .order_by(col(ReviewAssignment.id))
        ).all()
        for assignment, submission in assignments:
            assert assignment.id is not None and submission.id is not None
            session.add(
                ReviewQuestion(
                    round_id=round_id, submission_id=submission.id, assignment_id=assignment.id, item_id=first_item,
                    text=f"Frage {assignment.id}?", asked_at=now, answer="Antwort." if answered else None,
                    answered_at=now if answered else None,
                    answered_by_enrolment_id=submission.enrolment_id if answered else None,
                )
            )  # fmt: skip
        session.commit()
        return len(assignments)
