"""Moments as the people of a round read them: in the round's time zone, in their language, with the zone
named. Emails, portal pages and reports all write dates this way."""

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

_DATETIME_PATTERNS = {"de": "EEEE, d. MMMM y, HH:mm 'Uhr'", "en": "EEEE d MMMM y, HH:mm"}
_DATE_PATTERNS = {"de": "EEEE, d. MMMM y", "en": "EEEE d MMMM y"}


@lru_cache(maxsize=4096)
def format_moment(moment: datetime, zone: str, language: str) -> str:
    """A moment as a reader of `language` in time zone `zone` expects it, with the zone named."""
    tz = ZoneInfo(zone)
    local = moment.astimezone(tz)
    text = format_datetime(
        local, _DATETIME_PATTERNS.get(language, _DATETIME_PATTERNS["de"]), tzinfo=tz, locale=language
    )
    return f"{text} ({local.tzname()})" if language == "en" else f"{text} ({_german_zone(local)})"


def _german_zone(local: datetime) -> str:
    return {"CET": "MEZ", "CEST": "MESZ"}.get(local.tzname() or "", local.tzname() or "")


@lru_cache(maxsize=1024)
def format_day(moment: datetime, zone: str, language: str) -> str:
    """The day of a moment, in the reader's language and time zone."""
    return format_calendar_day(moment.astimezone(ZoneInfo(zone)).date(), language)


def format_calendar_day(day: date, language: str) -> str:
    """A calendar day (an adoption's, say), as a reader of `language` expects it."""
    return format_date(day, _DATE_PATTERNS.get(language, _DATE_PATTERNS["de"]), locale=language)
