"""Self-assessments: the working copy of each respondent's answers, and every version they submitted."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.hybrid import hybrid_property
from sqlmodel import Field, Index, SQLModel, UniqueConstraint
from sqlmodel._compat import SQLModelConfig

from review_model.tables.base import created_at_field, enum_column, json_field, timestamp_field
from review_model.vocabulary import WorkStatus


class Submission(SQLModel, table=True):
    """A respondent's self-assessment in a round. `answers` is what the form shows now."""

    __tablename__ = "submissions"
    __table_args__ = (Index(None, "round_id", "status"),)
    model_config = SQLModelConfig(ignored_types=(hybrid_property,))

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id")
    enrolment_id: int = Field(foreign_key="enrolments.id", unique=True)
    status: WorkStatus = Field(default=WorkStatus.draft, sa_column=enum_column(WorkStatus))
    answers: dict[str, Any] = json_field()
    # Number of times it was submitted; each submission is kept in SubmissionVersion.
    version: int = 0
    late: bool = False
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    submitted_at: datetime | None = timestamp_field()
    # When the reviewed party sent its reply to the draft findings (right of reply); None while it has not.
    reply_submitted_at: datetime | None = timestamp_field()

    @hybrid_property
    def is_submitted(self) -> bool:
        """Submitted at least once (a saved draft is not); in a query, the same test on the status column."""
        return self.status == WorkStatus.submitted


class SubmissionVersion(SQLModel, table=True):
    """The answers exactly as submitted, once per submission; never changed afterwards."""

    __tablename__ = "submission_versions"
    __table_args__ = (UniqueConstraint("submission_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id")
    version: int
    answers: dict[str, Any] = json_field()
    submitted_at: datetime = created_at_field()
