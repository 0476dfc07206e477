"""The round scheduler inside `spr serve`: advance every active round every few minutes, and a round soon
after someone submitted to it."""

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from review_model.tables import Round
from review_model.vocabulary import Stage

log = logging.getLogger("spr.scheduler")
ACTIVE_STAGES = (Stage.invitation, Stage.submission, Stage.assignment, Stage.review, Stage.consolidation,
                 Stage.drafting, Stage.comment)  # fmt: skip


class RoundScheduler:
    """A background thread that runs `advance(round_id, slug)` for rounds that may have something due.

    `wake(round_id)` asks for one round to be advanced soon (the portal calls it after a submission);
    several wakes in quick succession are served by one run.
    """

    def __init__(self, engine: Engine, advance: Callable[[int, str], Any], interval_seconds: float):
        self.engine, self.advance, self.interval = engine, advance, interval_seconds
        self._woken: set[int] = set()
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="spr-round-scheduler", daemon=True)

    def start(self) -> "RoundScheduler":
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping = True
        self._event.set()
        self._thread.join(timeout)

    def wake(self, round_id: int) -> None:
        with self._lock:
            self._woken.add(round_id)
        self._event.set()

    def _run(self) -> None:
        everything_due = True  # the first pass looks at every active round
        while not self._stopping:
            with self._lock:
                woken, self._woken = self._woken, set()
            for round_id, slug in self._rounds(None if everything_due else woken):
                if self._stopping:
                    return
                try:
                    self.advance(round_id, slug)
                except Exception:  # one round's trouble must not stop the others; it is retried next time
                    log.exception("advancing round %s failed", slug)
            self._event.clear()
            everything_due = not self._event.wait(self.interval)

    def _rounds(self, only: set[int] | None) -> list[tuple[int, str]]:
        if only is not None and not only:
            return []
        statement = select(Round.id, Round.slug).where(col(Round.stage).in_(ACTIVE_STAGES)).order_by(col(Round.id))
        if only is not None:
            statement = statement.where(col(Round.id).in_(only))
        with Session(self.engine) as session:
            return [(round_id, slug) for round_id, slug in session.exec(statement).all()]
