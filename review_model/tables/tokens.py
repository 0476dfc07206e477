"""Personal links: only the SHA-256 of each token is stored, never the token itself."""

from datetime import datetime

from sqlmodel import Field, SQLModel, UniqueConstraint

from review_model.column_types import UTCDateTime
from review_model.tables.base import created_at_field, enum_column, timestamp_field
from review_model.vocabulary import TokenPurpose


class AccessToken(SQLModel, table=True):
    """A link for one enrolment (or review assignment) and one purpose, valid until it expires or is revoked.

    The token in the link is derived from `nonce` with the server's secret key (see review_model.tokens), so
    a reminder can carry the same link again while the store alone never reveals a working link.
    """

    __tablename__ = "access_tokens"
    __table_args__ = (UniqueConstraint("enrolment_id", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    nonce: str = Field(max_length=32)
    purpose: TokenPurpose = Field(sa_column=enum_column(TokenPurpose))
    # What the link opens: the purpose, and for a review the assignment ("review:17"); one link per subject.
    subject: str = Field(max_length=64)
    round_id: int = Field(foreign_key="rounds.id", index=True)
    enrolment_id: int = Field(foreign_key="enrolments.id")
    assignment_id: int | None = Field(default=None, foreign_key="review_assignments.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = timestamp_field()
    last_used_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class StoreKey(SQLModel, table=True):
    """Which secret key this store's links are made with: an HMAC of a fixed label under the key, never the key.

    One row, written when a key is first used with the store; a command that brings another key is refused,
    so a second key is never made or used silently (its links would open nothing).
    """

    __tablename__ = "store_key"

    id: int = Field(default=1, primary_key=True)
    fingerprint: str = Field(max_length=64)
    created_at: datetime = created_at_field()
