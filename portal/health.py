"""What /health reports: whether the store takes writes, whether the Prefect server answers, and when the
round driver last advanced each active round.

Only a store that cannot take writes makes /health fail (503): a load balancer then takes the portal out of
rotation, rightly, since it could not keep anyone's answers. A Prefect server that does not answer, or a
round nobody has advanced for a while, leaves it at 200 with status "degraded" and the reasons: the portal
still serves every form and saves every submission, and the rounds move on once Prefect is back, so taking
the portal out of rotation would only turn a delay into an outage for participants. Monitoring reads the body.
"""

import os
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from portal.failures import check_store_writable
from portal.prefect_probe import prefect_problem, split_credentials
from review_model import clock
from review_model.round_advances import RoundAdvance, active_round_advances
from review_model.store import reading_session

PREFECT_TIMEOUT_SECONDS = 1.5
# A load balancer may ask every second; Prefect is asked at most once in this many seconds per process.
PREFECT_CACHE_SECONDS = 5.0
# A round is overdue when the driver has not finished a pass over it for this many scheduling intervals.
OVERDUE_INTERVALS = 3
NAMED_OVERDUE_ROUNDS = 5  # the problem line names this many overdue rounds, then counts the rest


def prefect_api_from_environment() -> str | None:
    """The Prefect API the engine's flows use, as the environment gives it (PREFECT_API_URL; empty means none)."""
    return os.environ.get("PREFECT_API_URL") or None


class PrefectCheck:
    """Whether the Prefect API answers GET {api}/health, asked at most once every PREFECT_CACHE_SECONDS.

    One request thread asks at a time; the others meanwhile take the previous answer rather than wait, since
    the portal has few threads and a Prefect server that does not answer holds each asker for the timeout.
    """

    def __init__(
        self,
        api_url: str | None,
        *,
        timeout_seconds: float = PREFECT_TIMEOUT_SECONDS,
        cache_seconds: float = PREFECT_CACHE_SECONDS,
    ) -> None:
        # The address is shown and asked without the user name and password a URL may carry (they go in a
        # header, as Prefect's own client sends them), so neither /health nor an error message shows them.
        self.api_url: str | None
        self._authorization: str | None
        self.api_url, self._authorization = split_credentials(api_url.rstrip("/")) if api_url else (None, None)
        self.timeout_seconds = timeout_seconds
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._answer: dict[str, Any] | None = None
        self._asked_at = 0.0

    def report(self) -> dict[str, Any]:
        """The API's address (without any credentials in it) and whether it answers, with the reason if not."""
        if self.api_url is None:
            return {
                "api": None,
                "status": "not configured",
                "detail": "this portal knows no Prefect server (PREFECT_API_URL): submissions do not start "
                "an advance of their round; rounds advance where a worker or `spr round advance` runs",
            }
        if not self._lock.acquire(blocking=self._answer is None):  # another thread is asking now
            assert self._answer is not None
            return self._answer
        try:
            age = time.monotonic() - self._asked_at
            if self._answer is None or not 0 <= age < self.cache_seconds:
                self._answer = self._ask()
                self._asked_at = time.monotonic()
            return self._answer
        finally:
            self._lock.release()

    def _ask(self) -> dict[str, Any]:
        assert self.api_url is not None
        answer: dict[str, Any] = {"api": self.api_url}
        problem = prefect_problem(self.api_url, self._authorization, self.timeout_seconds)
        return answer | ({"status": "unavailable", "error": problem} if problem else {"status": "ok"})


def health_report(engine: Engine, prefect: PrefectCheck, advance_interval_seconds: float) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the body of /health (see the module's description for what fails it)."""
    overdue_after = timedelta(seconds=OVERDUE_INTERVALS * advance_interval_seconds)
    problems: list[str] = []
    rounds: list[RoundAdvance] | None = None
    try:
        check_store_writable(engine)
        with reading_session(engine) as session:
            rounds = active_round_advances(session, clock.now(), overdue_after)
        database = "ok"
    except Exception as error:  # a store that cannot be reached or written to cannot keep answers
        database = type(error).__name__
        problems.append(f"the store does not take writes ({database})")
    prefect_report = prefect.report()
    if prefect_report["status"] == "unavailable":
        problems.append(f"Prefect API {prefect_report['api']} does not answer ({prefect_report['error']})")
    overdue = [advance.slug for advance in rounds or () if advance.overdue]
    if overdue:
        more = len(overdue) - NAMED_OVERDUE_ROUNDS
        named = ", ".join(overdue[:NAMED_OVERDUE_ROUNDS]) + (f" and {more} more" if more > 0 else "")
        problems.append(f"not advanced for over {_duration(overdue_after)}: {named}")
    status = "unavailable" if rounds is None else "degraded" if problems else "ok"
    body = {
        "status": status,
        "problems": problems,
        "database": database,
        "prefect": prefect_report,
        "rounds": None if rounds is None else [_round_entry(advance) for advance in rounds],
    }
    return (503 if rounds is None else 200), body


def _round_entry(advance: RoundAdvance) -> dict[str, Any]:
    return {
        "slug": advance.slug,
        "stage": advance.stage.value,
        "last_advanced_at": _iso(advance.last_advanced_at),
        "overdue": advance.overdue,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _duration(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    return f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:g} h"
