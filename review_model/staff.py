"""Staff accounts: add, list and remove the people who log in to the console, name them for rounds, and let
them set a password through a one-time link.

Passwords are hashed with Argon2id (argon2-cffi, its RFC 9106 low-memory profile: 64 MiB, 3 passes), the
hash BSI and OWASP advise; an account without a password logs in by single sign-on only. The one-time links
are stored as the SHA-256 of their token, as personal links are, so reading the store opens no account.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.audit_trail import record_event
from review_model.refusals import Reason, Refused
from review_model.tables import Round, RoundStaff, StaffAccount, StaffPasswordLink, StaffSession
from review_model.vocabulary import StaffRole

PASSWORD_LINK_VALID = timedelta(hours=72)
MIN_PASSWORD_LENGTH = 12  # BSI ORP.4: at least 8 with complexity rules, or longer without; NIST 800-63B the same
MAX_PASSWORD_LENGTH = 256  # Argon2 takes any length; this bounds the work one request can ask for

_hasher = PasswordHasher()  # argon2-cffi's defaults are RFC 9106's low-memory profile, type Argon2id
# Verified against when no account matches, so a wrong address costs the same time as a wrong password.
_NO_ACCOUNT_HASH = _hasher.hash(secrets.token_urlsafe(16))


class StaffRefused(Refused):
    """A change to staff cannot be made; `reasons` lists every reason found."""


@dataclass(frozen=True)
class PasswordLink:
    """A one-time link's token (shown once, never stored) and until when it works."""

    email: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class StaffListing:
    """One account as `spr staff list` and the console's staff page show it."""

    account_id: int
    email: str
    name: str
    role: StaffRole
    rounds: tuple[str, ...]  # slugs of the rounds the person is named for
    has_password: bool
    last_login_at: datetime | None
    created_at: datetime


def normalised_email(address: str) -> str:
    """The address as accounts are matched: trimmed and lower-case."""
    return address.strip().lower()


def staff_account(session: Session, email: str) -> StaffAccount | None:
    """The account with this address, if there is one."""
    return session.exec(select(StaffAccount).where(StaffAccount.email == normalised_email(email))).first()


def add_staff(
    session: Session,
    email: str,
    role: StaffRole,
    *,
    name: str,
    rounds: Sequence[Round],
    actor: str,
    now: datetime,
) -> tuple[StaffAccount, PasswordLink]:
    """Create an account, name it for `rounds`, and issue the link that sets its first password."""
    address = normalised_email(email)
    reasons: list[str] = []
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        reasons.append(Reason(N_("{email} is not an email address"), email=email))
    if staff_account(session, address) is not None:
        reasons.append(Reason(N_("{email} has an account already"), email=address))
    if len(name) > 200 or any(ord(character) < 32 for character in name):
        reasons.append(Reason(N_("the name must be one line of at most 200 characters")))
    if reasons:
        raise StaffRefused(reasons)
    account = StaffAccount(email=address, name=name.strip(), role=role, created_by=actor, created_at=now)
    session.add(account)
    session.flush()
    for round_ in rounds:
        name_for_round(session, account.email, round_, actor=actor)
    record_event(session, None, actor, "staff added", email=address, role=role.value)
    return account, issue_password_link(session, account, now)


def name_for_round(session: Session, email: str, round_: Round, *, actor: str) -> bool:
    """Name a member of staff for a round; False when they are named for it already."""
    assert round_.id is not None
    address = normalised_email(email)
    named = session.exec(
        select(RoundStaff.id).where(RoundStaff.round_id == round_.id, RoundStaff.email == address)
    ).first()
    if named is not None:
        return False
    session.add(RoundStaff(round_id=round_.id, email=address))
    record_event(session, round_.id, actor, "staff named for round", email=address)
    return True


def unname_for_round(session: Session, email: str, round_: Round, *, actor: str) -> bool:
    """No longer name a member of staff for a round (they stop seeing it, unless an administrator); False when
    they were not named for it. The round's coordinator address, its contact, stays as it is."""
    assert round_.id is not None
    address = normalised_email(email)
    statement = select(RoundStaff).where(RoundStaff.round_id == round_.id, RoundStaff.email == address)
    named = session.exec(statement).first()
    if named is None:
        return False
    session.delete(named)
    record_event(session, round_.id, actor, "staff unnamed for round", email=address)
    return True


def list_staff(session: Session) -> list[StaffListing]:
    """Every account, by address, with the rounds each is named for."""
    named: dict[str, list[str]] = {}
    for email, slug in session.exec(
        select(RoundStaff.email, Round.slug).join(Round, col(Round.id) == RoundStaff.round_id).order_by(Round.slug)
    ):
        named.setdefault(email, []).append(slug)
    accounts = session.exec(select(StaffAccount).order_by(StaffAccount.email)).all()
    return [
        StaffListing(
            account_id=account.id,
            email=account.email,
            name=account.name,
            role=account.role,
            rounds=tuple(named.get(account.email, [])),
            has_password=account.password_hash is not None,
            last_login_at=account.last_login_at,
            created_at=account.created_at,
        )
        for account in accounts
        if account.id is not None  # a stored account's key never is
    ]


