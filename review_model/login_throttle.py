"""Throttling password logins (BSI APP.3.1, OWASP's authentication guidance): enough to stop guessing, never
enough that a guesser can lock the real owner out.

Three limits, each over a sliding window of recent failures:
- one address guessing one account: 5 failures in 15 minutes hold that pair back until the window passes;
- one account from everywhere: 20 failures in an hour hold back every address except those the account
  logged in from successfully in the last 90 days, so a botnet guessing an account slows the guessing and
  not the owner at their usual desk;
- one address guessing many accounts: 50 failures in an hour hold back the address, except for the accounts
  that logged in from it before (staff behind one proxy or NAT share an address: a guesser among them must
  not lock them all out).
A throttled try is refused without checking the password, and tells until when.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from review_model.tables import LoginAttempt

PAIR_LIMIT, PAIR_WINDOW = 5, timedelta(minutes=15)
ACCOUNT_LIMIT, ACCOUNT_WINDOW = 20, timedelta(hours=1)
ADDRESS_LIMIT, ADDRESS_WINDOW = 50, timedelta(hours=1)
KNOWN_ADDRESS_FOR = timedelta(days=90)
KEPT_FOR = timedelta(days=1)  # failures older than every window are of no use; successes are kept longer


@dataclass(frozen=True)
class Throttled:
    """Logins of this address for this account are held back until `until`; `why` names the limit."""

    until: datetime
    why: str  # "pair", "account" or "address"


def login_throttled(session: Session, email: str, address: str, now: datetime) -> Throttled | None:
    """Whether a login try of `email` from `address` is held back now, and until when."""
    pair = _failures(session, now - PAIR_WINDOW, email=email, address=address)
    if len(pair) >= PAIR_LIMIT:
        return Throttled(pair[-PAIR_LIMIT] + PAIR_WINDOW, "pair")
    known = _known_address(session, email, address, now)
    from_address = _failures(session, now - ADDRESS_WINDOW, address=address)
    if len(from_address) >= ADDRESS_LIMIT and not known:
        return Throttled(from_address[-ADDRESS_LIMIT] + ADDRESS_WINDOW, "address")
    for_account = _failures(session, now - ACCOUNT_WINDOW, email=email)
    if len(for_account) >= ACCOUNT_LIMIT and not known:
        return Throttled(for_account[-ACCOUNT_LIMIT] + ACCOUNT_WINDOW, "account")
    return None


def record_login_attempt(session: Session, email: str, address: str, succeeded: bool, now: datetime) -> None:
    """Keep a try for the limits; failures past every window are dropped on the way, so the table stays small."""
    session.add(LoginAttempt(email=email, address=address, at=now, succeeded=succeeded))
    session.execute(
        delete(LoginAttempt).where(col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.at) < now - KEPT_FOR)
    )
    session.execute(
        delete(LoginAttempt).where(
            col(LoginAttempt.succeeded).is_(True), col(LoginAttempt.at) < now - KNOWN_ADDRESS_FOR
        )
    )


def failures_from(session: Session, address: str, now: datetime) -> int:
    """Failed tries from an address in the last hour, for the log line that names a guessing address."""
    return len(_failures(session, now - ADDRESS_WINDOW, address=address))


def _failures(
    session: Session, since: datetime, *, email: str | None = None, address: str | None = None
) -> list[datetime]:
    """The moments of failed tries since `since`, oldest first."""
    statement = select(LoginAttempt.at).where(col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.at) > since)
    if email is not None:
        statement = statement.where(LoginAttempt.email == email)
    if address is not None:
        statement = statement.where(LoginAttempt.address == address)
    return list(session.exec(statement.order_by(col(LoginAttempt.at))))


def _known_address(session: Session, email: str, address: str, now: datetime) -> bool:
    statement = select(func.count()).where(
        LoginAttempt.email == email,
        LoginAttempt.address == address,
        col(LoginAttempt.succeeded).is_(True),
        col(LoginAttempt.at) > now - KNOWN_ADDRESS_FOR,
    )
    return bool(session.exec(statement).one())
