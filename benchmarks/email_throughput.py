"""Email throughput: invitations for a round of N participants, rendered, enqueued and delivered.

The development SMTP server runs in a separate process (keeping no copies, printing a line per message).
In the same run, the same already-built messages are sent with plain aiosmtplib over the same number of
connections, as the raw figure to compare with. Both run on the same kind of event loop (uvloop when
installed, as spr itself does).

Usage: python benchmarks/email_throughput.py [--n 10000] [--connections 4] [--repeat 1] [--database-url URL]
The last line printed is one JSON object with the figures (medians over the repeats).
"""

import argparse
import asyncio
import json
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import aiosmtplib
from sqlalchemy import delete, insert, select

from notifications import event_loops
from notifications.addressing import recipient_for, round_context
from notifications.compose import Sender, compose_message
from notifications.delivery import DeliveryOptions, SmtpServer, deliver_outbox
from notifications.message_kinds import Invitation
from notifications.outbox import enqueue_messages
from review_model import clock
from review_model.questionnaire import Text, load_questionnaire
from review_model.rounds import get_round
from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine, reading_session, session_scope
from review_model.tables import Enrolment, Organisation, OutboxMessage, Participant, Round
from review_model.vocabulary import OrganisationKind

SENDER = Sender(address="peer-review@spr.example.org", name="Stakeholder Peer Review")
BATCH = 1000
MESSAGE_ID = re.compile(r"<[0-9a-f]{32}@[^>]+>")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"the mail server did not start on port {port}")


def start_mail_server(port: int, log: Path) -> subprocess.Popen:
    """`spr mail-server` in its own process, keeping no copies, its line per message going to `log`."""
    with log.open("w", encoding="utf-8") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "mail-server", "--port", str(port), "--no-maildir"],
            stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip


def create_round(engine, n: int) -> int:
    """A round with n enrolled participants from 50 organisations (set-up, not timed)."""
    questionnaire = load_questionnaire("smart-city-self-assessment")
    now = clock.now()
    with session_scope(engine) as session:
        round_ = Round(
            slug="benchmark", title="Benchmark-Runde", title_en="Benchmark round", coordinator_name="Geschäftsstelle",
            coordinator_email="gs@peer-review.example", questionnaire_id=questionnaire.id,
            questionnaire_snapshot=questionnaire.model_dump(mode="json", exclude_none=True),
            submission_deadline=now + timedelta(days=21), review_deadline=now + timedelta(days=42),
            comment_deadline=now + timedelta(days=56), spec_digest="benchmark",
        )  # fmt: skip
        session.add(round_)
        organisations = [Organisation(name=f"Kommune {i:03d}", kind=OrganisationKind.kommune) for i in range(50)]
        session.add_all(organisations)
        session.flush()
        people = [
            {"email": f"person{i}@kommune{i % 50}.example", "name": f"Person {i} Müller", "created_at": now,
             "organisation_id": organisations[i % 50].id, "language": "en" if i % 4 == 0 else "de", "expertise": []}
            for i in range(n)
        ]  # fmt: skip
        session.execute(insert(Participant), people)
        ids = session.execute(select(Participant.id)).scalars().all()
        session.execute(
            insert(Enrolment),
            [{"round_id": round_.id, "participant_id": pid, "is_respondent": True, "is_reviewer": True,
              "reminders_sent": 0, "created_at": now} for pid in ids],
        )  # fmt: skip
        return round_.id


def enqueue_invitations(engine, round_id: int) -> tuple[float, float]:
    """Render every invitation and enqueue it; returns (seconds composing, seconds in the store)."""
    composing = storing = 0.0
    with reading_session(engine) as session:
        round_ = get_round(session, round_id)
        context = round_context(round_)
        questionnaire_title = Text.model_validate(round_.questionnaire_snapshot["title"])
        rows = session.execute(
            select(Participant, Organisation)
            .join(Enrolment, Enrolment.participant_id == Participant.id)
            .join(Organisation, Organisation.id == Participant.organisation_id)
            .where(Enrolment.round_id == round_id)
            .order_by(Participant.id)
        ).all()
    for start in range(0, len(rows), BATCH):
        began = time.perf_counter()
        now = clock.now()
        messages = [
            compose_message(
                Invitation(
                    f"http://127.0.0.1:8000/f/{secrets.token_urlsafe(32)}",
                    round_.submission_deadline,
                    questionnaire_title,
                    27,
                ),
                recipient_for(person, organisation),
                context,
                SENDER,
                stage="invitation",
                now=now,
            )
            for person, organisation in rows[start : start + BATCH]
        ]
        composed = time.perf_counter()
        with session_scope(engine) as session:
            enqueue_messages(session, messages, now)
        composing += composed - began
        storing += time.perf_counter() - composed
    return composing, storing


