"""Delivery through a real SMTP server: retries, failures, crashes, several workers, TLS."""

import asyncio
import datetime as dt
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from notifications.delivery import SmtpServer, deliver_outbox, run_delivery
from notifications.dev_mail_server import DevMailServer, free_port
from notifications.outbox import (
    claim_batch,
    enqueue_messages,
    outbox_counts,
    record_outcomes,
    release_stale_claims,
    requeue_failed,
)
from review_model import clock
from review_model.tables import Enrolment, Organisation, OutboxMessage, Participant, Round
from review_model.vocabulary import Language, OrganisationKind, OutboxState
from tests.support.outgoing_mail import ENVELOPE_FROM, fast_options, invitation_for, smtp_for


def enqueue(engine, count: int, **kwargs) -> list[str]:
    messages = [invitation_for(number, **kwargs) for number in range(count)]
    with Session(engine) as session:
        enqueue_messages(session, messages, clock.now())
        session.commit()
    return [message.message_id for message in messages]


def states(engine) -> Counter:
    with Session(engine) as session:
        return Counter(state for state in session.exec(select(OutboxMessage.state)).all())


def test_every_queued_message_is_sent_once_and_marked(engine, mail_server):
    ids = enqueue(engine, 250)
    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options(batch_size=40, connections=3))
    assert (report.sent, report.retried, report.failed) == (250, 0, 0)
    received = [message.message_id for message in mail_server.catcher.received()]
    assert sorted(received) == sorted(ids)
    assert states(engine) == {OutboxState.sent: 250}
    assert run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options()).handled == 0


def test_451_for_ten_recipients_is_retried_until_the_server_recovers(engine, mail_server):
    enqueue(engine, 40)
    for number in range(10):
        mail_server.catcher.fail(f"person{number}@stadt.example", 451, "Greylisted, try again later", times=2)
    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options(linger_seconds=10))
    assert report.sent == 40 and report.failed == 0 and report.retried == 20
    assert len({m.message_id for m in mail_server.catcher.received()}) == 40
    with Session(engine) as session:
        greylisted = session.exec(select(OutboxMessage).where(OutboxMessage.attempts > 1)).all()
    assert len(greylisted) == 10 and {m.attempts for m in greylisted} == {3}
    assert states(engine) == {OutboxState.sent: 40}


def test_550_fails_three_messages_with_the_server_reply_and_delivers_the_rest(engine, mail_server):
    enqueue(engine, 30)
    for number in (3, 14, 25):
        mail_server.catcher.fail(f"person{number}@stadt.example", 550, "5.1.1 No such mailbox")
    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options())
    assert (report.sent, report.failed) == (27, 3)
    with Session(engine) as session:
        failed = session.exec(select(OutboxMessage).where(OutboxMessage.state == OutboxState.failed)).all()
        assert sorted(m.recipient_email for m in failed) == [
            "person14@stadt.example", "person25@stadt.example", "person3@stadt.example"
        ]  # fmt: skip
        assert {m.last_error for m in failed} == {"550 5.1.1 No such mailbox"}
        assert outbox_counts(session)[OutboxState.failed] == 3


def test_retries_give_up_after_the_last_attempt(engine, mail_server):
    enqueue(engine, 2)
    mail_server.catcher.fail("person0@stadt.example", 421, "Service not available")
    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options(max_attempts=3, linger_seconds=10))
    assert (report.sent, report.failed) == (1, 1)
    with Session(engine) as session:
        failed = session.exec(select(OutboxMessage).where(OutboxMessage.state == OutboxState.failed)).one()
    assert failed.attempts == 3
    assert failed.last_error == "gave up after 3 attempts: 421 Service not available"