def remove_staff(session: Session, email: str, *, actor: str) -> StaffAccount:
    """Remove an account: its sessions end at once, its links stop working; the rounds keep naming the address
    (a coordinator's address stays the round's contact), so an account added again sees them again."""
    account = staff_account(session, email)
    if account is None:
        raise StaffRefused([Reason(N_("{email} has no account"), email=normalised_email(email))])
    if account.role is StaffRole.admin:
        admins = session.exec(select(func.count()).where(StaffAccount.role == StaffRole.admin)).one()
        if admins == 1:
            raise StaffRefused([Reason(N_("{email} is the last administrator"), email=account.email)])
    session.execute(delete(StaffSession).where(col(StaffSession.staff_id) == account.id))
    session.execute(delete(StaffPasswordLink).where(col(StaffPasswordLink.staff_id) == account.id))
    session.delete(account)
    record_event(session, None, actor, "staff removed", email=account.email, role=account.role.value)
    return account


def new_password_link(session: Session, email: str, *, actor: str, now: datetime) -> PasswordLink:
    """A new one-time link for a member of staff to set their password (a forgotten one, say); links issued
    before stop working. StaffRefused when the address has no account."""
    account = staff_account(session, email)
    if account is None:
        raise StaffRefused([Reason(N_("{email} has no account"), email=normalised_email(email))])
    link = issue_password_link(session, account, now)
    record_event(session, None, actor, "staff password link issued", email=account.email)
    return link


def issue_password_link(session: Session, account: StaffAccount, now: datetime) -> PasswordLink:
    """A new one-time link to set the account's password; links issued before it stop working."""
    assert account.id is not None
    session.execute(
        delete(StaffPasswordLink).where(
            col(StaffPasswordLink.staff_id) == account.id, col(StaffPasswordLink.used_at).is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + PASSWORD_LINK_VALID
    session.add(
        StaffPasswordLink(token_hash=_digest(token), staff_id=account.id, created_at=now, expires_at=expires_at)
    )
    return PasswordLink(account.email, token, expires_at)


def account_for_password_link(session: Session, token: str, now: datetime) -> StaffAccount:
    """The account a one-time link sets the password of; StaffRefused if the link is unknown, used or expired
    (told apart only as "does not work", as a guesser must learn nothing)."""
    link = session.exec(select(StaffPasswordLink).where(StaffPasswordLink.token_hash == _digest(token))).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise StaffRefused([Reason(N_("this link to set a password does not work (any more)"))])
    account = session.get(StaffAccount, link.staff_id)
    assert account is not None  # removing an account deletes its links
    return account


def password_problems(password: str, email: str) -> list[str]:
    """Why a password may not be used; empty when it may. Length over composition rules, as NIST 800-63B and
    BSI ORP.4 advise: rules make passwords predictable, length makes them strong."""
    reasons: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(Reason(N_("the password must have at least {n} characters"), n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        reasons.append(Reason(N_("the password must have at most {n} characters"), n=MAX_PASSWORD_LENGTH))
    local_part = normalised_email(email).split("@", 1)[0]
    if password and (len(set(password)) < 4 or (len(local_part) >= 4 and local_part in password.lower())):
        reasons.append(Reason(N_("the password must not repeat a few characters or contain the email address")))
    return reasons


def set_password_with_link(
    session: Session, token: str, password: str, confirmation: str, now: datetime
) -> StaffAccount:
    """Set the account's password through its one-time link, which is used up; every session of the account
    ends (someone who knew the old password is logged out). StaffRefused with every reason if not."""
    account = account_for_password_link(session, token, now)
    reasons = password_problems(password, account.email)
    if password != confirmation:
        reasons.append(Reason(N_("the two passwords differ")))
    if reasons:
        raise StaffRefused(reasons)
    # Used up at once and only once: of two uses at the same moment, the second finds it used and is refused.
    used = session.execute(
        update(StaffPasswordLink)
        .where(col(StaffPasswordLink.token_hash) == _digest(token), col(StaffPasswordLink.used_at).is_(None))
        .values(used_at=now)
    )
    if not getattr(used, "rowcount", 0):
        raise StaffRefused([Reason(N_("this link to set a password does not work (any more)"))])
    account.password_hash = _hasher.hash(password)
    account.password_set_at = now
    session.add(account)
    session.execute(delete(StaffSession).where(col(StaffSession.staff_id) == account.id))
    record_event(session, None, account.email, "staff password set", email=account.email)
    return account


def password_matches(account: StaffAccount | None, password: str) -> bool:
    """Whether `password` is the account's; as slow for no account, or one without a password, as for a wrong
    password, so the time taken does not tell which addresses have accounts."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    stored = account.password_hash if account is not None else None
    try:
        return _hasher.verify(stored or _NO_ACCOUNT_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def rehash_if_needed(account: StaffAccount, password: str) -> bool:
    """After a login: hash the password again if the hashing parameters were raised since it was set."""
    if account.password_hash is None or not _hasher.check_needs_rehash(account.password_hash):
        return False
    account.password_hash = _hasher.hash(password)
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