async def enqueue_while_delivering(engine, round_id: int, smtp: SmtpServer, options: DeliveryOptions):
    """The invitation stage as it runs: batches are enqueued (in a thread) while delivery drains the outbox."""
    enqueueing = asyncio.create_task(asyncio.to_thread(enqueue_invitations, engine, round_id))
    report = await deliver_outbox(engine, smtp, SENDER.address, options, more_coming=lambda: not enqueueing.done())
    return await enqueueing, report


async def send_raw(port: int, messages: list[tuple[str, bytes]], connections: int) -> None:
    """The same messages through plain aiosmtplib: the ceiling for this server and client."""
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)

    async def connection() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await smtp.connect()
        while not queue.empty():
            recipient, payload = queue.get_nowait()
            await smtp.sendmail(SENDER.address, [recipient], payload)
        await smtp.quit()

    await asyncio.gather(*(connection() for _ in range(connections)))


def received_ids(log: Path, skip_lines: int) -> list[str]:
    lines = log.read_text(encoding="utf-8").splitlines()[skip_lines:]
    return [match.group(0) for line in lines if (match := MESSAGE_ID.search(line))]


def wait_for_lines(log: Path, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(log.read_text(encoding="utf-8").splitlines()) >= count:
            return
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="participants in the round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="alternate end-to-end and raw runs this often")
    parser.add_argument("--database-url", help="an empty store to use (default: a new SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="spr-bench-"))
    engine = make_engine(args.database_url or f"sqlite:///{workdir / 'store.db'}")
    upgrade_store(engine)
    round_id = create_round(engine, args.n)

    port, log = free_port(), workdir / "mail-server.log"
    server = start_mail_server(port, log)
    wait_for(port)
    smtp = SmtpServer(port=port)
    options = DeliveryOptions(connections=args.connections, batch_size=500)
    runs: list[dict[str, float]] = []
    lines_seen = 0
    try:
        for _ in range(args.repeat):
            with engine.begin() as connection:
                connection.execute(delete(OutboxMessage))
            started = time.perf_counter()
            (composing, storing), report = event_loops.run(enqueue_while_delivering(engine, round_id, smtp, options))
            end_to_end = time.perf_counter() - started
            wait_for_lines(log, lines_seen + args.n)
            with engine.connect() as connection:
                expected = set(connection.execute(select(OutboxMessage.message_id)).scalars())
                query = select(OutboxMessage.recipient_email, OutboxMessage.payload)
                payloads = [(recipient, payload) for recipient, payload in connection.execute(query)]
            got = Counter(received_ids(log, lines_seen))
            lines_seen += sum(got.values())

            raw_started = time.perf_counter()
            event_loops.run(send_raw(port, payloads, args.connections))
            raw_seconds = time.perf_counter() - raw_started
            wait_for_lines(log, lines_seen + len(payloads))
            lines_seen += len(received_ids(log, lines_seen))

            runs.append({
                "end_to_end_s": end_to_end, "compose_s": composing, "enqueue_s": storing,
                "end_to_end_per_s": args.n / end_to_end,
                "raw_per_s": len(payloads) / raw_seconds, "sent": report.sent,
                "lost": len(set(expected) - set(got)), "duplicates": sum(n - 1 for n in got.values() if n > 1),
            })  # fmt: skip
            last = runs[-1]
            print(
                f"run {len(runs)}: end to end {last['end_to_end_s']:.2f} s = {last['end_to_end_per_s']:.0f} msg/s "
                f"(of which composing {composing:.2f} s and enqueueing {storing:.2f} s, overlapped with delivery); "
                f"raw aiosmtplib {last['raw_per_s']:.0f} msg/s; "
                f"lost {last['lost']}, duplicates {last['duplicates']}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
        engine.dispose()

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    figures = {
        "n": args.n,
        "connections": args.connections,
        "repeat": args.repeat,
        "database": engine.dialect.name,
        "end_to_end_per_s": round(median("end_to_end_per_s")),
        "raw_per_s": round(median("raw_per_s")),
        "ratio": round(median("end_to_end_per_s") / median("raw_per_s"), 2),
        "compose_ms_per_message": round(median("compose_s") / args.n * 1000, 3),
        "enqueue_ms_per_message": round(median("enqueue_s") / args.n * 1000, 3),
        "lost": max(run["lost"] for run in runs),
        "duplicates": max(run["duplicates"] for run in runs),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
