"""Self-assessments: saving drafts, submitting (every submitted version kept), and what was last submitted."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from review_model.stage_rules import accepts_submissions, is_late
from review_model.tables import Enrolment, Round, Submission, SubmissionVersion
from review_model.vocabulary import WorkStatus


class SubmissionClosed(Exception):
    """The round no longer takes self-assessments (the deadline and any grace period have passed)."""


def find_submission(session: Session, enrolment_id: int, *, for_update: bool = False) -> Submission | None:
    """The respondent's self-assessment, if one was started; locked for the transaction when `for_update`."""
    statement = select(Submission).where(Submission.enrolment_id == enrolment_id)
    if for_update:
        statement = statement.with_for_update()
    return session.exec(statement).first()


def save_draft(
    session: Session, round_: Round, enrolment: Enrolment, answers: dict[str, Any], now: datetime
) -> Submission:
    """Keep the answers as the working copy. A submitted self-assessment stays submitted; the changes wait to
    be submitted as a new version."""
    if not accepts_submissions(round_, now):
        raise SubmissionClosed
    submission = _working_copy(session, round_, enrolment, now)
    submission.answers = answers
    submission.updated_at = now
    session.flush()
    return submission


def submit_answers(
    session: Session, round_: Round, enrolment: Enrolment, answers: dict[str, Any], now: datetime
) -> Submission:
    """Submit the answers as the next version; marked late when it comes in the grace period."""
    if not accepts_submissions(round_, now):
        raise SubmissionClosed
    submission = _working_copy(session, round_, enrolment, now)
    submission.answers = answers
    submission.version += 1
    submission.status = WorkStatus.submitted
    submission.submitted_at = submission.updated_at = now
    submission.late = is_late(round_, now)
    assert submission.id is not None  # the working copy is stored
    session.add(
        SubmissionVersion(submission_id=submission.id, version=submission.version, answers=answers, submitted_at=now)
    )
    session.flush()
    return submission


def _working_copy(session: Session, round_: Round, enrolment: Enrolment, now: datetime) -> Submission:
    assert round_.id is not None and enrolment.id is not None
    submission = find_submission(session, enrolment.id, for_update=True)
    if submission is None:
        submission = Submission(round_id=round_.id, enrolment_id=enrolment.id, created_at=now)
        session.add(submission)
        session.flush()
    return submission


def latest_version(session: Session, submission_id: int) -> SubmissionVersion | None:
    """The answers as last submitted."""
    return session.exec(
        select(SubmissionVersion)
        .where(SubmissionVersion.submission_id == submission_id)
        .order_by(col(SubmissionVersion.version).desc())
    ).first()


def submitted_answers(session: Session, round_id: int) -> list[tuple[int, dict[str, Any]]]:
    """Every submitted self-assessment of the round as last submitted: (submission id, answers), by id."""
    return [
        (submission_id, answers)
        for submission_id, answers in session.connection()
        .execute(
            select(Submission.id, SubmissionVersion.answers)
            .join(SubmissionVersion, col(SubmissionVersion.submission_id) == Submission.id)
            .where(
                Submission.round_id == round_id,
                Submission.is_submitted,
                SubmissionVersion.version == Submission.version,
            )
            .order_by(col(Submission.id))
        )
        .all()
    ]


def has_unsubmitted_changes(session: Session, submission: Submission) -> bool:
    """Whether the working copy differs from the last submitted version."""
    if not submission.is_submitted:
        return bool(submission.answers)
    assert submission.id is not None
    latest = latest_version(session, submission.id)
    return latest is None or latest.answers != submission.answers


def record_first_view(enrolment: Enrolment, now: datetime) -> bool:
    """Note when the participant first opened their link (the only thing a GET may change)."""
    if enrolment.first_opened_at is None:
        enrolment.first_opened_at = now
        return True
    return False