def test_only_a_refused_recipient_counts_as_bounced(engine, mail_server):
    from notifications.outbox import Failure, claim_batch, record_outcomes

    enqueue(engine, 2)
    [first, second] = claim_batch(engine, "w", 2, clock.now())
    record_outcomes(engine, "w", [], [], [Failure(first.id, "550 no such user", recipient_refused=True),
                                          Failure(second.id, "554 sender refused")], clock.now())  # fmt: skip
    assert states(engine) == {OutboxState.failed: 2}


def test_a_worker_records_only_the_claims_it_still_holds(engine):
    from notifications.outbox import claim_batch, record_outcomes

    enqueue(engine, 1)
    [slow] = claim_batch(engine, "slow", 1, clock.now())
    later = clock.now() + dt.timedelta(minutes=11)
    release_stale_claims(engine, dt.timedelta(minutes=10), later)
    [again] = claim_batch(engine, "fast", 1, later)
    record_outcomes(engine, "fast", [again.id], [], [], later)
    from notifications.outbox import Failure

    record_outcomes(engine, "slow", [], [], [Failure(slow.id, "550 from the slow worker", True)], later)
    assert states(engine) == {OutboxState.sent: 1}


def test_an_unreachable_server_costs_retries_not_failures(engine):
    enqueue(engine, 20)
    nobody = SmtpServer(port=free_port(), timeout=2.0)
    report = run_delivery(engine, nobody, ENVELOPE_FROM, fast_options(retry_seconds=60, retry_max_seconds=60))
    assert (report.sent, report.retried, report.failed) == (0, 20, 0)
    with Session(engine) as session:
        errors = set(session.exec(select(OutboxMessage.last_error)).all())
    assert all("cannot reach SMTP server" in error for error in errors)
    assert states(engine) == {OutboxState.queued: 20}


def test_a_rate_limit_spaces_the_messages(engine, mail_server):
    enqueue(engine, 11)
    started = time.monotonic()
    run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options(rate_limit=50, connections=4))
    assert time.monotonic() - started >= 10 / 50 * 0.9
    assert len(mail_server.catcher.received()) == 11


def test_stale_claims_go_back_to_the_queue(engine):
    enqueue(engine, 5)
    claimed = claim_batch(engine, "worker-that-dies", 3, clock.now())
    assert len(claimed) == 3 and states(engine) == {OutboxState.sending: 3, OutboxState.queued: 2}
    assert release_stale_claims(engine, dt.timedelta(minutes=10), clock.now()) == 0
    assert release_stale_claims(engine, dt.timedelta(minutes=10), clock.now() + dt.timedelta(minutes=11)) == 3
    assert states(engine) == {OutboxState.queued: 5}


