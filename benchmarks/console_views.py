"""The coordinator console's read models on a round of N participants (default 10,000) in its review stage.

A store is filled once, untimed, with the builder of `consolidation.py` (N organisations with one person each,
respondent and reviewer, a submitted self-assessment each, three confirmed reviews per party), then made into
a round halfway through its review stage: of the 3·N reviews 40 % submitted, 40 % drafts, 20 % not begun; a
review link per assignment, half of them opened; every respondent invited, most opened their link, 1 % of
the addresses bounced, 0.5 % withdrawn, reminders sent; the outbox holds an invitation and a review request
per person and a reminder for a third (1 % failed); the history 5,000 entries, half the round driver's.
Nineteen more rounds without people stand beside it, so the list of rounds has twenty.

Then each read model runs R times (default 30) in a fresh reading session and its median and 95th percentile
are printed, in milliseconds. PostgreSQL (`--database-url`, a server where the user may create databases):
the store is a throw-away database created there and dropped at the end; it is ANALYZEd after filling, as
autovacuum would have done in a live store.

Usage: python benchmarks/console_views.py [--participants 10000] [--runs 30]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from consolidation import fill_store
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Engine
from throwaway_store import throwaway_store

from review_model import clock
from review_model.assignment_overview import assignment_overview, with_reviewers
from review_model.attention import needs_attention
from review_model.audit_history import audit_history, audit_history_csv_rows
from review_model.audit_trail import ROUND_DRIVER
from review_model.review_progress import party_reviews, review_progress, reviewer_workloads
from review_model.round_dashboard import rounds_at_a_glance
from review_model.round_timeline import round_timeline
from review_model.rounds import get_round
from review_model.sent_messages import messages_sent_to
from review_model.stage_progress import stage_progress
from review_model.store import make_engine, reading_session, session_scope
from review_model.tables import (
    AccessToken,
    AuditEvent,
    Enrolment,
    OutboxMessage,
    Review,
    ReviewAssignment,
    Round,
    Submission,
    table_of,
)
from review_model.vocabulary import OutboxState, Stage, TokenPurpose, WorkStatus

GOAL_MS = 100
AUDIT_ENTRIES = 5_000
OTHER_ROUNDS = 19


def make_it_a_review_round(engine: Engine, round_id: int) -> None:
    """Turn the filled round (the close of its review stage) into one halfway through review."""
    now = clock.now()
    with session_scope(engine) as session:
        session.execute(
            update(Round).where(Round.id == round_id).values(
                stage=Stage.review, stage_entered_at=now - timedelta(days=5), launched_at=now - timedelta(days=40),
                submission_deadline=now - timedelta(days=10), review_deadline=now + timedelta(days=9),
                comment_deadline=now + timedelta(days=30), time_zone="Europe/Berlin", reminder_days_before=[7, 3, 1],
            )
        )  # fmt: skip
        enrolments = table_of(Enrolment)
        session.execute(
            update(enrolments).where(enrolments.c.round_id == round_id).values(
                invited_at=now - timedelta(days=40), first_opened_at=now - timedelta(days=30),
                reminders_sent=enrolments.c.id % 3,
            )
        )  # fmt: skip
        session.execute(update(enrolments).where(enrolments.c.id % 10 == 0).values(first_opened_at=None))
        bounced = now - timedelta(days=39)
        session.execute(update(enrolments).where(enrolments.c.id % 100 == 1).values(bounced_at=bounced))
        session.execute(
            update(enrolments).where(enrolments.c.id % 4 == 0).values(
                review_reminders_sent=1, last_reminded_at=now - timedelta(days=2)
            )
        )  # fmt: skip
        session.execute(
            update(enrolments).where(enrolments.c.id % 200 == 7).values(
                withdrawn_at=now - timedelta(days=3), withdrawn_by="coordinator", withdrawal_reason="left"
            )
        )  # fmt: skip
        reviews = table_of(Review)
        session.execute(
            update(reviews).where(reviews.c.id % 5 < 2).values(status=WorkStatus.draft.value, submitted_at=None)
        )
        session.execute(delete(reviews).where(reviews.c.id % 5 == 2))
        session.execute(update(Submission).values(submitted_at=now - timedelta(days=12)))

        people = session.execute(
            select(Enrolment.id, Enrolment.participant_id).where(Enrolment.round_id == round_id).order_by(Enrolment.id)
        ).all()
        assignments = session.execute(
            select(ReviewAssignment.id, ReviewAssignment.reviewer_enrolment_id).where(
                ReviewAssignment.round_id == round_id
            )
        ).all()
        links = [
            {"token_hash": uuid.uuid4().hex * 2, "nonce": uuid.uuid4().hex, "purpose": TokenPurpose.review.value,
             "subject": f"review:{aid}", "round_id": round_id, "enrolment_id": eid, "assignment_id": aid,
             "expires_at": now + timedelta(days=23), "created_at": now - timedelta(days=5),
             "last_used_at": now - timedelta(days=1) if aid % 2 else None}
            for aid, eid in assignments
        ] + [
            {"token_hash": uuid.uuid4().hex * 2, "nonce": uuid.uuid4().hex,
             "purpose": TokenPurpose.self_assessment.value, "subject": "self_assessment", "round_id": round_id,
             "enrolment_id": eid, "assignment_id": None, "expires_at": now - timedelta(days=2),
             "created_at": now - timedelta(days=40), "last_used_at": None}
            for eid, _ in people
        ]  # fmt: skip
        session.execute(insert(AccessToken), links)

        messages = []
        for eid, pid in people:
            kinds = [("invitation", 40), ("review_request", 5)] + ([("reminder", 17)] if eid % 3 == 0 else [])
            for kind, days in kinds:
                failed = kind == "invitation" and eid % 100 == 1
                messages.append({
                    "round_id": round_id, "idempotency_key": f"{round_id}:{kind}:{pid}",
                    "message_id": f"<{kind}.{pid}.{round_id}@bench.example>", "kind": kind,
                    "recipient_email": f"p{pid}@org.example", "recipient_participant_id": pid,
                    "subject": f"{kind} – Benchmark-Runde", "payload": b"x" * 4000,
                    "state": (OutboxState.failed if failed else OutboxState.sent).value, "attempts": 1,
                    "next_attempt_at": now - timedelta(days=days), "created_at": now - timedelta(days=days),
                    "sent_at": None if failed else now - timedelta(days=days),
                    "last_error": "550 5.1.1 Unknown user" if failed else None,
                })  # fmt: skip
        session.execute(insert(OutboxMessage), messages)

        actions = ["reminders sent", "review requests sent", "assignment proposed", "links revoked",
                   "submission deadline extended", "participant withdrawn"]  # fmt: skip
        session.execute(
            insert(AuditEvent),
            [{"round_id": round_id, "at": now - timedelta(minutes=10 * n), "actor": ROUND_DRIVER if n % 2 else
              "gs@peer-review.example", "action": actions[n % len(actions)], "details": {"n": n, "count": n % 97}}
             for n in range(AUDIT_ENTRIES)],
        )  # fmt: skip
        template = session.get(Round, round_id)
        assert template is not None
        stages = [Stage.draft, Stage.submission, Stage.review, Stage.drafting, Stage.published]
        copied = [c.name for c in table_of(Round).columns if c.name not in ("id", "slug", "stage", "created_at")]
        session.execute(
            insert(Round),
            [{**{name: getattr(template, name) for name in copied}, "slug": f"other-{n}",
              "stage": stages[n % len(stages)].value, "created_at": now - timedelta(days=n + 1)}
             for n in range(OTHER_ROUNDS)],
        )  # fmt: skip


def review_round_store(url: str, participants: int, postgres: bool) -> tuple[Engine, int]:
    """The store at `url` filled with the round halfway through review (set-up, not timed), its statistics
    gathered on PostgreSQL; its engine and the round's id. Says how long filling took."""
    started = time.perf_counter()
    round_id = fill_store(url, participants)
    engine = make_engine(url)
    make_it_a_review_round(engine, round_id)
    if postgres:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    print(f"filled a round of {participants:,} participants in {time.perf_counter() - started:.0f} s "
          f"({'PostgreSQL' if postgres else 'SQLite'})", flush=True)  # fmt: skip
    return engine, round_id


