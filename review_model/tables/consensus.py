"""The consensus stage: every version of a review, reviewers' comments on disputed items, the lead reviewer's
joint assessment of a party and the others' endorsements of it."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel, UniqueConstraint

from review_model.tables.base import created_at_field, json_field, timestamp_field

# Lengths a reviewer may write; the forms say so and refuse more.
COMMENT_LENGTH = 2000
ASSESSMENT_LENGTH = 4000
RECOMMENDATION_LENGTH = 1000
MAX_RECOMMENDATIONS = 3


class ReviewVersion(SQLModel, table=True):
    """A review's ratings exactly as submitted, once per submission (the first and every revision during
    consensus); never changed afterwards. The review itself holds the last."""

    __tablename__ = "review_versions"
    __table_args__ = (UniqueConstraint("review_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id")
    version: int
    answers: dict[str, Any] = json_field()
    submitted_at: datetime = created_at_field()


class DisputedItemComment(SQLModel, table=True):
    """A reviewer's comment on an item of a party where the reviewers disagree (one per reviewer and item,
    changeable until the consensus deadline)."""

    __tablename__ = "disputed_item_comments"
    __table_args__ = (UniqueConstraint("assignment_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    assignment_id: int = Field(foreign_key="review_assignments.id")
    item_id: str = Field(max_length=100)
    text: str = Field(max_length=COMMENT_LENGTH)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class JointAssessment(SQLModel, table=True):
    """The lead reviewer's joint assessment of one party: strengths, weaknesses and up to three
    recommendations to the party itself; a draft until submitted."""

    __tablename__ = "joint_assessments"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    submission_id: int = Field(foreign_key="submissions.id", unique=True)
    # The lead's assignment when it was last written (the lead may change; the text stays the party's).
    written_by_assignment_id: int = Field(foreign_key="review_assignments.id")
    strengths: str = Field(default="", max_length=ASSESSMENT_LENGTH)
    weaknesses: str = Field(default="", max_length=ASSESSMENT_LENGTH)
    recommendations: list[str] = json_field(list)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    submitted_at: datetime | None = timestamp_field()


class AssessmentEndorsement(SQLModel, table=True):
    """A co-reviewer's answer to the joint assessment: endorsed or not, with an optional comment (one per
    reviewer, changeable until the consensus deadline)."""

    __tablename__ = "assessment_endorsements"
    __table_args__ = (UniqueConstraint("assessment_id", "assignment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="joint_assessments.id")
    assignment_id: int = Field(foreign_key="review_assignments.id")
    endorses: bool = True
    comment: str = Field(default="", max_length=COMMENT_LENGTH)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
