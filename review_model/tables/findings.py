"""What consolidation produces: findings, the recommendations drafted from them, and the parties' replies."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, Index, LargeBinary, SQLModel, UniqueConstraint

from review_model.tables.base import created_at_field, enum_column, json_field, timestamp_field
from review_model.vocabulary import ActionLevel, FindingScope, RecommendationStatus


class Finding(SQLModel, table=True):
    """Consolidated ratings of one item or group of items, for one reviewed party or the whole round."""

    __tablename__ = "findings"
    __table_args__ = (Index(None, "round_id", "submission_id", "scope", "key", "scale", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id")
    # The reviewed party's submission; None for round-wide findings.
    submission_id: int | None = Field(default=None, foreign_key="submissions.id")
    scope: FindingScope = Field(sa_column=enum_column(FindingScope))
    # The item id, or the name of the group (an objective, a strategy level, a field of action).
    key: str = Field(max_length=200)
    # The rating scale the figures are on; a group rated on two scales has a finding per scale.
    scale: str | None = Field(default=None, max_length=100)
    self_score: float | None = None
    peer_median: float | None = None
    peer_mean: float | None = None
    # The peers' mean corrected for each reviewer's leniency (review_model.calibration), beside the raw
    # peer_mean, in a round with `normalise: leniency`; None otherwise.
    corrected_peer_mean: float | None = None
    spread: float | None = None
    n_reviews: int = 0
    disagreement: bool = False
    details: dict[str, Any] = json_field()
    computed_at: datetime = created_at_field()


class Recommendation(SQLModel, table=True):
    """A drafted recommendation to one action level, with the evidence that triggered it."""

    __tablename__ = "recommendations"
    __table_args__ = (Index(None, "round_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id")
    rule_id: str = Field(max_length=100)
    action_level: ActionLevel = Field(sa_column=enum_column(ActionLevel))
    priority: int = 2
    text_de: str
    text_en: str | None = None
    status: RecommendationStatus = Field(
        default=RecommendationStatus.draft, sa_column=enum_column(RecommendationStatus)
    )
    evidence: dict[str, Any] = json_field()
    decided_at: datetime | None = timestamp_field()
    decided_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = created_at_field()


class Reply(SQLModel, table=True):
    """A reviewed party's comment on its draft findings; printed in the report exactly as written.

    It counts once the party has sent its reply (`Submission.reply_submitted_at`); until then it is a draft.
    """

    __tablename__ = "replies"
    __table_args__ = (UniqueConstraint("submission_id", "finding_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    submission_id: int = Field(foreign_key="submissions.id", index=True)
    # The finding it answers; None for a reply to the findings as a whole.
    finding_id: int | None = Field(default=None, foreign_key="findings.id")
    author_enrolment_id: int = Field(foreign_key="enrolments.id")
    text: str
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()


class PublishedReport(SQLModel, table=True):
    """The report as published, one document per format and language; it never changes afterwards."""

    __tablename__ = "published_reports"
    __table_args__ = (UniqueConstraint("round_id", "format", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="rounds.id")
    format: str = Field(max_length=10)
    language: str = Field(max_length=5)
    media_type: str = Field(max_length=100)
    content: bytes = Field(sa_type=LargeBinary)
    published_at: datetime = created_at_field()
