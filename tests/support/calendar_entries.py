"""Reading the calendar entry a message carries: the attachment found by the stdlib's parser, read by icalendar."""

import email
import email.policy
from email.message import EmailMessage

from icalendar import Calendar, Event

CALENDAR_KINDS = {"invitation", "review_request", "consensus_invitation", "comment_invitation", "deadline_extended"}


def parsed(payload: bytes) -> EmailMessage:
    message = email.message_from_bytes(payload, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def attachments(message: EmailMessage) -> list[EmailMessage]:
    return list(message.iter_attachments())  # type: ignore[arg-type]


def calendar_in(message: EmailMessage) -> Calendar:
    """The one calendar entry a message carries, as icalendar reads it, after checking how it is attached."""
    assert message.get_content_type() == "multipart/mixed"
    attached = attachments(message)
    assert len(attached) == 1
    (entry,) = attached
    assert entry.get_content_type() == "text/calendar"
    assert entry.get_param("method") == "PUBLISH" and entry.get_content_charset() == "utf-8"
    assert entry.get_content_disposition() == "attachment"
    assert (entry.get_filename() or "").endswith(".ics")
    data = entry.get_payload(decode=True)
    assert isinstance(data, bytes)
    calendar = Calendar.from_ical(data)
    assert isinstance(calendar, Calendar)
    return calendar


def event_in(message: EmailMessage) -> Event:
    """The calendar entry's one event."""
    calendar = calendar_in(message)
    assert calendar["METHOD"] == "PUBLISH"
    (event,) = calendar.events
    return event
