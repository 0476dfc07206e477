"""When reminders are due: a pure reading of the round's reminder policy."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal

from config.translations import N_
from review_model.refusals import Reason
from review_model.vocabulary import Stage

# Which reminder a person gets now: given their address and the number of the latest reminder of this kind
# they had (Enrolment.reminders_sent and its siblings), the number of the reminder and the sequence that
# makes its message unique, or None for no reminder.
Numbering = Callable[[str, int], tuple[int, str] | None]

# The count of an enrolment's reminders of one kind (the number of the latest it had).
ReminderCount = Literal["reminders_sent", "review_reminders_sent", "consensus_reminders_sent", "reply_reminders_sent"]

# Who a reminder on demand goes to, by the stage that waits for them.
REMINDED_IN: dict[Stage, str] = {
    Stage.invitation: "respondents who have not submitted their self-assessment",
    Stage.submission: "respondents who have not submitted their self-assessment",
    Stage.review: "reviewers with reviews still open and reviewed parties with questions to answer",
    Stage.consensus: "reviewers whose joint assessment is still to write or to answer",
    Stage.comment: "reviewed parties that have not sent their reply",
}


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


def reminder_refusals(stage: Stage) -> list[str]:
    """Every reason why nobody can be reminded in `stage`; empty when the stage waits for someone's answer."""
    if stage in REMINDED_IN:
        return []
    return [
        Reason(
            N_("in stage {stage} nobody is waiting to answer: reminders go to respondents in {submission}, to "
               "reviewers in {review} and {consensus} and to the reviewed parties in {comment}"),
            stage=stage, submission=Stage.submission, review=Stage.review, consensus=Stage.consensus,
            comment=Stage.comment,
        )
    ]  # fmt: skip


def scheduled_numbering(
    deadline: datetime, days_before: list[int], max_reminders: int, now: datetime, since: datetime | None
) -> Numbering:
    """The reminders the round's policy says are due now (see `reminder_due`)."""

    def due(email: str, sent: int) -> tuple[int, str] | None:
        number = reminder_due(deadline, days_before, max_reminders, sent, now, since=since)
        return None if number is None else (number, str(number))

    return due


def on_demand_numbering(email: str | None, now: datetime) -> Numbering:
    """The coordinator's "remind now": everyone (or the one with `email`) gets their next reminder, once per
    moment however often it is asked for."""

    def chosen(address: str, sent: int) -> tuple[int, str] | None:
        wanted = email is None or address.lower() == email.lower()
        return (sent + 1, f"now-{now:%Y%m%d%H%M%S}") if wanted else None

    return chosen
