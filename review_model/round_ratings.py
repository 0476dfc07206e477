"""A consolidated round's ratings, read from the store: every submitted self-assessment beside its peer reviews.

Per-item figures are derived from these on demand rather than stored row by row: the answers no longer
change once the review stage has closed, and a round of ten thousand parties would otherwise keep
hundreds of thousands of rows that say nothing the answers do not. The groups' figures, which replies and
recommendations refer to, are stored as findings.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from review_model.calibration import NO_REVIEWER
from review_model.consolidation import RoundFigures
from review_model.questionnaire import Questionnaire
from review_model.reviews import last_submitted
from review_model.submissions import submitted_answers
from review_model.tables import Review, ReviewAssignment, ReviewVersion


@dataclass(frozen=True)
class RoundRatings:
    """Party `p` of `figures` is the submission `submission_ids[p]`; `reviewers[p, s]` is the enrolment id of
    the reviewer whose ratings fill review slot `s` of `figures.peers` (NO_REVIEWER where none do)."""

    submission_ids: list[int]
    figures: RoundFigures
    reviewers: np.ndarray = field(default_factory=lambda: np.full((0, 1), NO_REVIEWER, dtype=np.int64))

    def party(self, submission_id: int) -> int:
        return self.submission_ids.index(submission_id)


def load_round_ratings(session: Session, round_id: int, questionnaire: Questionnaire) -> RoundRatings:
    """The submitted self-assessments (as last submitted) and the submitted reviews of each (as last submitted,
    after any revision in the consensus stage), by submission id."""
    submissions = submitted_answers(session, round_id)
    peers: dict[int, list[dict[str, Any]]] = {submission_id: [] for submission_id, _ in submissions}
    reviewer_ids: dict[int, list[int]] = {submission_id: [] for submission_id, _ in submissions}
    for submission_id, reviewer, answers in (
        session.connection()
        .execute(
            last_submitted(
                select(
                    ReviewAssignment.submission_id, ReviewAssignment.reviewer_enrolment_id, ReviewVersion.answers
                ).join(Review, col(Review.assignment_id) == ReviewAssignment.id)
            )
            .where(ReviewAssignment.round_id == round_id, Review.is_submitted)
            .order_by(col(Review.id))
        )
        .all()
    ):
        if submission_id in peers:
            peers[submission_id].append(answers)
            reviewer_ids[submission_id].append(reviewer)
    figures = RoundFigures(questionnaire, [answers for _, answers in submissions], list(peers.values()))
    reviewers = np.full(figures.peers.shape[:2], NO_REVIEWER, dtype=np.int64)
    for party, ids in enumerate(reviewer_ids.values()):
        reviewers[party, : len(ids)] = ids
    return RoundRatings([submission_id for submission_id, _ in submissions], figures, reviewers)
