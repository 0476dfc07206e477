"""Reading the emails a round sends: their text, the personal links in them, who got which kind."""

import email
import email.policy
import re
from collections import Counter
from collections.abc import Iterable

from sqlmodel import Session, select

from notifications.dev_mail_server import ReceivedMessage
from review_model.tables import OutboxMessage
from tests.support.round_world import RoundWorld

LINK = re.compile(r"http://testserver(/a/[A-Za-z0-9_-]{43})")
REVIEW_LINK = re.compile(r"http://testserver(/r/[A-Za-z0-9_-]{43})")
REPLY_LINK = re.compile(r"http://testserver(/c/[A-Za-z0-9_-]{43})")


def text_of(message: ReceivedMessage) -> str:
    """The plain-text part of a received message."""
    return email.message_from_bytes(message.data, policy=email.policy.default).get_body(("plain",)).get_content()


def link_in(message: ReceivedMessage) -> str:
    """The path of the self-assessment link in a received message."""
    found = LINK.search(text_of(message))
    assert found is not None, text_of(message)
    return found.group(1)


def kinds_by_recipient(world: RoundWorld) -> Counter:
    """(the address's local part, kind) of every message in the outbox, counted."""
    with Session(world.engine) as session:
        rows = session.exec(select(OutboxMessage.recipient_email, OutboxMessage.kind)).all()
    return Counter((recipient.split("@")[0], kind) for recipient, kind in rows)


def reply_links(messages: Iterable[ReceivedMessage]) -> dict[str, str]:
    """The reply-link paths in these messages, by the local part of the address they went to, in order."""
    return {
        message.recipients[0].split("@")[0]: found.group(1)
        for message in messages
        if (found := REPLY_LINK.search(text_of(message)))
    }
