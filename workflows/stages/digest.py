"""The coordinator's daily status digest, queued by the round driver once a day while a stage runs."""

from zoneinfo import ZoneInfo

from notifications.addressing import coordinator_of, round_context
from notifications.compose import compose_message
from notifications.message_kinds import StatusDigest
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.round_lock import lock_round
from review_model.status_digest import digest_day, digest_figures, last_digest_at
from review_model.store import session_scope
from workflows.stages.context import StageContext


def send_status_digest(context: StageContext, round_id: int) -> int:
    """Queue today's digest for the round's coordinator if it is due and not yet queued; returns 0 or 1.

    The outbox's idempotency key holds the round's local day, so a second pass that day queues nothing; it
    returns before counting and rendering once that day's digest is queued, as every later pass finds it.
    """
    if context.status_digest_hour is None:
        return 0
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # two drivers at once would both see no digest for today
        day = digest_day(round_, now, context.status_digest_hour)
        zone = ZoneInfo(round_.time_zone)
        previous = last_digest_at(session, round_id)
        if day is None or (previous is not None and previous.astimezone(zone).date() >= day):
            return 0
        figures = digest_figures(session, round_, day, now)
        days_left = (figures.deadline.astimezone(zone).date() - day).days if figures.deadline else None
        message = compose_message(
            StatusDigest(
                stage=round_.stage.value,
                deadline=figures.deadline,
                days_left=days_left,
                counts=figures.counts,
                failed_messages=figures.failed_messages,
                since=figures.since,
                changes=figures.changes,
                stages_entered=tuple(figures.stages_entered),
                to_do=tuple(figures.to_do),
            ),
            coordinator_of(round_),
            round_context(round_),
            context.sender,
            # not the round's stage: a stage change during the day must not make a second digest that day
            stage="digest",
            now=now,
            sequence=day.isoformat(),
        )
        return enqueue_messages(session, [message], now)
