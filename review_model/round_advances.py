"""When the round driver last finished a pass over each round, and which active rounds it has left waiting.

The driver records the moment at the end of every pass that raised nothing; the portal's /health reads it
back, so an operator sees a Prefect worker or schedule that stopped advancing rounds before a deadline is
missed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model.retention import erasure_is_due
from review_model.tables import Round
from review_model.vocabulary import ACTIVE_STAGES, Stage


@dataclass(frozen=True)
class RoundAdvance:
    """An active round, and when the driver last finished a pass over it (None: never)."""

    slug: str
    stage: Stage
    last_advanced_at: datetime | None
    overdue: bool


def record_advance(store: Session | Engine, round_id: int, at: datetime) -> None:
    """Note that the driver finished a pass over the round at `at`.

    One UPDATE of that one column, so nothing else about the round changes (no stage time, no audit event):
    it runs after every pass, also the many that find nothing due. Given a session, it joins the session's
    transaction and the caller commits; given an engine, it commits on its own.
    """
    statement = update(Round).where(col(Round.id) == round_id).values(last_advanced_at=at)
    if isinstance(store, Session):
        store.connection().execute(statement)
    else:
        with store.begin() as connection:
            connection.execute(statement)


def active_round_advances(session: Session, now: datetime, overdue_after: timedelta) -> list[RoundAdvance]:
    """Every active round with its last advance, in one query over the stage index.

    A round is overdue when no pass has finished for longer than `overdue_after`; a round never advanced
    counts from when it entered its stage.
    """
    statement = (
        select(Round.slug, col(Round.stage), Round.last_advanced_at, Round.stage_entered_at)
        .where(col(Round.stage).in_(ACTIVE_STAGES))
        .order_by(col(Round.slug))
    )
    return [
        RoundAdvance(slug, stage, last, now - (last or entered) > overdue_after)
        for slug, stage, last, entered in session.exec(statement)
    ]


def rounds_to_advance(session: Session, now: datetime) -> list[tuple[int, str]]:
    """The rounds the driver's interval run goes over (id and slug, by id): every active round, and every
    published round whose retention period has run out (review_model.retention), which it archives. The other
    published rounds are left alone: they have nothing due for years, and a run each would be noise."""
    active = session.exec(select(Round.id, Round.slug).where(col(Round.stage).in_(ACTIVE_STAGES))).all()
    kept = session.exec(
        select(Round).where(col(Round.stage) == Stage.published, col(Round.retention).is_not(None))
    ).all()
    due = [(round_.id, round_.slug) for round_ in kept if erasure_is_due(round_, now)]
    return sorted((round_id, slug) for round_id, slug in [*active, *due] if round_id is not None)
