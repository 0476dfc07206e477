"""The calendar entry of a deadline: the moment in the round's time zone, an alarm, the reader's language, a UID
that stays with the deadline when it moves, and nothing in it a shared calendar should not show."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from notifications.compose import Recipient, compose_message
from notifications.message_kinds import CommentInvitation, DeadlineExtended, Invitation, ReviewRequest, ReviewTask
from review_model.questionnaire import Text
from tests.support.calendar_entries import calendar_in, event_in, parsed
from tests.support.outgoing_mail import DEADLINE, NOW, ROUND, SENDER

LINK = "http://127.0.0.1:8000/a/Zm9vYmFyYmF6cXV4"
REVIEW_LINK = "http://127.0.0.1:8000/r/cmV2aWV3bGluaw"
ANNA = Recipient("anna.schmidt@stadt-auenburg.example", "Anna Schmidt", "de", 41, "Stadt Auenburg")

INVITATION = Invitation(LINK, DEADLINE, Text(de="Selbsteinschätzung", en="Self-assessment"), 27)
REVIEW_REQUEST = ReviewRequest(DEADLINE, (ReviewTask("Gemeinde Talbach", REVIEW_LINK),))
COMMENT_INVITATION = CommentInvitation(LINK, DEADLINE, 4, 2)


def entry_of(content, recipient=ANNA, round_=ROUND, now=NOW):
    message = compose_message(content, recipient, round_, SENDER, stage="test", now=now)
    assert message.error is None
    return event_in(parsed(message.payload))


@pytest.mark.parametrize("content", [INVITATION, REVIEW_REQUEST, COMMENT_INVITATION], ids=lambda c: c.kind)
def test_each_deadline_is_an_entry_at_its_moment_in_the_rounds_zone_with_an_alarm_three_days_before(content):
    message = compose_message(content, ANNA, ROUND, SENDER, stage="test", now=NOW)
    calendar = calendar_in(parsed(message.payload))
    (event,) = calendar.events
    assert event.start == DEADLINE and event.end == DEADLINE  # a moment, not a span
    local = event.DTSTART  # as written: 18:00 on the wall clocks of Berlin, the round's zone
    assert (str(local.tzinfo), local.replace(tzinfo=None)) == ("Europe/Berlin", datetime(2027, 3, 15, 18, 0))
    # The entry's own VTIMEZONE says the same, for clients that do not know the zone by its name.
    (zone,) = calendar.timezones
    assert zone.tz_name == "Europe/Berlin"
    own_zone = zone.to_tz(lookup_tzid=False)
    assert local.replace(tzinfo=own_zone).astimezone(UTC) == DEADLINE
    assert [(alarm["ACTION"], alarm.TRIGGER) for alarm in event.walk("VALARM")] == [("DISPLAY", -timedelta(days=3))]
    assert event["DTSTAMP"].dt == NOW and event["TRANSP"] == "TRANSPARENT"
    assert b"METHOD:PUBLISH" in calendar.to_ical() and "RSVP" not in calendar.to_ical().decode()


def test_an_entry_names_the_round_and_the_task_in_the_reader_language_and_says_where_the_link_is():
    german = entry_of(INVITATION)
    english = entry_of(INVITATION, replace(ANNA, language="en"))
    assert german["SUMMARY"] == "Einsendeschluss für Ihre Selbsteinschätzung: Frühjahrsrunde 2027"
    assert english["SUMMARY"] == "Deadline for your self-assessment: Spring round 2027"
    assert (
        "Ihren persönlichen Link finden Sie in der E-Mail von Stakeholder Peer Review vom Samstag, "
        in (german["DESCRIPTION"])
    )
    assert (
        "Your personal link is in the email from Stakeholder Peer Review of Saturday 20 February 2027."
        in (english["DESCRIPTION"])
    )
    assert entry_of(REVIEW_REQUEST, replace(ANNA, language="en"))["SUMMARY"] == (
        "Deadline for your peer review: Spring round 2027"
    )
    assert entry_of(COMMENT_INVITATION)["SUMMARY"] == "Frist für Ihre Stellungnahme: Frühjahrsrunde 2027"


@pytest.mark.parametrize("content", [INVITATION, REVIEW_REQUEST, COMMENT_INVITATION], ids=lambda c: c.kind)
def test_an_entry_holds_no_personal_link_nor_anything_about_the_reader_nor_whom_they_review(content):
    whole = entry_of(content).to_ical().decode()
    unfolded = whole.replace("\r\n ", "")
    for secret in (LINK, REVIEW_LINK, "Zm9vYmFy", "/a/", "/r/", "Anna", "Schmidt", "anna.schmidt", "Talbach"):
        assert secret not in unfolded, secret
    assert "Auenburg" not in unfolded  # the reader's organisation neither (the email's subject may name it)


def test_the_uid_is_the_persons_for_that_deadline_of_the_round_and_the_same_in_every_language():
    uid = entry_of(INVITATION)["UID"]
    assert uid == "spr.fruehjahr-2027.submission_deadline.p41@spr.example.org"
    assert entry_of(INVITATION, replace(ANNA, language="en"))["UID"] == uid
    assert entry_of(INVITATION, replace(ANNA, participant_id=42))["UID"] != uid
    assert entry_of(REVIEW_REQUEST)["UID"] == "spr.fruehjahr-2027.review_deadline.p41@spr.example.org"
    assert entry_of(COMMENT_INVITATION)["UID"] == "spr.fruehjahr-2027.comment_deadline.p41@spr.example.org"
    assert entry_of(INVITATION, round_=replace(ROUND, slug="herbst-2027"))["UID"] != uid


def test_an_extension_carries_the_same_entry_moved_with_a_higher_sequence_each_time():
    invited = entry_of(INVITATION)
    first_move, second_move = DEADLINE + timedelta(days=3), DEADLINE + timedelta(days=3, minutes=30)
    extended = entry_of(DeadlineExtended(LINK, first_move, DEADLINE), now=NOW + timedelta(days=20))
    again = entry_of(DeadlineExtended(LINK, second_move, first_move), now=NOW + timedelta(days=22))
    assert invited["UID"] == extended["UID"] == again["UID"]
    assert invited["SEQUENCE"] < extended["SEQUENCE"] < again["SEQUENCE"]
    assert (extended.start, again.start) == (first_move, second_move)
    assert extended["DTSTAMP"].dt > invited["DTSTAMP"].dt
    # Sent again later, the invitation states the deadline of now, with the sequence of the extension to it.
    resent = entry_of(replace(INVITATION, deadline=second_move), now=NOW + timedelta(days=23))
    assert (resent["UID"], resent["SEQUENCE"], resent.start) == (again["UID"], again["SEQUENCE"], second_move)


def test_a_round_in_new_york_shows_the_deadline_at_new_york_time():
    new_york = replace(ROUND, time_zone="America/New_York")
    message = compose_message(INVITATION, ANNA, new_york, SENDER, stage="test", now=NOW)
    calendar = calendar_in(parsed(message.payload))
    (event,) = calendar.events
    # 17:00 UTC on 15 March 2027, a day after the clocks went forward there: 13:00 EDT, not 12:00 EST.
    assert (str(event.DTSTART.tzinfo), event.DTSTART.replace(tzinfo=None)) == (
        "America/New_York",
        datetime(2027, 3, 15, 13, 0),
    )
    assert event.start.astimezone(UTC) == DEADLINE
    (zone,) = calendar.timezones
    assert zone.tz_name == "America/New_York"
    assert event.DTSTART.replace(tzinfo=zone.to_tz(lookup_tzid=False)).utcoffset() == timedelta(hours=-4)


def test_a_round_in_utc_writes_the_moment_in_utc_with_no_zone_to_describe():
    calendar = calendar_in(parsed(compose_message(INVITATION, ANNA, replace(ROUND, time_zone="UTC"), SENDER,
                                                  stage="test", now=NOW).payload))  # fmt: skip
    assert calendar.timezones == [] and calendar.events[0].start == DEADLINE
    assert b"DTSTART:20270315T170000Z" in calendar.to_ical()


@pytest.mark.parametrize(
    ("before_the_deadline", "alarms"),
    [(timedelta(days=3, minutes=1), [-timedelta(days=3)]),
     (timedelta(days=2), [-timedelta(days=1)]),
     (timedelta(hours=20), [])],
)  # fmt: skip
def test_the_alarm_comes_one_day_before_when_three_days_before_has_passed_and_not_at_all_after_that(
    before_the_deadline, alarms
):
    event = entry_of(INVITATION, now=DEADLINE - before_the_deadline)
    assert [alarm.TRIGGER for alarm in event.walk("VALARM")] == alarms


def test_a_message_to_someone_who_is_no_participant_carries_no_entry():
    """Its UID would have to be made of the address; every kind with an entry goes to participants anyway."""
    message = compose_message(INVITATION, replace(ANNA, participant_id=None), ROUND, SENDER, stage="test", now=NOW)
    email = parsed(message.payload)
    assert email.get_content_type() == "multipart/alternative" and list(email.iter_attachments()) == []


def test_the_attachment_is_written_as_the_header_says_and_every_line_stays_short():
    payload = compose_message(INVITATION, ANNA, ROUND, SENDER, stage="test", now=NOW).payload
    assert b"Content-Type: text/calendar; charset=utf-8; method=PUBLISH\r\n" in payload
    assert b'Content-Disposition: attachment;\r\n filename="fruehjahr-2027-submission.ics"\r\n' in payload
    assert all(len(line) <= 78 for line in payload.split(b"\r\n"))
    entry = parsed(payload)
    data = next(entry.iter_attachments()).get_payload(decode=True)
    assert all(len(line.encode()) <= 75 for line in data.decode().split("\r\n"))  # folded as RFC 5545 asks
    assert data.endswith(b"END:VCALENDAR\r\n")


def test_a_long_slug_and_domain_fold_the_uid_line_and_it_reads_back_whole():
    slug = "ueberoertliche-zusammenarbeit-smarter-kommunen-2027"
    sender = replace(SENDER, address="peer-review@geschaeftsstelle.smarte-regionen.example.org")
    message = compose_message(INVITATION, ANNA, replace(ROUND, slug=slug), sender, stage="test", now=NOW)
    event = event_in(parsed(message.payload))
    assert event["UID"] == f"spr.{slug}.submission_deadline.p41@geschaeftsstelle.smarte-regionen.example.org"


def test_a_round_title_that_looks_like_a_uid_line_stays_in_the_summary():
    hostile = replace(ROUND, title_de="Runde\r\nUID:uid-of-the-reader\r\nX: 1 UID:uid-of-the-reader")
    event = entry_of(INVITATION, round_=hostile)
    assert event["UID"] == "spr.fruehjahr-2027.submission_deadline.p41@spr.example.org"
    assert "UID:uid-of-the-reader" in event["SUMMARY"] and "X" not in event
