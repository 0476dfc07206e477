"""Console sessions: a random token per logged-in browser, its SHA-256 in the store, idle and absolute
timeouts, and logging out one browser or all of them.

A new token at every login, never one carried over from before it (no session fixation). The idle time is
written at most once a minute, so reading pages does not make every request a write.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from review_model.tables import StaffAccount, StaffSession

IDLE_TIMEOUT = timedelta(minutes=60)
ABSOLUTE_TIMEOUT = timedelta(hours=12)  # a working day; BSI APP.3.1 asks for both limits
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionHolder:
    """The account behind a session, read once per request."""

    session_id: int
    account: StaffAccount
    token_hash: str


def open_staff_session(session: Session, account: StaffAccount, address: str, user_agent: str, now: datetime) -> str:
    """Log an account in: a new session and its token (for the cookie; never stored)."""
    assert account.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=session_token_hash(token),
            staff_id=account.id,
            created_at=now,
            last_seen_at=now,
            address=address[:64],
            user_agent=user_agent[:200],
        )
    )
    account.last_login_at = now
    session.add(account)
    # Expired sessions of anyone are dropped on the way: logins are rare, and the table stays small.
    session.execute(
        delete(StaffSession).where(
            (col(StaffSession.last_seen_at) < now - IDLE_TIMEOUT)
            | (col(StaffSession.created_at) < now - ABSOLUTE_TIMEOUT)
        )
    )
    return token


def session_holder(session: Session, token: str, now: datetime) -> SessionHolder | None:
    """Who holds a session token now; None for an unknown, ended or timed-out session."""
    token_hash = session_token_hash(token)
    row = session.exec(
        select(StaffSession, StaffAccount)
        .join(StaffAccount, col(StaffAccount.id) == StaffSession.staff_id)
        .where(StaffSession.token_hash == token_hash)
    ).first()
    if row is None:
        return None
    staff_session, account = row
    if staff_session.last_seen_at <= now - IDLE_TIMEOUT or staff_session.created_at <= now - ABSOLUTE_TIMEOUT:
        return None
    assert staff_session.id is not None
    return SessionHolder(staff_session.id, account, token_hash)


def session_needs_touch(session: Session, holder: SessionHolder, now: datetime) -> bool:
    """Whether the session's last activity is old enough to be written again."""
    last_seen = session.exec(select(StaffSession.last_seen_at).where(StaffSession.id == holder.session_id)).first()
    return last_seen is not None and last_seen <= now - _TOUCH_EVERY


def touch_staff_session(session: Session, session_id: int, now: datetime) -> None:
    """Record activity, which keeps the session from its idle timeout."""
    session.execute(update(StaffSession).where(col(StaffSession.id) == session_id).values(last_seen_at=now))


def close_staff_session(session: Session, token: str) -> None:
    """Log one browser out."""
    session.execute(delete(StaffSession).where(col(StaffSession.token_hash) == session_token_hash(token)))


def close_every_session(session: Session, staff_id: int) -> int:
    """Log an account out everywhere; how many sessions ended."""
    result = session.execute(delete(StaffSession).where(col(StaffSession.staff_id) == staff_id))
    return int(getattr(result, "rowcount", 0) or 0)


def session_token_hash(token: str) -> str:
    """The SHA-256 the store keeps of a session token; also what the CSRF token is derived from."""
    return hashlib.sha256(token.encode()).hexdigest()
