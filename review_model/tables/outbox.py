"""The outbox: every email, written in the same transaction as the state change that caused it."""

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, Index, SQLModel

from review_model.column_types import UTCDateTime
from review_model.tables.base import created_at_field, enum_column, timestamp_field
from review_model.vocabulary import OutboxState


class OutboxMessage(SQLModel, table=True):
    """One message to one recipient. The idempotency key makes a retried enqueue a no-op."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index(None, "state", "next_attempt_at"),
        Index(None, "round_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int | None = Field(default=None, foreign_key="rounds.id")
    # round, stage, recipient, kind and sequence, joined; unique so that a repeat enqueue changes nothing.
    idempotency_key: str = Field(max_length=300, unique=True)
    message_id: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=64)
    recipient_email: str = Field(max_length=254)
    recipient_participant_id: int | None = Field(default=None, foreign_key="participants.id", index=True)
    subject: str = Field(max_length=500)
    # The complete message as it goes over the wire, built once at enqueue.
    payload: bytes = Field(sa_type=LargeBinary)
    state: OutboxState = Field(default=OutboxState.queued, sa_column=enum_column(OutboxState))
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = timestamp_field()
    claimed_by: str | None = Field(default=None, max_length=100)
    sent_at: datetime | None = timestamp_field()
    last_error: str | None = None
    created_at: datetime = created_at_field()
