"""The emails a round sent one person, as the console lists them on the person's page: what, when, and
whether it arrived. Read from the outbox, where every message is written before it is sent."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col

from review_model.tables import OutboxMessage
from review_model.vocabulary import OutboxState
from review_model.wide_select import select_columns


@dataclass(frozen=True)
class SentMessage:
    """One message to the person: its kind (invitation, reminder, ...), subject and state; when it was
    queued and sent, how many delivery attempts it took, and the server's last error (a failed message)."""

    id: int
    kind: str
    subject: str
    recipient_email: str
    state: OutboxState
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


def messages_sent_to(session: Session, round_id: int, participant_id: int) -> list[SentMessage]:
    """Every outbox message to the person in the round, in the order they were queued (the message itself,
    its payload, is not read)."""
    rows = session.exec(
        select_columns(
            OutboxMessage.id, OutboxMessage.kind, OutboxMessage.subject, OutboxMessage.recipient_email,
            OutboxMessage.state, OutboxMessage.created_at, OutboxMessage.sent_at, OutboxMessage.attempts,
            OutboxMessage.last_error,
        )
        .where(OutboxMessage.round_id == round_id, OutboxMessage.recipient_participant_id == participant_id)
        .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
    ).all()  # fmt: skip
    return [SentMessage(*row) for row in rows]
