"""The audit trail: who did what to a round, and when."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, Index, SQLModel

from review_model.tables.base import created_at_field, json_field


class AuditEvent(SQLModel, table=True):
    """An entry in a round's history (stage changes, imports, coordinator decisions)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "round_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int | None = Field(default=None, foreign_key="rounds.id")
    at: datetime = created_at_field()
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100)
    details: dict[str, Any] = json_field()
