"""A round's reviewers' calibration as the coordinator sees it: each reviewer by name, per scale, with their
leniency, agreement and the ratings these rest on; the flagged first. Read from the submitted reviews at any
stage, so a coordinator can look while reviews are still coming in. The console and `spr reviews calibration`
show the same rows.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from review_model.calibration import (
    LENIENCY_LIMIT,
    MIN_COMPARED,
    Normalisation,
    ReviewerCalibration,
    calibrate,
    scale_ranges,
)
from review_model.questionnaire import Questionnaire
from review_model.round_ratings import load_round_ratings
from review_model.rounds import get_round
from review_model.tables import Enrolment, Organisation, Participant


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One reviewer on one scale, named (None for an erased person) with their organisation."""

    name: str | None
    organisation: str
    figures: ReviewerCalibration


@dataclass(frozen=True)
class CalibrationOverview:
    """The round's calibration for the coordinator, and the rule that flags a reviewer."""

    normalised: bool
    rows: list[CalibrationRow]
    min_compared: int = MIN_COMPARED
    leniency_limit: float = LENIENCY_LIMIT

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.figures.flagged)


def calibration_overview(session: Session, round_id: int) -> CalibrationOverview:
    """Every reviewer with a compared rating, per scale: flagged first, then by how far their leniency lies
    from zero, then by name."""
    round_ = get_round(session, round_id)
    questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    ratings = load_round_ratings(session, round_id, questionnaire)
    calibration = calibrate(ratings.figures, ratings.reviewers, scale_ranges(questionnaire))
    ids = {entry.reviewer for entry in calibration.reviewers}
    names: dict[int, tuple[str | None, str]] = {}
    if ids:
        for enrolment_id, name, erased_at, organisation in session.connection().execute(
            select(Enrolment.id, Participant.name, Participant.erased_at, Organisation.name)
            .join(Participant, col(Participant.id) == Enrolment.participant_id)
            .join(Organisation, col(Organisation.id) == Participant.organisation_id)
            .where(col(Enrolment.id).in_(ids))
        ):
            names[enrolment_id] = (None if erased_at is not None else name, organisation)
    rows = [CalibrationRow(*names.get(entry.reviewer, (None, "")), entry) for entry in calibration.reviewers]
    rows.sort(key=lambda row: (not row.figures.flagged, -abs(row.figures.leniency or 0), row.name or "",
                               row.figures.scale))  # fmt: skip
    return CalibrationOverview(round_.normalise == Normalisation.leniency, rows)
