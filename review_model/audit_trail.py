"""Writing to the audit trail."""

from typing import Any

from sqlmodel import Session

from review_model import clock
from review_model.tables import AuditEvent


def record_event(session: Session, round_id: int | None, actor: str, action: str, **details: Any) -> AuditEvent:
    """Add an entry to a round's history, in the caller's transaction."""
    event = AuditEvent(round_id=round_id, at=clock.now(), actor=actor, action=action, details=details)
    session.add(event)
    return event