def test_delivery_killed_midway_and_started_again_loses_nothing(tmp_path, mail_server):
    """The worker is killed after about a quarter of 2,000 messages; a new run finishes the job."""
    from review_model.schema_migrations import upgrade_store
    from review_model.store import make_engine

    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    engine = make_engine(url)
    upgrade_store(engine)
    expected = set(enqueue(engine, 2000))
    worker = textwrap.dedent(
        f"""
        from notifications.delivery import DeliveryOptions, SmtpServer, run_delivery
        from review_model.store import make_engine
        run_delivery(make_engine({url!r}), SmtpServer(port={mail_server.port}), {ENVELOPE_FROM!r},
                     DeliveryOptions(connections=4, batch_size=100, rate_limit=400))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", worker])
    try:
        deadline = time.monotonic() + 60
        while len(mail_server.catcher.received()) < 500 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    at_kill = len(mail_server.catcher.received())
    assert 500 <= at_kill < 2000
    in_flight = states(engine)[OutboxState.sending]

    report = run_delivery(
        engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options(stale_after=dt.timedelta(0), batch_size=200)
    )
    assert report.released_stale == in_flight
    received = Counter(message.message_id for message in mail_server.catcher.received())
    assert set(received) == expected  # nothing lost
    twice = [message_id for message_id, n in received.items() if n > 1]
    assert len(twice) <= in_flight and all(n == 2 for n in received.values() if n > 1)
    # Of the claimed messages, only those on the wire when the worker died (one per connection) went out twice.
    assert len(twice) <= 4
    assert states(engine) == {OutboxState.sent: 2000}
    engine.dispose()


def test_two_workers_on_postgresql_send_each_message_exactly_once(postgres_engine, mail_server):
    from review_model.store import make_engine

    async def both(*runs):
        return await asyncio.gather(*runs)

    expected = set(enqueue(postgres_engine, 600))
    second_engine = make_engine(postgres_engine.url.render_as_string(hide_password=False))
    smtp = smtp_for(mail_server)
    reports = asyncio.run(
        both(
            deliver_outbox(postgres_engine, smtp, ENVELOPE_FROM, fast_options(batch_size=25, worker="worker-a")),
            deliver_outbox(second_engine, smtp, ENVELOPE_FROM, fast_options(batch_size=25, worker="worker-b")),
        )
    )
    second_engine.dispose()
    received = Counter(message.message_id for message in mail_server.catcher.received())
    assert set(received) == expected and set(received.values()) == {1}
    assert sum(report.sent for report in reports) == 600
    with Session(postgres_engine) as session:
        workers = Counter(session.exec(select(OutboxMessage.claimed_by)).all())
    assert set(workers) == {"worker-a", "worker-b"}


def test_a_failed_message_marks_the_enrolment_bounced_and_can_be_sent_to_a_corrected_address(engine, mail_server):
    with Session(engine, expire_on_commit=False) as session:
        organisation = Organisation(name="Stadt Auenburg", kind=OrganisationKind.kommune)
        session.add(organisation)
        session.flush()
        person = Participant(email="person0@stadt.example", name="Anna", organisation_id=organisation.id,
                             language=Language.de)  # fmt: skip
        round_ = Round(slug="r", title="R", coordinator_name="K", coordinator_email="k@x.example",
                       questionnaire_id="q", submission_deadline=clock.now(), review_deadline=clock.now(),
                       comment_deadline=clock.now(), spec_digest="-")  # fmt: skip
        session.add_all([person, round_])
        session.flush()
        session.add(Enrolment(round_id=round_.id, participant_id=person.id))
        session.commit()
    message = invitation_for(0, participant_id=person.id)
    message = type(message)(**{**message.__dict__, "round_id": round_.id})
    with Session(engine) as session:
        enqueue_messages(session, [message], clock.now())
        session.commit()
    mail_server.catcher.fail("person0@stadt.example", 550, "No such user")
    assert run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options()).failed == 1
    with Session(engine) as session:
        assert session.exec(select(Enrolment)).one().bounced_at is not None
        stored = session.get(Participant, person.id)
        stored.email = "anna.keller@stadt.example"
        session.commit()
        [requeued] = requeue_failed(session, clock.now(), round_id=round_.id)
        assert requeued.recipient_email == "anna.keller@stadt.example" and requeued.attempts == 0
        session.commit()
        assert session.exec(select(Enrolment)).one().bounced_at is None  # worth trying again
    assert run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, fast_options()).sent == 1
    [arrived] = mail_server.catcher.received()
    assert arrived.recipients == ("anna.keller@stadt.example",)
    assert arrived.message_id == message.message_id
    assert arrived.headers["To"].addresses[0].addr_spec == "anna.keller@stadt.example"


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_tls_and_authentication(engine, tls_certificate, mode):
    server_context, ca_file = tls_certificate
    tls_kwargs = {"tls_context": server_context} if mode == "tls" else {"starttls_context": server_context}
    with DevMailServer(credentials=("spr", "s3cret"), **tls_kwargs) as server:
        enqueue(engine, 5)
        smtp = SmtpServer(port=server.port, tls=mode, user="spr", password="wrong", ca_file=ca_file, timeout=5)
        refused = run_delivery(engine, smtp, ENVELOPE_FROM, fast_options(retry_seconds=60))
        assert (refused.sent, refused.retried) == (0, 5)
        with Session(engine) as session:
            assert all("535" in error for error in session.exec(select(OutboxMessage.last_error)).all())
        good = SmtpServer(port=server.port, tls=mode, user="spr", password="s3cret", ca_file=ca_file, timeout=5)
        report = run_delivery(engine, good, ENVELOPE_FROM, fast_options(linger_seconds=130, retry_seconds=60))
        assert report.sent == 5
        assert len(server.catcher.received()) == 5


class FlakyRecording:
    """record_outcomes failing its first `failures` calls (None: every call), as on a full disk.

    Notes the ids whose "sent" reached the store; the server's callback compares them with what it got.
    """

    def __init__(self, failures: int | None):
        self.left = failures
        self.recorded: set[int] = set()
        self.lock = threading.Lock()

    def __call__(self, engine, worker, sent, retries, failures, now):
        with self.lock:
            if self.left is None or self.left > 0:
                self.left = None if self.left is None else self.left - 1
                raise OSError(28, "No space left on device")
        record_outcomes(engine, worker, sent, retries, failures, now)
        with self.lock:
            self.recorded.update(sent)


def watch_unrecorded(engine, server: DevMailServer, recording: FlakyRecording) -> list[int]:
    """For each message the server gets: how many it has got whose "sent" is not yet recorded (itself included)."""
    with Session(engine) as session:
        row_of = dict(session.exec(select(OutboxMessage.message_id, OutboxMessage.id)).all())
    arrived: set[int] = set()
    unrecorded: list[int] = []

    def on_message(message) -> None:
        with recording.lock:
            arrived.add(row_of[message.message_id])
            unrecorded.append(len(arrived - recording.recorded))

    server.catcher.on_message = on_message
    return unrecorded


def test_while_results_cannot_be_recorded_no_new_message_goes_out(engine, mail_server, monkeypatch):
    ids = enqueue(engine, 200)
    recording = FlakyRecording(failures=4)
    monkeypatch.setattr("notifications.delivery.record_outcomes", recording)
    unrecorded = watch_unrecorded(engine, mail_server, recording)
    options = fast_options(connections=3, batch_size=50, record_retry_seconds=0.02)

    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, options)

    assert report.sent == 200 and report.stopped is None
    # Each connection waits for its message's outcome to be recorded before it takes the next one.
    assert len(unrecorded) == 200 and max(unrecorded) <= 3
    received = Counter(message.message_id for message in mail_server.catcher.received())
    assert set(received) == set(ids) and set(received.values()) == {1}
    assert states(engine) == {OutboxState.sent: 200}
    assert run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, options).handled == 0


def test_when_recording_never_works_only_messages_in_flight_go_out_twice(engine, mail_server, monkeypatch):
    ids = enqueue(engine, 200)
    recording = FlakyRecording(failures=None)
    monkeypatch.setattr("notifications.delivery.record_outcomes", recording)
    options = fast_options(connections=3, batch_size=50, record_retry_seconds=0.02)
    stuck = replace(options, record_patience=dt.timedelta(seconds=0.3))

    report = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, stuck)
    assert report.stopped and "No space left on device" in report.stopped
    in_flight = len(mail_server.catcher.received())
    assert 1 <= in_flight <= 3  # one message per connection at most, sent but not recorded

    # The store works again (the worker is restarted after the claim timeout).
    monkeypatch.setattr("notifications.delivery.record_outcomes", record_outcomes)
    again = run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, replace(options, stale_after=dt.timedelta(0)))
    assert again.sent == 200
    received = Counter(message.message_id for message in mail_server.catcher.received())
    assert set(received) == set(ids)
    assert sum(n - 1 for n in received.values()) == in_flight  # the duplicates are the messages that were in flight
    assert states(engine) == {OutboxState.sent: 200}
    assert run_delivery(engine, smtp_for(mail_server), ENVELOPE_FROM, options).handled == 0