def timed(engine: Engine, runs: int, read: Callable[[Any], object]) -> dict[str, float]:
    """Median and 95th percentile in milliseconds of `read(session)`, each run in a fresh reading session,
    after one run untimed (the statement caches warm, as in a running console)."""
    with reading_session(engine) as session:
        read(session)
    times = []
    for _ in range(runs):
        with reading_session(engine) as session:
            started = time.perf_counter()
            read(session)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2)}


def assignment_page(session: Any, round_: Round) -> object:
    """What the console's assignment page reads: the overview, and the reviewers of its first 50 parties."""
    overview = assignment_overview(session, round_)
    return with_reviewers(session, round_, overview.parties[:50])


def measure(engine: Engine, round_id: int, runs: int) -> dict[str, dict[str, float]]:
    """Each read model of the console on the round."""
    with reading_session(engine) as session:
        round_ = get_round(session, round_id)
        participant = session.execute(
            select(Enrolment.participant_id).where(Enrolment.round_id == round_id, Enrolment.id % 3 == 0).limit(1)
        ).scalar_one()
    after_deadline = round_.review_deadline + timedelta(days=1)
    reads: dict[str, Callable[[Any], object]] = {
        "rounds_at_a_glance": lambda s: rounds_at_a_glance(s),
        "round_timeline": lambda s: round_timeline(get_round(s, round_id)),
        "stage_progress": lambda s: stage_progress(s, round_id),
        "needs_attention": lambda s: needs_attention(s, get_round(s, round_id)),
        "review_progress": lambda s: review_progress(s, round_id, after_deadline),
        "party_reviews": lambda s: party_reviews(s, round_id, after_deadline),
        "reviewer_workloads": lambda s: reviewer_workloads(s, round_id, after_deadline),
        "assignment_overview": lambda s: assignment_overview(s, get_round(s, round_id)),
        "assignment_page": lambda s: assignment_page(s, get_round(s, round_id)),
        "messages_sent_to": lambda s: messages_sent_to(s, round_id, participant),
        "audit_history": lambda s: audit_history(s, round_id, limit=50),
        "audit_history_filtered": lambda s: audit_history(
            s, round_id, automatic=False, kind="links revoked", limit=50, offset=100
        ),
        "audit_history_csv_rows": lambda s: sum(1 for _ in audit_history_csv_rows(s, round_id)),
    }
    figures = {}
    for name, read in reads.items():
        figures[name] = timed(engine, runs, read)
        mark = "" if figures[name]["median_ms"] < GOAL_MS else f"  (over the goal of {GOAL_MS} ms)"
        print(f"{name:24} median {figures[name]['median_ms']:8.2f} ms   p95 {figures[name]['p95_ms']:8.2f} ms{mark}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it) to measure on")
    args = parser.parse_args()

    postgres = args.database_url is not None
    with throwaway_store(args.database_url, prefix="spr_bench_console") as url:
        engine, round_id = review_round_store(url, args.participants, postgres)
        print(f"{args.runs} runs each:")
        figures = measure(engine, round_id, args.runs)
        engine.dispose()
    slowest = max(figure["median_ms"] for figure in figures.values())
    print(json.dumps({"benchmark": "console_views", "db": "postgresql" if postgres else "sqlite",
                      "participants": args.participants, "runs": args.runs, "goal_ms": GOAL_MS,
                      "slowest_median_ms": slowest, **figures}))  # fmt: skip


if __name__ == "__main__":
    main()
