"""Writing to the audit trail."""

from typing import Any

from sqlmodel import Session, col, select

from review_model import clock
from review_model.tables import AuditEvent

# The actor the round driver records its own steps under (stage changes when due, reminders, proposals,
# consolidation): the history tells them from what a person did by this name.
ROUND_DRIVER = "round driver"
# The action an assignment that meets no rule is recorded under, with its reasons (once per change of them).
ASSIGNMENT_INFEASIBLE = "assignment infeasible"


def record_event(session: Session, round_id: int | None, actor: str, action: str, **details: Any) -> AuditEvent:
    """Add an entry to a round's history, in the caller's transaction."""
    event = AuditEvent(round_id=round_id, at=clock.now(), actor=actor, action=action, details=details)
    session.add(event)
    return event


def record_finding(session: Session, round_id: int, actor: str, action: str, **details: Any) -> AuditEvent | None:
    """Add a finding that a repeated check makes (an infeasible assignment, say) once per change of its content.

    The round driver checks every few minutes; the trail keeps the first entry and each change, not each pass.
    Returns None when the round's latest entry of this action says the same.
    """
    latest = session.exec(
        select(AuditEvent.details)
        .where(AuditEvent.round_id == round_id, AuditEvent.action == action)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if latest == details:
        return None
    return record_event(session, round_id, actor, action, **details)
