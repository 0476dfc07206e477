"""The one source of "now": every deadline, reminder and expiry asks this function, so tests can move time.

Tests move time with freezegun. `spr demo` runs a whole round in a minute or two on its own clock: it
moves "now" forward with `travel_to`, and everything that asks `now()` (stages, the portal in the same
process, link expiry) follows.
"""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """The current moment, timezone-aware in UTC (moved by `travel_to`, if the demo did)."""
    return datetime.now(UTC) + _offset


def travel_to(moment: datetime) -> None:
    """Make `now()` read `moment` from here on, time running on from there (for the demo's own clock)."""
    global _offset
    _offset = moment - datetime.now(UTC)


def back_to_real_time() -> None:
    """Undo `travel_to`."""
    global _offset
    _offset = timedelta(0)
