"""The outbox: enqueue in the caller's transaction, claim batches atomically, record what delivery did.

A message moves queued → sending → sent, or back to queued with a later next attempt, or to failed.
Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several delivery workers never take the same row;
SQLite has one writer at a time, so its guarded UPDATE … RETURNING is atomic as it stands. A claim left in
`sending` by a worker that died goes back to the queue after a timeout.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlmodel
from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from notifications.compose import OutgoingMessage
from notifications.mime import encode_address
from review_model.reminders import ReminderCount
from review_model.tables import Enrolment, OutboxMessage, Participant, table_of
from review_model.vocabulary import OutboxState

_table = table_of(OutboxMessage)


@dataclass(frozen=True)
class ClaimedMessage:
    """A message a delivery worker holds; only what sending needs."""

    id: int
    message_id: str
    recipient_email: str
    payload: bytes
    attempts: int


def enqueue_messages(session: Session, messages: Sequence[OutgoingMessage], now: datetime) -> int:
    """Add messages to the outbox in the session's transaction; returns how many were new.

    A message whose idempotency key is already in the outbox is skipped, so a stage that runs again after
    a crash enqueues nothing twice. A message that could not be built goes in as failed, with its reason.
    """
    return len(_enqueued_keys(session, messages, now))


def enqueue_reminders(
    session: Session, reminders: Sequence[tuple[OutgoingMessage, Enrolment, ReminderCount, int]], now: datetime
) -> int:
    """Queue reminders, each with the enrolment, count and number it is: the count becomes the number (and the
    enrolment's last reminder now) only for a message that is new. A reminder asked for twice in one moment is
    the same message (its key holds the moment), and the second must not count a reminder that never went out."""
    new = _enqueued_keys(session, [message for message, *_ in reminders], now)
    for message, enrolment, count, number in reminders:
        if message.idempotency_key in new:
            setattr(enrolment, count, number)
            enrolment.last_reminded_at = now
            session.add(enrolment)
    return len(new)


def _enqueued_keys(session: Session, messages: Sequence[OutgoingMessage], now: datetime) -> set[str]:
    """Insert the messages whose idempotency key the outbox does not hold yet; returns the keys inserted."""
    if not messages:
        return set()
    rows = [
        {
            "idempotency_key": m.idempotency_key,
            "message_id": m.message_id,
            "round_id": m.round_id,
            "kind": m.kind,
            "recipient_email": m.recipient_email,
            "recipient_participant_id": m.recipient_participant_id,
            "subject": m.subject,
            "payload": m.payload,
            "state": (OutboxState.queued if m.error is None else OutboxState.failed).value,
            "last_error": m.error,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in messages
    ]
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(_table).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(_table.c.idempotency_key)
    )
    return set(connection.execute(statement, rows).scalars().all())


def claim_batch(engine: Engine, worker: str, limit: int, now: datetime) -> list[ClaimedMessage]:
    """Take up to `limit` due messages for `worker`, marking them sending and counting the attempt."""
    due = (
        select(_table.c.id)
        .where(_table.c.state == OutboxState.queued.value, _table.c.next_attempt_at <= now)
        .order_by(_table.c.next_attempt_at, _table.c.id)
        .limit(limit)
    )
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # A materialised CTE is evaluated once. Written as `id IN (SELECT … LIMIT n)`, PostgreSQL may run the
    # subquery again while updating and claim more than n rows.
    claimable = due.cte("claimable").prefix_with("MATERIALIZED")
    statement = (
        update(_table)
        .where(_table.c.id.in_(select(claimable.c.id)), _table.c.state == OutboxState.queued.value)
        .values(
            state=OutboxState.sending.value,
            claimed_at=now,
            claimed_by=worker,
            attempts=_table.c.attempts + 1,
        )
        .returning(_table.c.id, _table.c.message_id, _table.c.recipient_email, _table.c.payload, _table.c.attempts)
    )
    with engine.begin() as connection:
        rows = connection.execute(statement).all()
    return sorted((ClaimedMessage(*row) for row in rows), key=lambda message: message.id)


def release_stale_claims(engine: Engine, older_than: timedelta, now: datetime) -> int:
    """Put messages left in `sending` longer than `older_than` (their worker died) back in the queue."""
    statement = (
        update(_table)
        .where(_table.c.state == OutboxState.sending.value, _table.c.claimed_at < now - older_than)
        .values(state=OutboxState.queued.value, claimed_by=None, next_attempt_at=now)
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


@dataclass(frozen=True)
class Retry:
    id: int
    error: str
    next_attempt_at: datetime


@dataclass(frozen=True)
class Failure:
    id: int
    error: str
    # The server refused the recipient (5xx to RCPT TO): the address itself is bad. Other failures (a refused
    # sender, an unreachable server) say nothing about the recipient.
    recipient_refused: bool = False


def record_outcomes(
    engine: Engine,
    worker: str,
    sent: Sequence[int],
    retries: Sequence[Retry],
    failures: Sequence[Failure],
    now: datetime,
) -> None:
    """Write what a delivery worker did with its claimed messages, in one transaction.

    Only rows this worker still holds are changed: a claim released as stale and taken by another worker
    belongs to that worker now. A recipient refused by the server marks their enrolment as bounced.
    """
    held = and_(_table.c.state == OutboxState.sending.value, _table.c.claimed_by == worker)
    with engine.begin() as connection:
        if sent:
            connection.execute(
                update(_table)
                .where(_table.c.id.in_(sent), held)
                .values(state=OutboxState.sent.value, sent_at=now, last_error=None)
            )
        if retries:
            by_id = update(_table).where(_table.c.id == bindparam("row_id"), held)
            connection.execute(
                by_id.values(
                    state=OutboxState.queued.value,
                    last_error=bindparam("error"),
                    next_attempt_at=bindparam("due"),
                    claimed_by=None,
                ),
                [{"row_id": r.id, "error": r.error[:2000], "due": r.next_attempt_at} for r in retries],
            )
        if failures:
            by_id = update(_table).where(_table.c.id == bindparam("row_id"), held)
            connection.execute(
                by_id.values(state=OutboxState.failed.value, last_error=bindparam("error"), claimed_by=None),
                [{"row_id": f.id, "error": f.error[:2000]} for f in failures],
            )
            refused = [f.id for f in failures if f.recipient_refused]
            if refused:
                _mark_bounced(connection, refused, now)


def _mark_bounced(connection: Connection, failed_ids: list[int], now: datetime) -> None:
    enrolments = table_of(Enrolment)
    failed = select(_table.c.round_id, _table.c.recipient_participant_id).where(
        _table.c.id.in_(failed_ids), _table.c.recipient_participant_id.is_not(None)
    )
    for round_id, participant_id in connection.execute(failed).all():
        connection.execute(
            update(enrolments)
            .where(
                and_(
                    enrolments.c.round_id == round_id,
                    enrolments.c.participant_id == participant_id,
                    enrolments.c.bounced_at.is_(None),
                )
            )
            .values(bounced_at=now)
        )


def next_due_at(engine: Engine) -> datetime | None:
    """When the earliest queued message is due, or None when the queue is empty."""
    statement = select(func.min(_table.c.next_attempt_at)).where(_table.c.state == OutboxState.queued.value)
    with engine.connect() as connection:
        return connection.execute(statement).scalar_one_or_none()


def outbox_counts(session: Session, round_id: int | None = None) -> dict[OutboxState, int]:
    """How many messages are in each state, for one round or all."""
    statement = sqlmodel.select(col(OutboxMessage.state), func.count()).group_by(col(OutboxMessage.state))
    if round_id is not None:
        statement = statement.where(OutboxMessage.round_id == round_id)
    counts = {state: 0 for state in OutboxState}
    counts.update({OutboxState(state): n for state, n in session.exec(statement).all()})
    return counts


def failed_messages(session: Session, round_id: int | None = None, limit: int = 200) -> list[OutboxMessage]:
    """The failed messages, newest first, with the server's reply in `last_error`."""
    statement = sqlmodel.select(OutboxMessage).where(OutboxMessage.state == OutboxState.failed)
    if round_id is not None:
        statement = statement.where(OutboxMessage.round_id == round_id)
    statement = statement.order_by(col(OutboxMessage.id).desc()).limit(limit)
    return list(session.exec(statement).all())


def requeue_failed(
    session: Session, now: datetime, round_id: int | None = None, message_id: int | None = None
) -> list[OutboxMessage]:
    """Send failed messages again, to the recipient's current address; attempts start over.

    The message keeps its Message-ID; only the To header changes when the participant's address was
    corrected since.
    """
    # A message that could not be built has nothing to send; it stays failed, with its reason.
    statement = sqlmodel.select(OutboxMessage).where(
        OutboxMessage.state == OutboxState.failed, OutboxMessage.payload != b""
    )
    if round_id is not None:
        statement = statement.where(OutboxMessage.round_id == round_id)
    if message_id is not None:
        statement = statement.where(OutboxMessage.id == message_id)
    messages = list(session.exec(statement).all())
    for message in messages:
        if message.recipient_participant_id is not None:
            person = session.get(Participant, message.recipient_participant_id)
            if person is not None and person.email != message.recipient_email:
                message.payload = readdressed(message.payload, person.name, person.email)
                message.recipient_email = person.email
        message.state = OutboxState.queued
        message.attempts = 0
        message.next_attempt_at = now
        message.claimed_by = None
        if message.recipient_participant_id is not None and message.round_id is not None:
            _clear_bounce(session, message.round_id, message.recipient_participant_id)
    return messages


def drop_unsent(session: Session, round_id: int, participant_id: int, keep_kinds: Collection[str] = ()) -> int:
    """Delete a round's messages to one person that are still queued, but those of `keep_kinds`; returns how
    many. For a person withdrawn from the round: what asks them to act would reach them with links that open
    nothing. A message a worker holds already (sending) goes out."""
    dropped = session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.round_id) == round_id,
            col(OutboxMessage.recipient_participant_id) == participant_id,
            col(OutboxMessage.state) == OutboxState.queued,
            col(OutboxMessage.kind).not_in(list(keep_kinds)),
        )
    )
    return int(dropped.rowcount or 0)


def _clear_bounce(session: Session, round_id: int, participant_id: int) -> None:
    """A message sent again means the address is worth trying: the person counts as reachable until it fails."""
    enrolment = session.exec(
        sqlmodel.select(Enrolment).where(Enrolment.round_id == round_id, Enrolment.participant_id == participant_id)
    ).first()
    if enrolment is not None:
        enrolment.bounced_at = None


def readdressed(payload: bytes, name: str, address: str) -> bytes:
    """The same message with a new To header; every other byte stays as it was."""
    head, separator, body = payload.partition(b"\r\n\r\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith(b"to:")
        if skipping:
            kept.append(f"To: {encode_address(name, address, 'To')}".encode())  # UTF-8 only for SMTPUTF8 addresses
        else:
            kept.append(line)
    return b"\r\n".join(kept) + separator + body
