"""The calendar entry a message about a deadline carries: one event at the deadline, in the round's time zone.

An invitation, a review request and an invitation to reply each carry the deadline they ask for as an
iCalendar attachment (METHOD:PUBLISH: an entry to keep, not a meeting to answer); a message that moves a
deadline carries the same entry again, moved. Every entry of one person for one deadline of one round has the
same UID, made of the round's slug, the deadline and the person's number at the sender's domain, so that a
calendar replaces the entry it holds instead of adding a second one. Its SEQUENCE is the deadline itself in
minutes since 1970: a deadline only ever moves later when it is extended, so each extension carries a higher
SEQUENCE, with no count to keep and no query to make; an invitation sent again carries the sequence of the
deadline it states, as an extension to the same time did.

Calendar entries travel further than the email: they are synced to phones and shared calendars and shown to
colleagues and assistants. So an entry holds no personal link (a link opens the person's form to whoever has
it), no organisation under review (who reviews whom stays confidential) and not the email's subject (which
may name the reader's organisation); it names the round and the task, and says in which email the link is.

Building an entry with icalendar takes about a millisecond, and a round sends the same entry to thousands of
people with only the UID differing; so the entry is built once per round, deadline, language and batch, and
each message's UID is put into it (`deadline_entry`).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vText

from config.translations import N_, translate
from notifications.mime import Attachment
from review_model.moments import format_day
from review_model.round_timeline import Milestone

DOMAIN = "notifications"
CONTENT_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"
PRODUCT_ID = "-//spr//Stakeholder Peer Review//EN"

# The alarm: three days before the deadline, time enough to finish a form still open in two working days;
# the round's reminders by email (by default 7, 3 and 1 days before) go only to those who have not answered,
# the alarm reaches those who read their calendar more than their mail. When three days before has passed as
# the message goes out (a late invitation, a short extension), one day before; when that has passed too, none.
ALARM_BEFORE = (timedelta(days=3), timedelta(days=1))

_SUMMARIES = {
    Milestone.submission_deadline: N_("Deadline for your self-assessment: {round}"),
    Milestone.review_deadline: N_("Deadline for your peer review: {round}"),
    Milestone.consensus_deadline: N_("End of the reviewers' consensus: {round}"),
    Milestone.comment_deadline: N_("Deadline for your reply: {round}"),
}
_TASKS = {
    Milestone.submission_deadline: N_('Please submit your organisation\'s self-assessment for "{round}" by then.'),
    Milestone.review_deadline: N_('Please submit your peer review for "{round}" by then.'),
    Milestone.consensus_deadline: N_(
        "Until then you may revise your ratings, discuss the points of disagreement and answer the joint "
        'assessment in "{round}".'
    ),
    Milestone.comment_deadline: N_(
        'Until then you may reply to the draft findings on your organisation in "{round}"; a reply is voluntary.'
    ),
}
# Translators: the personal link is left out of the calendar entry on purpose; this says where it is.
# {day} is the day the email was sent, as "Saturday 20 February 2027".
_WHERE_THE_LINK_IS = N_(
    "Your personal link is in the email from {sender} of {day}. It is not in this calendar entry, which "
    "others who share your calendar may see."
)
_QUESTIONS = N_("Questions: {coordinator}, {email}")

_UID_PLACEHOLDER = "uid-of-the-reader"
_UID_PLACEHOLDER_LINE = f"\r\nUID:{_UID_PLACEHOLDER}\r\n".encode("ascii")
_NOT_IN_A_FILE_NAME = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class EntryWording:
    """What the entry says besides the moment: the round, who sends the email it comes with, whom to ask. The
    same for every reader of one language in a round, so it keys the cache of built entries."""

    round_title: str
    sender_name: str
    coordinator_name: str
    coordinator_email: str


def entry_uid(round_slug: str, milestone: Milestone, participant_id: int, domain: str) -> str:
    """The UID of a person's entry for one deadline of a round: the same for every message about it, with no
    name or address in it (the person's number only means something to the store that issued it)."""
    return f"spr.{round_slug}.{milestone.value}.p{participant_id}@{domain}"


def entry_sequence(deadline: datetime) -> int:
    """The entry's SEQUENCE: the deadline in whole minutes since 1970, higher with every extension (a
    deadline is only ever extended to a later time; an extension within the same minute is not told apart).
    It fits the 32-bit integer calendars keep until the year 6053."""
    return int(deadline.timestamp()) // 60


def deadline_entry(
    *,
    milestone: Milestone,
    deadline: datetime,
    time_zone: str,
    round_slug: str,
    participant_id: int,
    domain: str,
    language: str,
    wording: EntryWording,
    now: datetime,
) -> Attachment:
    """The calendar entry for one person's deadline, as an .ics file to attach: built once per round, deadline,
    language and moment, with this person's UID put in."""
    template = _entry_without_uid(milestone, deadline, time_zone, language, wording, now)
    uid_line = _uid_line(entry_uid(round_slug, milestone, participant_id, domain))
    # A line of its own (a folded line's continuation starts with a space): no title can hold it.
    data = template.replace(_UID_PLACEHOLDER_LINE, b"\r\n" + uid_line + b"\r\n", 1)
    slug = _NOT_IN_A_FILE_NAME.sub("-", round_slug.lower()).strip("-") or "round"
    return Attachment(CONTENT_TYPE, f"{slug}-{milestone.value.removesuffix('_deadline')}.ics", data)


def _uid_line(uid: str) -> bytes:
    """The UID property as a content line. icalendar's own line costs about 50 µs, as much as the rest of the
    entry's share of a message; a UID that fits one line needs only its escaping, and a longer one is folded
    by icalendar."""
    line = b"UID:" + vText(uid).to_ical()
    return line if len(line) <= 75 else bytes(Event().content_line("UID", vText(uid)).to_ical())


@lru_cache(maxsize=256)
def _entry_without_uid(
    milestone: Milestone, deadline: datetime, time_zone: str, language: str, wording: EntryWording, now: datetime
) -> bytes:
    zone = ZoneInfo(time_zone)
    start = deadline.astimezone(zone)
    round_ = wording.round_title
    summary = translate(language, DOMAIN, _SUMMARIES[milestone], round=round_)
    description = "\n\n".join(
        (
            translate(language, DOMAIN, _TASKS[milestone], round=round_),
            translate(
                language,
                DOMAIN,
                _WHERE_THE_LINK_IS,
                sender=wording.sender_name,
                day=format_day(now, time_zone, language),
            ),
            translate(
                language, DOMAIN, _QUESTIONS, coordinator=wording.coordinator_name, email=wording.coordinator_email
            ),
        )
    )

    event = Event()
    event.add("uid", _UID_PLACEHOLDER)
    event.add("dtstamp", now)
    event.add("sequence", entry_sequence(deadline))
    event.add("dtstart", start)
    event.add("dtend", start)  # a moment, not a span
    event.add("summary", summary)
    event.add("description", description)
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy in a shared calendar
    before = next((ahead for ahead in ALARM_BEFORE if deadline - ahead > now), None)
    if before is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -before)
        event.add_component(alarm)

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if "TZID" in event["dtstart"].params:  # not in UTC, which needs no VTIMEZONE
        calendar.add_component(_time_zone(time_zone, deadline.year))
    calendar.add_component(event)
    return bytes(calendar.to_ical())


@lru_cache(maxsize=32)
def _time_zone(time_zone: str, year: int) -> Timezone:
    """The zone's VTIMEZONE for the years around a deadline: its offsets then, for clients (Outlook among them)
    that do not look the TZID up themselves. From the year before, so the alarm and the DTSTAMP are covered,
    to the year after, so an extension into the next year is."""
    return Timezone.from_tzid(time_zone, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
