"""Limits on guessing personal links and report addresses (BSI IT-Grundschutz APP.3.1): a burst of guesses
from one address is answered 429, a participant using their own link never is.

Two limits per client address, over the requests to personal links (/a/, /r/, /c/, /q/) and reports (/reports/):
- Failed lookups. A request answered 404 (no such link, report or file; a revoked link) or 410 (an expired
  link) is a failed lookup. An address with `failure_limit` of them in FAILURE_WINDOW is answered 429 on every
  such request, working links included (a guesser must not learn that a token exists by being let through),
  until the oldest of those failures has left the window. A participant's own link never fails however often
  it is reloaded or saved, so only guessing, or a broken link tried again and again, counts. The default, 20
  in 10 minutes, leaves room for several people behind one address (a ministry behind NAT) each trying a
  mistyped or outdated link a few times, and holds a guesser to a few thousand guesses a day per address:
  nothing against 256-bit tokens, and the store is spared the flood.
- A ceiling on all such requests: `requests_per_minute` from one address (600 by default, ten a second) is far
  above what people do (someone saving a long form every few seconds makes about 30 a minute; a hundred
  colleagues behind one address working at once a few hundred) and stops one address from hammering the portal
  with a working link.

The counters are kept in this process, not in the store: counting there would make every failed guess a
write, handing the guesser the very load the limit is to keep away. The portal is one process per machine;
behind a load balancer with several, each counts what reaches it, which multiplies a guesser's allowance by a
handful at most. The counters' memory is bounded: addresses with nothing left in their window are forgotten
as time passes, and beyond MAX_ADDRESSES the least recent ones go first (that can only let a guesser in
sooner, never keep a participant out). IPv6 addresses are counted by their /64 network, which one client can
change addresses within at will. Only the event loop touches the counters (the middleware runs there), so
they need no lock.
"""

import ipaddress
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.client_address import request_address
from review_model import clock

log = logging.getLogger("spr.portal")

# Personal links (forms, reviews, replies, questions, the page that stops reminders) and reports.
GUARDED_PATHS = ("/a/", "/r/", "/c/", "/q/", "/reminders/", "/reports/")
FAILED_LOOKUP = frozenset({404, 410})
FAILURE_WINDOW = timedelta(minutes=10).total_seconds()
CEILING_WINDOW = 60.0
# Per counter. Full, with 20 failures kept per address, both counters together take about 17 MB (measured with
# tracemalloc: 10,000 addresses each failing 20 times).
MAX_ADDRESSES = 10_000


@dataclass
class _Failures:
    """The moments of an address's latest failed lookups (at most the limit's worth), oldest first."""

    moments: deque[float]
    logged_until: float = 0.0  # one log line per address and window


@dataclass
class _Requests:
    """An address's requests in the current minute and the one before: a sliding window in constant space."""

    minute: int
    current: int = 0
    previous: int = 0
    logged_until: float = 0.0


@dataclass
class RequestLimits:
    """The counters of one portal process."""

    failure_limit: int
    requests_per_minute: int
    max_addresses: int = MAX_ADDRESSES
    _failures: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)  # least recently failed first
    _requests: OrderedDict[str, _Requests] = field(default_factory=OrderedDict)  # least recently seen first

    def admit(self, address: str, now: float) -> float | None:
        """Count a request from `address`; None lets it through, else the seconds until the address may try
        again."""
        key = counting_key(address)
        over_ceiling = self._count_request(key, address, now)
        blocked_until = self._blocked_until(key, now)
        waits = [until - now for until in (blocked_until, over_ceiling) if until is not None]
        return max(waits) if waits else None

    def failed(self, address: str, now: float) -> None:
        """Note a failed lookup from `address`; the first that puts it over the limit in a window is logged."""
        key = counting_key(address)
        entry = self._failures.get(key)
        if entry is None:
            entry = self._failures[key] = _Failures(deque(maxlen=self.failure_limit))
        else:
            self._failures.move_to_end(key)
        entry.moments.append(now)
        self._forget_failures(now)
        until = self._blocked_until(key, now)
        if until is not None and now >= entry.logged_until:
            entry.logged_until = now + FAILURE_WINDOW
            log.warning(
                "%d failed lookups of personal links or reports from %s within %d minutes: its requests to them "
                "are answered 429 for %d seconds", len(entry.moments), _shown(address, key),
                FAILURE_WINDOW // 60, math.ceil(until - now),
            )  # fmt: skip

    def addresses_held(self) -> int:
        """How many addresses the counters remember (for the tests of their bound)."""
        return len(self._failures) + len(self._requests)

    def _blocked_until(self, key: str, now: float) -> float | None:
        entry = self._failures.get(key)
        if entry is None or len(entry.moments) < self.failure_limit:
            return None
        until = entry.moments[0] + FAILURE_WINDOW
        return until if until > now else None

    def _count_request(self, key: str, address: str, now: float) -> float | None:
        """Count the request; the moment the address is under the ceiling again when it is over it."""
        minute = int(now // CEILING_WINDOW)
        entry = self._requests.get(key)
        if entry is None:
            entry = self._requests[key] = _Requests(minute)
        else:
            self._requests.move_to_end(key)
        if entry.minute != minute:
            entry.previous = entry.current if entry.minute == minute - 1 else 0
            entry.current, entry.minute = 0, minute
        entry.current += 1
        self._forget_requests(minute)
        into_minute = now - minute * CEILING_WINDOW
        estimate = entry.previous * (1 - into_minute / CEILING_WINDOW) + entry.current
        if estimate <= self.requests_per_minute:
            return None
        if now >= entry.logged_until:
            entry.logged_until = now + FAILURE_WINDOW
            log.warning(
                "more than %d requests a minute to personal links or reports from %s: answered 429 until it slows",
                self.requests_per_minute, _shown(address, key),
            )  # fmt: skip
        return (minute + 1) * CEILING_WINDOW

    def _forget_failures(self, now: float) -> None:
        while self._failures:
            key, oldest = next(iter(self._failures.items()))
            if len(self._failures) <= self.max_addresses and oldest.moments[-1] > now - FAILURE_WINDOW:
                break
            del self._failures[key]

    def _forget_requests(self, minute: int) -> None:
        while self._requests:
            key, oldest = next(iter(self._requests.items()))
            if len(self._requests) <= self.max_addresses and oldest.minute >= minute - 1:
                break
            del self._requests[key]


def counting_key(address: str) -> str:
    """What an address is counted under: itself, an IPv4-mapped IPv6 address as IPv4, other IPv6 addresses as
    their /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _shown(address: str, key: str) -> str:
    return address if key == address else f"{address} ({key})"


class LimitGuessing:
    """Applies the limits to the requests for personal links and reports (a plain ASGI middleware: cheap on
    every request, and it sees each answer's status). A limited request is answered by `on_limited`, given
    the seconds to wait, before anything is looked up, so its answer says nothing about the link."""

    def __init__(self, app: ASGIApp, limits: RequestLimits, on_limited: Callable[[Scope, float], Response]):
        self.app, self.limits, self.on_limited = app, limits, on_limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(GUARDED_PATHS):
            await self.app(scope, receive, send)
            return
        address = request_address(HTTPConnection(scope))
        wait = self.limits.admit(address, clock.now().timestamp())
        if wait is not None:
            await self.on_limited(scope, wait)(scope, receive, send)
            return
        status = 0

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, noting_status)
        if status in FAILED_LOOKUP:
            self.limits.failed(address, clock.now().timestamp())
