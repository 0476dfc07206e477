"""One person of a round, as the actions on them read it: their enrolment, their record and their organisation."""

from sqlmodel import Session, col, select

from review_model.tables import Enrolment, Organisation, Participant


def person_in_round(
    session: Session, round_id: int | None, participant_id: int
) -> tuple[Enrolment, Participant, Organisation] | None:
    """The person with this id in the round, with their organisation; None when they take no part in it."""
    return session.exec(
        select(Enrolment, Participant, Organisation)
        .join(Participant, col(Participant.id) == Enrolment.participant_id)
        .join(Organisation, col(Organisation.id) == Participant.organisation_id)
        .where(col(Enrolment.round_id) == round_id, col(Enrolment.participant_id) == participant_id)
    ).first()
