"""Delivering the outbox over SMTP with aiosmtplib.

Batches are claimed from the store and sent over a few reused connections in parallel, all sharing one
TLS context (aiosmtplib would otherwise build one per connection, ~25 ms each). What happened to each
message is written to the store before its connection takes the next one (outcomes that arrive together
from several connections share a transaction), and while it cannot be written nothing new goes to the
server: a worker that dies leaves at most one sent but unrecorded message per connection, which goes out
again after the claim timeout (with the same Message-ID). Connection errors, timeouts and 4xx replies are
retried with exponential backoff; a 5xx reply to a message fails it for good and keeps the server's reply.
One failed message never holds up the others.

Domains go to the server in IDNA form; a message with a non-ASCII local part (or UTF-8 headers) is sent
with SMTPUTF8 when the server offers it, and otherwise fails with that reason.
"""

import asyncio
import logging
import os
import random
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

import aiosmtplib
from sqlalchemy.engine import Engine

from config.settings import Settings
from notifications import event_loops
from notifications.outbox import (
    ClaimedMessage,
    Failure,
    Retry,
    claim_batch,
    next_due_at,
    record_outcomes,
    release_stale_claims,
)
from notifications.wire_addresses import UnsendableAddress, needs_smtputf8, wire_address
from review_model import clock

log = logging.getLogger("spr.delivery")


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to reach the SMTP server."""

    host: str = "127.0.0.1"
    port: int = 8025
    tls: Literal["none", "starttls", "tls"] = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None

    def tls_context(self) -> ssl.SSLContext | None:
        """The one TLS context every connection of a delivery run shares."""
        if self.tls == "none":
            return None
        return ssl.create_default_context(cafile=self.ca_file)

    def describe(self) -> str:
        return f"{self.host}:{self.port} ({self.tls})"


@dataclass(frozen=True)
class DeliveryOptions:
    connections: int = 4
    batch_size: int = 200
    max_attempts: int = 8
    retry_seconds: float = 60.0
    retry_max_seconds: float = 6 * 3600.0
    rate_limit: float | None = None  # messages per second, across all connections
    stale_after: timedelta = timedelta(minutes=10)
    # Keep running while a retry falls due within this many seconds (0: stop once nothing is due now).
    linger_seconds: float = 0.0
    # When outcomes cannot be written, try again after this long (doubling up to 5 s), and give up after
    # record_patience, well before stale_after, after which another worker would send the claimed messages.
    record_retry_seconds: float = 0.1
    record_patience: timedelta = timedelta(minutes=2)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    released_stale: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # why delivery stopped before the queue was done, if it did

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


Outcome = int | Retry | Failure  # a message id alone: sent


class _RecordingUnavailable(Exception):
    """Outcomes could not be written for longer than the delivery options allow."""


class _Recorder:
    """Writes each outcome promptly; outcomes that arrive while a write runs go into the next one.

    `record` returns once the outcome is in the store. While the store cannot be written, outcomes wait
    (and so do the connections that sent them); after `record_patience` the recorder gives up, and
    delivery stops handing messages to the server.
    """

    def __init__(self, engine: Engine, options: DeliveryOptions, report: DeliveryReport):
        self.engine, self.options, self.report = engine, options, report
        self.waiting: list[tuple[Outcome, asyncio.Future[None]]] = []
        self.arrived = asyncio.Event()
        self.failed: str | None = None  # why recording gave up, once it has

    async def record(self, outcome: Outcome) -> None:
        if self.failed is not None:
            raise _RecordingUnavailable(self.failed)
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((outcome, done))
        self.arrived.set()
        await done

    async def run(self) -> None:
        while True:
            await self.arrived.wait()
            self.arrived.clear()
            batch: list[tuple[Outcome, asyncio.Future[None]]] = []
            delay, give_up_at = self.options.record_retry_seconds, None
            while True:
                batch, self.waiting = batch + self.waiting, []
                try:
                    await asyncio.to_thread(self._write, [outcome for outcome, _ in batch])
                    break
                except Exception as error:
                    give_up_at = give_up_at or time.monotonic() + self.options.record_patience.total_seconds()
                    if time.monotonic() >= give_up_at:
                        self._give_up(batch, error)
                        return
                    log.warning("recording delivery results failed (%s); nothing more is sent until it works", error)
                    await asyncio.sleep(delay)
                    delay = min(5.0, delay * 2)
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    def _write(self, outcomes: list[Outcome]) -> None:
        sent = [o for o in outcomes if isinstance(o, int)]
        retries = [o for o in outcomes if isinstance(o, Retry)]
        failures = [o for o in outcomes if isinstance(o, Failure)]
        record_outcomes(self.engine, self.options.worker, sent, retries, failures, clock.now())
        self.report.sent += len(sent)
        self.report.retried += len(retries)
        self.report.failed += len(failures)

    def _give_up(self, batch: list[tuple[Outcome, asyncio.Future[None]]], error: Exception) -> None:
        self.failed = f"delivery results could not be recorded: {type(error).__name__}: {error}"
        log.error("%s; delivery stops, %d outcomes are handled again after the claim timeout", self.failed, len(batch))
        for _, done in batch + self.waiting:
            if not done.done():
                done.set_exception(_RecordingUnavailable(self.failed))
        self.waiting = []


class _RateLimiter:
    """Spaces sends so that no more than `rate` go out per second, across all connections."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next_slot = time.monotonic()
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_slot)
            self.next_slot = slot + self.interval
        await asyncio.sleep(max(0.0, slot - now))


