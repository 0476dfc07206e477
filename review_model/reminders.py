"""When reminders are due: a pure reading of the round's reminder policy."""

from datetime import datetime, timedelta


def reminder_times(deadline: datetime, days_before: list[int]) -> list[datetime]:
    """The moments reminders fall due, earliest first (7, 3 and 1 days before the deadline, say)."""
    return sorted(deadline - timedelta(days=days) for days in days_before)


def reminder_due(
    deadline: datetime,
    days_before: list[int],
    max_reminders: int,
    sent: int,
    now: datetime,
    since: datetime | None = None,
) -> int | None:
    """The number of the reminder to send now to someone who has had `sent`, or None.

    Only reminder times after `since` (when the person was asked: their invitation, or the opening of the
    review stage) count, so an invitation and a reminder never arrive together. When the driver did not run
    for a while and several reminder times have passed, one reminder goes out, counted as the latest one
    due: nobody gets a burst of reminders. Never after the deadline, never more than `max_reminders`.
    """
    if now >= deadline:
        return None
    times = reminder_times(deadline, days_before)
    passed = sum(1 for moment in times if moment <= now and (since is None or moment > since))
    due = min(passed, max_reminders)
    return due if due > sent else None


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days until the deadline, rounded up (a deadline 30 hours away is 2 days away)."""
    seconds = (deadline - now).total_seconds()
    return max(0, int(-(-seconds // 86400)))
