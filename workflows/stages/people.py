"""Reading the people of a round in batches, with what messages to them need."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from notifications.addressing import recipient_for
from notifications.compose import Recipient
from review_model.tables import Enrolment, Organisation, Participant, Submission


@dataclass(frozen=True)
class Respondent:
    """An enrolled respondent, with their contact details and where their self-assessment stands."""

    enrolment: Enrolment
    recipient: Recipient
    submission: Submission | None

    @property
    def enrolment_id(self) -> int:
        """The enrolment's id; it was read from the store, so it has one."""
        assert self.enrolment.id is not None
        return self.enrolment.id

    @property
    def submission_id(self) -> int | None:
        """The self-assessment's id; None while there is none."""
        return None if self.submission is None else self.submission.id

    @property
    def submitted(self) -> bool:
        """Whether the self-assessment was submitted."""
        return self.submission is not None and self.submission.is_submitted


def respondents(session: Session, round_id: int, enrolment_ids: list[int] | None = None) -> list[Respondent]:
    """The round's respondents (or the given ones), in enrolment order, in one query."""
    statement = (
        select(Enrolment, Participant, Organisation, Submission)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .outerjoin(Submission, col(Submission.enrolment_id) == Enrolment.id)
        .where(Enrolment.round_id == round_id, col(Enrolment.is_respondent))
        .order_by(col(Enrolment.id))
    )
    if enrolment_ids is not None:
        statement = statement.where(col(Enrolment.id).in_(enrolment_ids))
    return [
        Respondent(
            enrolment,
            recipient_for(person, organisation),
            submission,
        )
        for enrolment, person, organisation, submission in session.exec(statement).all()
    ]


def batches(ids: list[int], size: int) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]
