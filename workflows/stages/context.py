"""Everything a stage needs besides the store's contents: the engine, the secret, the sender, the SMTP server."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from config.settings import Settings
from notifications.addressing import sender_from_settings
from notifications.compose import Sender
from notifications.delivery import (
    DeliveryOptions,
    SmtpServer,
    delivery_options_from_settings,
    smtp_server_from_settings,
)
from review_model import clock
from review_model.reminders import Numbering, reminder_due, scheduled_numbering
from review_model.round_lock import lock_round
from review_model.store import session_scope
from review_model.store_key import store_secret_key
from review_model.tables import Round
from review_model.tokens import link_url
from review_model.transitions import transition
from review_model.vocabulary import Stage, TokenPurpose


@dataclass(frozen=True)
class StageContext:
    engine: Engine
    secret: bytes
    sender: Sender
    public_base_url: str
    link_grace: timedelta
    smtp: SmtpServer
    delivery: DeliveryOptions
    # The reviewed parties get at least this long for their reply, however late the comment stage opens.
    min_reply: timedelta = timedelta(days=7)
    # The hour of the coordinator's daily status digest in the round's time zone; None: no digest.
    status_digest_hour: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> "StageContext":
        return cls(
            engine=engine,
            secret=store_secret_key(settings, engine),
            sender=sender_from_settings(settings),
            public_base_url=str(settings.public_base_url),
            link_grace=timedelta(days=settings.link_grace_days),
            smtp=smtp_server_from_settings(settings),
            delivery=delivery_options_from_settings(settings),
            min_reply=timedelta(days=settings.min_reply_days),
            status_digest_hour=settings.status_digest_hour if settings.status_digest else None,
        )

    def link(self, purpose: TokenPurpose, token: str) -> str:
        return link_url(self.public_base_url, purpose, token)

    def link_expiry(self, round_: Round, deadline: datetime) -> datetime:
        """Links stay readable for the grace period after their stage's deadline (and any late period)."""
        return deadline + timedelta(hours=round_.late_grace_hours) + self.link_grace


# remind(session, context, round, numbering, now) queues a stage's reminders and returns how many.
StageReminders = Callable[[Session, "StageContext", Round, Numbering, datetime], int]


def remind_on_schedule(
    context: StageContext, round_id: int, stage: Stage, deadline_of: Callable[[Round], datetime], remind: StageReminders
) -> int:
    """Queue the reminders of `stage` that the round's policy says are due now, counted from the stage's
    opening towards its deadline; returns how many."""
    now = clock.now()
    with session_scope(context.engine) as session:
        round_ = lock_round(session, round_id)  # two drivers at once would count the same reminders as unsent
        policy = (deadline_of(round_), round_.reminder_days_before, round_.max_reminders)
        if round_.stage is not stage or reminder_due(*policy, 0, now) is None:
            return 0
        return remind(session, context, round_, scheduled_numbering(*policy, now, since=round_.stage_entered_at), now)


# tell(session, context, round, now) queues what goes with a stage change and returns how many messages.
StageMessages = Callable[[Session, StageContext, Round, datetime], int]


def enter_stage_and_tell(
    context: StageContext,
    round_id: int,
    target: Stage,
    actor: str,
    tell: StageMessages,
    *,
    forced: bool = False,
    recorded_as: str = "messages",
) -> int:
    """Move the round into `target` (review_model.transitions) and queue, in the same transaction, the messages
    that go with the change; returns how many, 0 when the round was not in the stage before `target` (another
    driver took the change). The audit entry of the change counts them under `recorded_as`."""
    now = clock.now()
    with session_scope(context.engine) as session:
        with transition(session, round_id, target, actor, forced=forced, now=now) as change:
            if change is None:
                return 0
            queued = tell(session, context, change.round, now)
            change.details[recorded_as] = queued
        return queued
