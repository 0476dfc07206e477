"""The coordinator's list of a round's people: `people_in_round` on a round of N participants (default 10,000).

A store is filled once, untimed: N organisations of every kind across the Länder, one person each (respondent
and reviewer, a fifth of them reading English), the round in its review stage with every respondent invited,
most of them having opened their link, a third submitted and a fifth with a draft, a few bounced, opted out or
withdrawn; three confirmed reviews per submitted self-assessment, half of them submitted; an invitation in the
outbox for everyone and a reminder for some. Then one page (50 rows) of several filters is read again and again,
each time in a new session, as the console reads it: everyone, the first page and a page near the end; those
who have not submitted; reviewers with open reviews; municipalities in two Länder; a search; and the count alone.

Usage: python benchmarks/people_list.py [--n 10000] [--repeat 30] [--postgres [URL]]
Prints the median and the 95th percentile per filter, and last one JSON object with the figures.
"""

import argparse
import json
import random
import statistics
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, select, text
from throwaway_store import throwaway_store

from review_model import clock
from review_model.people_filter import PeopleFilter, PersonState, Role, count_people, people_in_round
from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine, reading_session, session_scope
from review_model.tables import (
    Enrolment,
    Organisation,
    OutboxMessage,
    Participant,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import FederalState, OrganisationKind, Stage, WorkStatus

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FILTERS = {
    "everyone, first page": (PeopleFilter(), 0),
    "everyone, a page near the end": (PeopleFilter(), -60),
    "respondents not submitted": (PeopleFilter(roles={Role.respondent}, states={PersonState.not_submitted}), 0),
    "reviews open": (PeopleFilter(states={PersonState.open_reviews}), 0),
    "municipalities in BY or NW": (
        PeopleFilter(kinds={OrganisationKind.kommune}, lands={FederalState.BY, FederalState.NW}),
        0,
    ),
    "search 'person 12'": (PeopleFilter(search="person 12"), 0),
}


def fill_store(url: str, n: int) -> int:
    """The round in its review stage (set-up, not timed); returns its id."""
    engine = make_engine(url)
    upgrade_store(engine)
    rng = random.Random(11)
    now = clock.now()
    kinds, lands = list(OrganisationKind), list(FederalState)
    with session_scope(engine) as session:
        round_ = Round(
            slug="people-benchmark", title="Benchmark-Runde", coordinator_name="Geschäftsstelle",
            coordinator_email="gs@peer-review.example", questionnaire_id="benchmark", questionnaire_snapshot={},
            stage=Stage.review, submission_deadline=now - timedelta(days=14), review_deadline=now + timedelta(days=14),
            comment_deadline=now + timedelta(days=28), spec_digest="benchmark",
        )  # fmt: skip
        session.add(round_)
        session.flush()
        rid = round_.id
        session.execute(insert(Organisation), [
            {"name": f"Organisation {i:05d}", "kind": kinds[i % len(kinds)], "state": lands[i % len(lands)],
             "created_at": now} for i in range(n)])  # fmt: skip
        orgs = session.execute(select(Organisation.id).order_by(Organisation.id)).scalars().all()
        session.execute(insert(Participant), [
            {"email": f"p{i}@org{i}.example", "name": f"Person {i}", "organisation_id": oid,
             "language": "en" if i % 5 == 0 else "de", "expertise": [], "created_at": now}
            for i, oid in enumerate(orgs)])  # fmt: skip
        people = session.execute(select(Participant.id).order_by(Participant.id)).scalars().all()
        session.execute(insert(Enrolment), [
            {"round_id": rid, "participant_id": pid, "is_respondent": True, "is_reviewer": True,
             "is_decision_maker": i % 50 == 0, "invited_at": now - timedelta(days=40),
             "first_opened_at": now - timedelta(days=30) if rng.random() < 0.8 else None,
             "bounced_at": now if rng.random() < 0.01 else None,
             "opted_out_at": now if rng.random() < 0.005 else None,
             "withdrawn_at": now if rng.random() < 0.005 else None,
             "reminders_sent": rng.randint(0, 3), "created_at": now}
            for i, pid in enumerate(people)])  # fmt: skip
        enrolments = session.execute(select(Enrolment.id).order_by(Enrolment.id)).scalars().all()
        statuses = [WorkStatus.submitted if rng.random() < 0.35 else WorkStatus.draft if rng.random() < 0.3 else None
                    for _ in enrolments]  # fmt: skip
        session.execute(insert(Submission), [
            {"round_id": rid, "enrolment_id": eid, "status": status, "answers": {}, "version": 1, "late": False,
             "created_at": now, "submitted_at": now if status is WorkStatus.submitted else None}
            for eid, status in zip(enrolments, statuses, strict=True) if status is not None])  # fmt: skip
        submitted = (
            session.execute(
                select(Submission.id).where(Submission.status == WorkStatus.submitted).order_by(Submission.id)
            )
            .scalars()
            .all()
        )
        session.execute(insert(ReviewAssignment), [
            {"round_id": rid, "submission_id": sid, "reviewer_enrolment_id": enrolments[(i * 7 + k * 131 + 1) % n],
             "affinity": 0.5, "origin": "solver", "created_at": now, "confirmed_at": now}
            for i, sid in enumerate(submitted) for k in range(3)])  # fmt: skip
        assignments = session.execute(select(ReviewAssignment.id)).scalars().all()
        session.execute(insert(Review), [
            {"round_id": rid, "assignment_id": aid, "status": WorkStatus.submitted, "answers": {}, "version": 1,
             "created_at": now, "submitted_at": now} for aid in assignments if rng.random() < 0.5])  # fmt: skip
        messages = [(pid, "invitation", now - timedelta(days=40)) for pid in people]
        messages += [(pid, "reminder", now - timedelta(days=20)) for pid in people if rng.random() < 0.5]
        session.execute(insert(OutboxMessage), [
            {"round_id": rid, "idempotency_key": f"r{rid}/{kind}/p{pid}/{j}", "message_id": f"<{uuid.uuid4().hex}@b>",
             "kind": kind, "recipient_email": f"p{pid}@x.example", "recipient_participant_id": pid,
             "subject": kind, "payload": b"-", "state": "sent", "attempts": 1, "next_attempt_at": at,
             "created_at": at, "sent_at": at}
            for j, (pid, kind, at) in enumerate(messages)])  # fmt: skip
    engine.dispose()
    return rid


def measure(url: str, round_id: int, n: int, repeat: int) -> dict[str, dict[str, float]]:
    """Milliseconds per call of each filter: median and 95th percentile over `repeat` calls."""
    engine = make_engine(url)
    figures: dict[str, dict[str, float]] = {}
    try:
        with reading_session(engine) as session:  # warm the connection pool and the database's caches
            people_in_round(session, round_id, PeopleFilter())
        for name, (people, offset) in [*FILTERS.items(), ("count only", (PeopleFilter(states={
                PersonState.not_submitted}), None))]:  # fmt: skip
            times = []
            rows = total = 0
            for _ in range(repeat):
                started = time.perf_counter()
                with reading_session(engine) as session:
                    if offset is None:
                        total = count_people(session, round_id, people)
                    else:
                        page = people_in_round(session, round_id, people, offset=offset if offset >= 0 else n + offset,
                                               limit=50)  # fmt: skip
                        rows, total = len(page.rows), page.total
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            figures[name] = {"median_ms": round(statistics.median(times), 2),
                             "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2), "rows": rows,
                             "total": total}  # fmt: skip
            print(f"  {name:34} median {figures[name]['median_ms']:7.2f} ms   p95 {figures[name]['p95_ms']:7.2f} ms"
                  f"   ({rows} rows of {total})")  # fmt: skip
    finally:
        engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres", nargs="?", const=POSTGRES_ADMIN, default=None,
                        help="Also on PostgreSQL (a server whose user may create databases).")  # fmt: skip
    options = parser.parse_args()
    results: dict[str, object] = {"n": options.n, "repeat": options.repeat}
    with throwaway_store(prefix="spr_people") as url:
        started = time.perf_counter()
        round_id = fill_store(url, options.n)
        print(f"SQLite: {options.n} participants filled in {time.perf_counter() - started:.1f} s")
        results["sqlite"] = measure(url, round_id, options.n, options.repeat)
    if options.postgres:
        with throwaway_store(options.postgres, prefix="spr_people") as url:
            started = time.perf_counter()
            round_id = fill_store(url, options.n)
            engine = make_engine(url)
            with engine.connect() as connection:  # fresh statistics, as autovacuum would soon have them
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
            engine.dispose()
            print(f"PostgreSQL: {options.n} participants filled in {time.perf_counter() - started:.1f} s")
            results["postgresql"] = measure(url, round_id, options.n, options.repeat)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
