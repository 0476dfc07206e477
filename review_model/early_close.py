"""Closing a stage before its deadline: who it leaves out, and when it was closed (for the forms to say so)."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from review_model.reviews import REVIEWED_ORGANISATION, confirmed_assignments
from review_model.tables import (
    AuditEvent,
    Enrolment,
    Organisation,
    Participant,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.transitions import closing_events
from review_model.vocabulary import Stage
from review_model.withdrawal import taking_part


@dataclass(frozen=True)
class LeftOut:
    """Someone whose answer a stage closed now would never take."""

    name: str
    organisation: str
    has_draft: bool
    reviewing: str | None = None  # in the review stage: the organisation whose review is missing


def left_out_by_closing(session: Session, round_: Round) -> list[LeftOut]:
    """Everyone who has not submitted what the round's current stage waits for: respondents in submission
    (invited; those who stopped their reminders too, as the stage still takes their answers), reviewers with a
    confirmed review not submitted in review; nobody otherwise. Nobody withdrawn is waited for, so nobody
    withdrawn is left out."""
    if round_.stage in (Stage.invitation, Stage.submission):
        rows = session.exec(
            select(Participant.name, Organisation.name, Submission.answers)
            .select_from(Enrolment)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .outerjoin(Submission, col(Submission.enrolment_id) == Enrolment.id)
            .where(Enrolment.round_id == round_.id, col(Enrolment.is_respondent),
                   col(Enrolment.invited_at).is_not(None), taking_part())
            .where((col(Submission.status).is_(None)) | ~Submission.is_submitted)
            .order_by(Organisation.name, Participant.name)
        ).all()  # fmt: skip
        return [LeftOut(name, organisation, bool(answers)) for name, organisation, answers in rows]
    if round_.stage is Stage.review:
        assert round_.id is not None
        columns = select(Participant.name, Organisation.name, Review.answers, REVIEWED_ORGANISATION.name)
        reviews = session.exec(
            confirmed_assignments(columns.select_from(ReviewAssignment), round_.id)
            .where((col(Review.status).is_(None)) | ~Review.is_submitted, taking_part())
            .order_by(Organisation.name, Participant.name, REVIEWED_ORGANISATION.name)
        ).all()
        return [LeftOut(name, org, bool(answers), reviewing) for name, org, answers, reviewing in reviews]
    return []


def closed_early_at(session: Session, round_: Round, stage: Stage, deadline: datetime) -> datetime | None:
    """When `stage` was closed, if that was before `deadline` (the deadline the participants were given)."""
    closed = session.exec(
        select(AuditEvent.at)
        .where(AuditEvent.round_id == round_.id, col(AuditEvent.action).in_(closing_events(stage)))
        .order_by(col(AuditEvent.at).desc())
        .limit(1)
    ).first()
    return closed if closed is not None and closed < deadline else None