class _ConnectionTrouble(Exception):
    """Connecting or logging in failed; the message was not handed over."""


async def deliver_outbox(
    engine: Engine,
    server: SmtpServer,
    envelope_from: str,
    options: DeliveryOptions | None = None,
    *,
    more_coming: Callable[[], bool] | None = None,
) -> DeliveryReport:
    """Send every message that is due now, then return what happened.

    `more_coming`, when given, keeps delivery waiting for new messages while it returns True, so that
    sending overlaps with a stage that is still enqueueing. Safe to run in several processes at once:
    each message is claimed by one worker. A worker that dies leaves its claims in `sending`; the next run
    puts claims older than `stale_after` back in the queue.
    """
    options = options or DeliveryOptions()
    started = time.perf_counter()
    report = DeliveryReport()
    report.released_stale = await asyncio.to_thread(release_stale_claims, engine, options.stale_after, clock.now())
    if options.rate_limit:
        # Claim no more than can go out well within the stale timeout, or another run would send it again.
        affordable = int(options.rate_limit * options.stale_after.total_seconds() / 4)
        options = replace(options, batch_size=max(1, min(options.batch_size, affordable)))
    recorder = _Recorder(engine, options, report)
    queue: asyncio.Queue[ClaimedMessage | None] = asyncio.Queue(maxsize=options.batch_size)
    sender = _Sender(server, envelope_from, options, recorder, server.tls_context())
    recording = asyncio.create_task(recorder.run())
    workers = [asyncio.create_task(sender.work(queue)) for _ in range(options.connections)]
    try:
        await _feed(engine, queue, recorder, options, more_coming or (lambda: False))
    finally:
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers, return_exceptions=True)
        recording.cancel()
        await asyncio.gather(recording, return_exceptions=True)
    report.stopped = recorder.failed
    report.seconds = time.perf_counter() - started
    return report


async def _feed(
    engine: Engine,
    queue: asyncio.Queue[ClaimedMessage | None],
    recorder: _Recorder,
    options: DeliveryOptions,
    more_coming: Callable[[], bool],
) -> None:
    linger_until = time.monotonic() + options.linger_seconds
    while recorder.failed is None:
        batch = await asyncio.to_thread(claim_batch, engine, options.worker, options.batch_size, clock.now())
        for message in batch:
            await queue.put(message)
        if batch:
            continue
        if more_coming():
            await asyncio.sleep(0.05)
            continue
        # Nothing due now: let the messages in hand finish (their outcomes are recorded by then), then look again.
        await queue.join()
        if recorder.failed is not None:
            return
        due = await asyncio.to_thread(next_due_at, engine)
        if due is None:
            return
        wait = (due - clock.now()).total_seconds()
        if wait > 0 and time.monotonic() + wait > linger_until:
            return
        await asyncio.sleep(max(0.0, wait))


