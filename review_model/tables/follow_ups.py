"""The follow-up: what a reviewed party reports about each recommendation of the round before that addressed it."""

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from review_model.tables.base import created_at_field, enum_column, timestamp_field
from review_model.vocabulary import FollowUpStatus


class FollowUpReport(SQLModel, table=True):
    """A party's statement on one earlier recommendation, kept like its answers: version 0 is the working copy
    the form shows (saved with each draft), version n the statement as submitted with the self-assessment's
    version n, never changed afterwards."""

    __tablename__ = "follow_up_reports"
    __table_args__ = (UniqueConstraint("submission_id", "recommendation_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    # A recommendation of the previous round, published in its report.
    recommendation_id: int = Field(foreign_key="recommendations.id", index=True)
    version: int = 0
    # None while a draft leaves it open; every submitted version has one.
    status: FollowUpStatus | None = Field(default=None, sa_column=enum_column(FollowUpStatus, nullable=True))
    # Required when the recommendation is not pursued, optional otherwise.
    reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
