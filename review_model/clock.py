"""The one source of "now": every deadline, reminder and expiry asks this function, so tests can move time."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)
