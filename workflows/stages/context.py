"""Everything a stage needs besides the store's contents: the engine, the secret, the sender, the SMTP server."""

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
from review_model.store_key import store_secret_key
from review_model.tables import Round
from review_model.tokens import link_url
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
        )

    def link(self, purpose: TokenPurpose, token: str) -> str:
        return link_url(self.public_base_url, purpose, token)

    def link_expiry(self, round_: Round, deadline: datetime) -> datetime:
        """Links stay readable for the grace period after their stage's deadline (and any late period)."""
        return deadline + timedelta(hours=round_.late_grace_hours) + self.link_grace


def move_stage(session: Session, round_id: int, expected: Stage, target: Stage, now: datetime) -> Round | None:
    """Move the round from `expected` to `target`; None (and nothing changed) when it is not in `expected`.

    Checking the stage inside the transaction makes a repeated or concurrent transition a no-op.
    """
    round_ = session.get(Round, round_id)
    assert round_ is not None
    if round_.stage is not expected:
        return None
    round_.stage, round_.stage_entered_at = target, now
    return round_
