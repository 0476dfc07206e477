"""Who reviews which submission, and the reviews they write."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.hybrid import hybrid_property
from sqlmodel import Field, SQLModel, UniqueConstraint
from sqlmodel._compat import SQLModelConfig

from review_model.tables.base import created_at_field, enum_column, json_field, timestamp_field
from review_model.vocabulary import AssignmentOrigin, WorkStatus


class ReviewAssignment(SQLModel, table=True):
    """A reviewer (an enrolment with the reviewer role) assigned to one submission."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_enrolment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    submission_id: int = Field(foreign_key="submissions.id")
    reviewer_enrolment_id: int = Field(foreign_key="enrolments.id", index=True)
    affinity: float = 0.0
    origin: AssignmentOrigin = Field(default=AssignmentOrigin.solver, sa_column=enum_column(AssignmentOrigin))
    confirmed_at: datetime | None = timestamp_field()
    # The reviewer who writes the party's joint assessment in the consensus stage (one per submission).
    is_lead: bool = False
    created_at: datetime = created_at_field()


class Review(SQLModel, table=True):
    """A peer review: the reviewer's ratings of the same items the reviewed party rated."""

    __tablename__ = "reviews"
    model_config = SQLModelConfig(ignored_types=(hybrid_property,))

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    assignment_id: int = Field(foreign_key="review_assignments.id", unique=True)
    status: WorkStatus = Field(default=WorkStatus.draft, sa_column=enum_column(WorkStatus))
    answers: dict[str, Any] = json_field()
    version: int = 0
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    submitted_at: datetime | None = timestamp_field()

    @hybrid_property
    def is_submitted(self) -> bool:
        """Submitted at least once (a saved draft is not); in a query, the same test on the status column."""
        return self.status == WorkStatus.submitted