class _Sender:
    """Sends claimed messages over one connection per worker, reconnecting when a connection breaks."""

    def __init__(
        self,
        server: SmtpServer,
        envelope_from: str,
        options: DeliveryOptions,
        recorder: _Recorder,
        tls_context: ssl.SSLContext | None,
    ):
        self.server, self.options, self.recorder = server, options, recorder
        self.envelope_from = wire_address(envelope_from)
        self.tls_context = tls_context
        self.limiter = _RateLimiter(options.rate_limit) if options.rate_limit else None
        # After a failed connection attempt, others do not try again for a moment: an unreachable server
        # should cost one timeout, not one per message.
        self.unreachable_until = 0.0
        self.unreachable_reason = ""

    async def work(self, queue: asyncio.Queue[ClaimedMessage | None]) -> None:
        smtp: aiosmtplib.SMTP | None = None
        try:
            while (message := await queue.get()) is not None:
                try:
                    if self.recorder.failed is None:  # else the message stays claimed, and is sent later
                        smtp, outcome = await self._send(smtp, message)
                        # Recorded before this connection takes another message: a worker that dies now
                        # has at most this one message sent but not recorded.
                        await self.recorder.record(outcome)
                except _RecordingUnavailable:
                    pass
                finally:
                    queue.task_done()
            queue.task_done()
        finally:
            if smtp is not None and smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()

    async def _send(
        self, smtp: aiosmtplib.SMTP | None, message: ClaimedMessage
    ) -> tuple[aiosmtplib.SMTP | None, Outcome]:
        try:
            recipient = wire_address(message.recipient_email)
        except UnsendableAddress as error:
            return smtp, Failure(message.id, str(error))
        utf8 = needs_smtputf8(recipient) or needs_smtputf8(self.envelope_from) or not message.payload.isascii()
        if self.limiter is not None:
            await self.limiter.wait()
        try:
            if smtp is None or not smtp.is_connected:
                smtp = await self._connect()
            options = ["SMTPUTF8"] if utf8 else []
            await smtp.sendmail(self.envelope_from, [recipient], message.payload, mail_options=options)
        except aiosmtplib.SMTPNotSupported:  # SMTPUTF8 was asked for and is not offered; nothing was sent
            reason = "the mail server does not accept non-ASCII addresses (no SMTPUTF8)"
            return smtp, Failure(message.id, f"{reason}: {message.recipient_email}")
        except aiosmtplib.SMTPRecipientsRefused as error:
            refusal = error.recipients[0]
            return smtp, self._answered(message, refusal.code, refusal.message, recipient=True)
        except aiosmtplib.SMTPResponseException as error:
            if error.code in (421, 554) or not (smtp and smtp.is_connected):
                _close(smtp)
                smtp = None
            return smtp, self._answered(message, error.code, error.message)
        except _ConnectionTrouble as error:
            return None, self._retry(message, str(error))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            _close(smtp)
            return None, self._retry(message, f"connection lost: {type(error).__name__}: {error}")
        except Exception as error:  # a surprise with one message must not stop the others
            _close(smtp)
            return None, self._retry(message, f"unexpected error: {type(error).__name__}: {error}")
        return smtp, message.id

    async def _connect(self) -> aiosmtplib.SMTP:
        if time.monotonic() < self.unreachable_until:
            raise _ConnectionTrouble(self.unreachable_reason)
        server = self.server
        smtp = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            timeout=server.timeout,
            use_tls=server.tls == "tls",
            start_tls=server.tls == "starttls",
            tls_context=self.tls_context,
        )
        try:
            await smtp.connect()
            if server.user:
                await smtp.login(server.user, server.password or "")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            smtp.close()
            self.unreachable_reason = f"cannot reach SMTP server {server.describe()}: {error}"
            self.unreachable_until = time.monotonic() + min(5.0, server.timeout)
            raise _ConnectionTrouble(self.unreachable_reason) from error
        return smtp

    def _answered(self, message: ClaimedMessage, code: int, text: str, *, recipient: bool = False) -> Outcome:
        reply = f"{code} {text}".strip()
        if 500 <= code < 600:
            return Failure(message.id, reply, recipient_refused=recipient)
        return self._retry(message, reply)

    def _retry(self, message: ClaimedMessage, error: str) -> Outcome:
        options = self.options
        if message.attempts >= options.max_attempts:
            return Failure(message.id, f"gave up after {message.attempts} attempts: {error}")
        delay = min(options.retry_max_seconds, options.retry_seconds * 2 ** (message.attempts - 1))
        delay *= random.uniform(0.9, 1.1)  # spread retries so they do not arrive as one wave
        return Retry(message.id, error, clock.now() + timedelta(seconds=delay))


def _close(smtp: aiosmtplib.SMTP | None) -> None:
    if smtp is not None:
        smtp.close()


async def check_smtp(server: SmtpServer) -> str | None:
    """Connect, greet and log in as delivery would; None when that works, else what went wrong."""
    smtp = aiosmtplib.SMTP(
        hostname=server.host,
        port=server.port,
        timeout=min(server.timeout, 10.0),
        use_tls=server.tls == "tls",
        start_tls=server.tls == "starttls",
        tls_context=server.tls_context(),
    )
    try:
        await smtp.connect()
        if server.user:
            await smtp.login(server.user, server.password or "")
        await smtp.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        smtp.close()
        return f"the SMTP server {server.describe()} cannot be reached: {error}"
    return None


def run_delivery(
    engine: Engine, server: SmtpServer, envelope_from: str, options: DeliveryOptions | None = None
) -> DeliveryReport:
    """deliver_outbox for callers without an event loop."""
    return event_loops.run(deliver_outbox(engine, server, envelope_from, options))


def smtp_server_from_settings(settings: Settings) -> SmtpServer:
    """The SMTP server the settings describe."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password is not None else None
    return SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        user=settings.smtp_user,
        password=password,
        timeout=settings.smtp_timeout,
        ca_file=settings.smtp_ca_file,
    )


def delivery_options_from_settings(settings: Settings, **overrides: Any) -> DeliveryOptions:
    """Delivery options as the settings give them, with any overrides."""
    values: dict[str, Any] = {
        "connections": settings.smtp_connections,
        "max_attempts": settings.smtp_max_attempts,
        "retry_seconds": settings.smtp_retry_seconds,
        "rate_limit": settings.smtp_rate_limit,
    }
    values.update(overrides)
    return DeliveryOptions(**values)
