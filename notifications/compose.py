"""Composing one message: both parts rendered in the reader's language, headers fixed, bytes ready to send.

A message that cannot be built (an address with no sendable form, a template that fails on someone's
data) comes back as a failed message that says why, so it never stops the batch, stage or round it is in.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache

from notifications.calendar_entries import EntryWording, deadline_entry
from notifications.message_kinds import MessageContent
from notifications.mime import Attachment, build_alternative_message, encode_address, encode_header_value
from notifications.templating import render_email
from notifications.wire_addresses import wire_domain

log = logging.getLogger("spr.compose")

LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Sender:
    """Who messages come from. Replies go to `reply_to`, or else to the round's coordinator."""

    address: str
    name: str
    reply_to: str | None = None

    @property
    def domain(self) -> str:
        """The sender's domain in ASCII, as Message-IDs need it."""
        return wire_domain(self.address)


@dataclass(frozen=True)
class RoundContext:
    """What messages say about the round they belong to."""

    round_id: int | None
    slug: str
    title_de: str
    title_en: str | None
    time_zone: str
    coordinator_name: str
    coordinator_email: str

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_de


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str
    participant_id: int | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """A message ready for the outbox: its identity, its recipient and its bytes."""

    idempotency_key: str
    message_id: str
    round_id: int | None
    kind: str
    recipient_email: str
    recipient_participant_id: int | None
    subject: str
    payload: bytes
    # Why the message could not be built; it is then kept in the outbox as failed, with no payload.
    error: str | None = None


@lru_cache(maxsize=64)  # a stage stamps a whole batch with one moment
def _date_header(now: datetime) -> str:
    return format_datetime(now)


def thread_id(round_: RoundContext, recipient: Recipient, domain: str) -> str:
    """The Message-ID every message about one person in one round refers to, so mail clients thread them."""
    if recipient.participant_id is not None:
        who = f"p{recipient.participant_id}"
    else:  # the address may hold characters a Message-ID cannot
        who = "a" + hashlib.sha256(recipient.email.lower().encode()).hexdigest()[:20]
    return f"<spr-thread.{round_.slug}.{who}@{domain}>"


def idempotency_key(round_: RoundContext, stage: str, recipient: Recipient, kind: str, sequence: int | str) -> str:
    """round, stage, recipient, kind and sequence: the same message enqueued twice has the same key."""
    who = f"p{recipient.participant_id}" if recipient.participant_id is not None else recipient.email.lower()
    return f"r{round_.round_id}/{stage}/{who}/{kind}/{sequence}"


def unsubscribe_headers(stop_link: str) -> list[tuple[str, str]]:
    """The headers that let mail clients offer to stop a reminder's kind of message with one click (RFC 2369,
    RFC 8058): the link that stops the round's reminders, which takes a POST of `List-Unsubscribe=One-Click`
    alone (portal.reminder_pages). None for a message without such a link."""
    if not stop_link:
        return []
    return [("List-Unsubscribe", f"<{stop_link}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]


def compose_message(
    content: MessageContent,
    recipient: Recipient,
    round_: RoundContext,
    sender: Sender,
    *,
    stage: str,
    now: datetime,
    sequence: int | str = 0,
) -> OutgoingMessage:
    """Render `content` for `recipient` and build the complete message, with a Message-ID fixed now.

    Never raises for one message's sake: when it cannot be built, the result carries the reason in `error`.
    """
    key = idempotency_key(round_, stage, recipient, content.kind, sequence)
    try:
        return _compose(content, recipient, round_, sender, key, now)
    except Exception as error:  # one message must not stop the others: it is recorded as failed instead
        log.exception("message %s could not be built", key)
        return OutgoingMessage(
            idempotency_key=key,
            message_id=f"<{uuid.uuid4().hex}@unbuilt.invalid>",
            round_id=round_.round_id,
            kind=content.kind,
            recipient_email=recipient.email,
            recipient_participant_id=recipient.participant_id,
            subject="",
            payload=b"",
            error=f"the message could not be built: {error}",
        )


def _compose(
    content: MessageContent, recipient: Recipient, round_: RoundContext, sender: Sender, key: str, now: datetime
) -> OutgoingMessage:
    language = recipient.language if recipient.language in LANGUAGES else "de"
    values = {"recipient": recipient, "round": round_, "sender": sender, "c": content}
    rendered = render_email(content.kind, language, values)
    subject = rendered.subject

    message_id = f"<{uuid.uuid4().hex}@{sender.domain}>"
    thread = thread_id(round_, recipient, sender.domain)
    headers = [
        ("From", encode_address(sender.name, sender.address, "From")),
        ("To", encode_address(recipient.name, recipient.email, "To")),
        ("Reply-To", encode_address(round_.coordinator_name, sender.reply_to or round_.coordinator_email)),
        ("Subject", encode_header_value(subject)),
        ("Date", _date_header(now)),
        ("Message-ID", message_id),
        ("In-Reply-To", thread),
        ("References", thread),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
    ]
    headers += unsubscribe_headers(getattr(content, "stop_link", ""))
    return OutgoingMessage(
        idempotency_key=key,
        message_id=message_id,
        round_id=round_.round_id,
        kind=content.kind,
        recipient_email=recipient.email,
        recipient_participant_id=recipient.participant_id,
        subject=subject[:500],
        payload=build_alternative_message(
            headers,
            rendered.text,
            rendered.html,
            language,
            _calendar_entry(content, recipient, round_, sender, language, now),
        ),
    )


def _calendar_entry(
    content: MessageContent,
    recipient: Recipient,
    round_: RoundContext,
    sender: Sender,
    language: str,
    now: datetime,
) -> Attachment | None:
    """The calendar entry for the deadline a message asks the reader to keep, if it asks for one. Only a
    participant gets one: their number in the store makes the entry's UID, an address would put personal
    data in it (every kind that carries an entry is sent to participants)."""
    due = content.calendar_deadline()
    if due is None or recipient.participant_id is None:
        return None
    milestone, deadline = due
    wording = EntryWording(
        round_title=round_.title(language),
        sender_name=sender.name,
        coordinator_name=round_.coordinator_name,
        coordinator_email=round_.coordinator_email,
    )
    return deadline_entry(
        milestone=milestone,
        deadline=deadline,
        time_zone=round_.time_zone,
        round_slug=round_.slug,
        participant_id=recipient.participant_id,
        domain=sender.domain,
        language=language,
        wording=wording,
        now=now,
    )
