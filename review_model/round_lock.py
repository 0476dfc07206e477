"""Locking a round for the length of a transition, so any number of round drivers can run at once.

A step that checks a round's stage and then changes it (or creates the round's once-only rows: the
assignment proposal, the findings, the drafts, the audit entry of a transition) reads the round through
`lock_round` first, in the transaction that makes the change. A second driver doing the same step waits
there until the first commits, then reads the stage the first one left and does nothing. A step that
reads at length before it writes (consolidation, drafting, publication) reads without the lock and checks
again under it: `read_then_write`.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from review_model.rounds import RoundNotFound, get_round
from review_model.store import reading_session, session_scope
from review_model.tables import Round

Prepared = TypeVar("Prepared")
Written = TypeVar("Written")


class RoundNotLockable(RuntimeError):
    """The session only reads (reading_session): it cannot hold a round for a change."""


def lock_round(session: Session, round_id: int) -> Round:
    """The round, read afresh and held for the rest of the session's transaction; call it before reading
    anything the change depends on.

    PostgreSQL: `SELECT … FOR UPDATE` on the round's row. Under READ COMMITTED a concurrent transaction
    waits on it and, once the holder commits, sees the committed row and every later statement sees the
    holder's other writes (the new stage, the proposal it inserted).
    SQLite: a plain read. The store begins every writing transaction with BEGIN IMMEDIATE (see
    review_model.store), which takes the database's write lock before the first statement (this one), so
    writers are one at a time already and each reads what the previous one committed.
    """
    connection = session.connection()
    if connection.get_execution_options().get("spr_read_only"):
        raise RoundNotLockable("a reading session cannot lock a round; use a writing session")
    # populate_existing: a round this session loaded before the lock is read again, not taken from memory.
    round_ = session.get(Round, round_id, with_for_update=True, populate_existing=True)
    if round_ is None:
        raise RoundNotFound(f"no round with id {round_id}")
    return round_


def read_then_write(
    engine: Engine,
    round_id: int,
    *,
    due: Callable[[Session, Round], bool],
    read: Callable[[Session, Round], Prepared],
    write: Callable[[Session, Round, Prepared], Written],
) -> Written | None:
    """A step that reads (and computes) at length, then writes once: the reading without the store's write
    lock, the writing with the round locked. None when the step is not `due`.

    `due` is asked twice: first in a reading session (which holds up no writer, see review_model.store), so
    nothing is read when the step is not due; then again in the writing session once `lock_round` holds the
    round, because another driver may have done the step meanwhile. `read` runs in the reading session and
    its result goes to `write`, which runs in the writing session; that session commits when `write` returns
    and rolls back when it raises.
    """
    with reading_session(engine) as session:
        round_ = get_round(session, round_id)
        if not due(session, round_):
            return None
        prepared = read(session, round_)
    with session_scope(engine) as session:
        round_ = lock_round(session, round_id)
        if not due(session, round_):
            return None
        return write(session, round_, prepared)
