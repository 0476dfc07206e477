"""How many people of a round are where: the coordinator's status at a glance."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, case, cast, func, or_
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import Session, col

from review_model.tables import Enrolment, Submission
from review_model.vocabulary import WorkStatus
from review_model.wide_select import select_columns
from review_model.withdrawal import taking_part


@dataclass(frozen=True)
class Participation:
    respondents: int
    invited: int
    opened: int
    drafts: int
    submitted: int
    bounced: int
    reminders: int


def participation(session: Session, round_id: int) -> Participation:
    """Counts over the round's respondents, in one query; a withdrawn respondent counts only where their
    self-assessment was submitted (see review_model.withdrawal)."""

    def flag(condition: ColumnElement[bool] | QueryableAttribute[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(cast(case((condition, 1), else_=0), Integer)), 0)

    row = session.exec(
        select_columns(
            func.count(),
            flag(col(Enrolment.invited_at).is_not(None)),
            flag(col(Enrolment.first_opened_at).is_not(None)),
            flag(col(Submission.status) == WorkStatus.draft),
            flag(Submission.is_submitted),
            flag(col(Enrolment.bounced_at).is_not(None)),
            func.coalesce(func.sum(Enrolment.reminders_sent), 0),
        )
        .select_from(Enrolment)
        .outerjoin(Submission, col(Submission.enrolment_id) == Enrolment.id)
        .where(Enrolment.round_id == round_id, col(Enrolment.is_respondent))
        .where(or_(taking_part(), Submission.is_submitted))
    ).one()
    return Participation(*(int(value) for value in row))
