"""Personal links: issue, verify, expire, revoke.

A link carries a 256-bit token. It is derived from a random nonce and the server's secret key, and the store
keeps the nonce and the token's SHA-256, never the token: someone who reads the database cannot open a
form, yet a reminder can carry the very link the invitation carried. Verifying hashes the token and looks
the hash up. Changing the secret key invalidates every link sent out.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from review_model.tables import AccessToken
from review_model.vocabulary import TokenPurpose

# Short path segments for each purpose: /a/<token> (self-assessment), /r/<token> (review), /c/<token> (reply),
# /q/<token> (the reviewers' questions to a reviewed party);
# /reminders/<token> (stop or restart reminders) says what it does to whoever reads it at the foot of a reminder.
LINK_PATHS: dict[TokenPurpose, str] = {
    TokenPurpose.self_assessment: "a",
    TokenPurpose.review: "r",
    TokenPurpose.reply: "c",
    TokenPurpose.questions: "q",
    TokenPurpose.reminders: "reminders",
}
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class LinkRefused(Exception):
    """A link that opens nothing. `reason` is "unknown" (also for tampered, revoked and wrong-purpose links,
    which must not be told apart) or "expired" (then `access` says which link and until when). A revoked
    link carries its `access` too: the one that was revoked because its form went to a colleague is told
    apart (review_model.handover.handed_over_link); any other shows as unknown."""

    def __init__(self, reason: str, access: AccessToken | None = None):
        super().__init__(reason)
        self.reason = reason
        self.access = access


def derive_token(secret: bytes, nonce: str) -> str:
    """The token for a nonce: HMAC-SHA-256 under the secret key, URL-safe base64 without padding."""
    digest = hmac.new(secret, b"spr-link:" + bytes.fromhex(nonce), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def link_subject(purpose: TokenPurpose, assignment_id: int | None = None) -> str:
    """What a link opens; an enrolment has at most one link per subject."""
    return f"{purpose.value}:{assignment_id}" if assignment_id is not None else purpose.value


def link_url(base_url: str, purpose: TokenPurpose, token: str) -> str:
    """The address a participant follows."""
    return f"{base_url.rstrip('/')}/{LINK_PATHS[purpose]}/{token}"


@dataclass(frozen=True)
class IssuedLink:
    token: str
    access: AccessToken


def issue_link(
    session: Session,
    secret: bytes,
    *,
    round_id: int,
    enrolment_id: int,
    purpose: TokenPurpose,
    expires_at: datetime,
    assignment_id: int | None = None,
) -> IssuedLink:
    """The link for this enrolment and subject: the existing one (its expiry moved out if need be), or a new one.

    A revoked link is replaced by a new one.
    """
    subject = link_subject(purpose, assignment_id)
    access = session.exec(
        select(AccessToken).where(AccessToken.enrolment_id == enrolment_id, AccessToken.subject == subject)
    ).first()
    token, access = _ensure_link(
        session, secret, access, expires_at, round_id=round_id, enrolment_id=enrolment_id, purpose=purpose,
        subject=subject, assignment_id=assignment_id,
    )  # fmt: skip
    session.flush()
    return IssuedLink(token, access)


def issue_links(
    session: Session,
    secret: bytes,
    *,
    round_id: int,
    enrolment_ids: list[int],
    purpose: TokenPurpose,
    expires_at: datetime,
) -> dict[int, str]:
    """issue_link for many enrolments at once: one query finds the existing links, new ones go in together."""
    subject = link_subject(purpose)
    existing = {
        access.enrolment_id: access
        for access in session.exec(
            select(AccessToken).where(AccessToken.subject == subject, col(AccessToken.enrolment_id).in_(enrolment_ids))
        ).all()
    }
    tokens = {
        enrolment_id: _ensure_link(
            session, secret, existing.get(enrolment_id), expires_at, round_id=round_id, enrolment_id=enrolment_id,
            purpose=purpose, subject=subject, assignment_id=None,
        )[0]
        for enrolment_id in enrolment_ids
    }  # fmt: skip
    session.flush()
    return tokens


def _ensure_link(
    session: Session, secret: bytes, access: AccessToken | None, expires_at: datetime, **new: Any
) -> tuple[str, AccessToken]:
    if access is not None and access.revoked_at is None:
        access.expires_at = max(access.expires_at, expires_at)
        return derive_token(secret, access.nonce), access
    nonce = secrets.token_hex(16)
    token = derive_token(secret, nonce)
    if access is None:
        access = AccessToken(token_hash=hash_token(token), nonce=nonce, expires_at=expires_at, **new)
        session.add(access)
    else:
        access.token_hash, access.nonce, access.expires_at, access.revoked_at = (
            hash_token(token),
            nonce,
            expires_at,
            None,
        )
    return token, access


def extend_links(session: Session, round_id: int, purpose: TokenPurpose, expires_at: datetime) -> int:
    """Move the expiry of every unrevoked link of this purpose in the round out to `expires_at`."""
    links = session.exec(
        select(AccessToken).where(
            AccessToken.round_id == round_id, AccessToken.purpose == purpose, col(AccessToken.revoked_at).is_(None)
        )
    ).all()
    for access in links:
        access.expires_at = max(access.expires_at, expires_at)
    return len(links)


def resolve_link(session: Session, token: str, purpose: TokenPurpose, now: datetime) -> AccessToken:
    """The access a token grants for `purpose`, or LinkRefused."""
    if not _TOKEN_SHAPE.match(token):
        raise LinkRefused("unknown")
    access = session.exec(select(AccessToken).where(AccessToken.token_hash == hash_token(token))).first()
    if access is None or access.purpose != purpose:
        raise LinkRefused("unknown")
    if access.revoked_at is not None:  # shown as unknown; the access lets the portal tell a form handed over
        raise LinkRefused("unknown", access)
    if now >= access.expires_at:
        raise LinkRefused("expired", access)
    return access


def revoke_link(access: AccessToken, now: datetime) -> None:
    """Make a link open nothing from now on (a new one can be issued)."""
    access.revoked_at = now
