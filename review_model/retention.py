"""How long a round keeps personal data: its retention period, counted from publication.

A round file's `retention` is an ISO 8601 duration (`P2Y`, `P18M`, `P90D`). When it has run out after the
report was published, the round driver archives the round and erases every personal datum of it
(review_model.erasure), while the published report and the organisations' figures stay. Years and months are
calendar years and months in the round's time zone, so `P2Y` after 15 March 2027 18:00 is 15 March 2029
18:00 there. A round without a retention period keeps its people's data until they are erased by hand.
"""

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import isodate

from config.translations import N_, translate
from review_model.vocabulary import Stage

# The longest period a round file may name: long enough for any audit or follow-up round, short enough that a
# slip of the pen (P200Y) is caught.
LONGEST_RETENTION_YEARS = 30


class RetainedRound(Protocol):
    """What the retention rule reads of a round (the Round table has all of it)."""

    stage: Stage
    stage_entered_at: datetime
    publication_at: datetime | None
    comment_deadline: datetime
    retention: str | None
    time_zone: str


def retention_problem(text: str) -> str | None:
    """Why `text` is not a retention period a round can have, or None when it is one."""
    try:
        period = isodate.parse_duration(text.strip().upper())
    except (isodate.ISO8601Error, ValueError):
        return f"{text!r} is not an ISO 8601 duration (e.g. P2Y, P18M, P90D)"
    start = datetime(2000, 1, 1)
    end = start + period
    if end <= start:
        return f"{text!r} must be a positive duration"
    if end > start.replace(year=start.year + LONGEST_RETENTION_YEARS):
        return f"{text!r} is longer than {LONGEST_RETENTION_YEARS} years"
    return None


def normal_retention(text: str) -> str:
    """The period as the store keeps it: upper case, no spaces (`p2y ` → `P2Y`)."""
    return text.strip().upper()


def published_on(round_: RetainedRound) -> datetime | None:
    """When the round's report was published; None before."""
    return round_.stage_entered_at if round_.stage is Stage.published else None


def erasure_due_at(round_: RetainedRound, published_at: datetime | None = None) -> datetime | None:
    """When the round's personal data is to be erased: its retention period after `published_at` (the actual
    publication once there is one, else the planned publication or, without one, the comment deadline); None
    for a round without a retention period."""
    if round_.retention is None:
        return None
    start = published_at or published_on(round_) or round_.publication_at or round_.comment_deadline
    zone = ZoneInfo(round_.time_zone)
    local = start.astimezone(zone).replace(tzinfo=None)  # calendar arithmetic on the wall clock
    ends: datetime = local + isodate.parse_duration(round_.retention)
    return ends.replace(tzinfo=zone).astimezone(start.tzinfo)


def erasure_is_due(round_: RetainedRound, now: datetime) -> bool:
    """Whether a published round's retention period has run out."""
    if round_.stage is not Stage.published:
        return False
    due = erasure_due_at(round_)
    return due is not None and now >= due


def retention_statement(round_: RetainedRound, language: str) -> str:
    """When the round's personal data is erased, in a sentence in `language`, as the coordinator is shown it
    at launch and in the round's overview."""
    due = erasure_due_at(round_)
    zone = ZoneInfo(round_.time_zone)
    if round_.stage is Stage.archived:
        when = f"{round_.stage_entered_at.astimezone(zone):%Y-%m-%d %H:%M %Z}"
        return translate(language, "review_model", N_("erased on {when}, when the round was archived"), when=when)
    if due is None:
        return translate(language, "review_model", N_("kept until each person is erased: the round file sets no "
                                                      "retention period (`retention`, e.g. P2Y)"))  # fmt: skip
    when = f"{due.astimezone(zone):%Y-%m-%d %H:%M %Z}"
    if round_.stage is Stage.published:
        sentence = N_("erased on {when}, {period} after publication; the report and the figures stay")
    else:
        sentence = N_("erased on {when}, {period} after the planned publication (counted from the day it is "
                      "published); the report and the figures stay")  # fmt: skip
    return translate(language, "review_model", sentence, when=when, period=round_.retention)
