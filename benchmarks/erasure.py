"""Erasing people: one person on request (`spr people erase`, the console's action) and a whole round when its
retention period runs out (the driver archives it), in a round of N participants (default 10,000).

The store is the one `console_views.py` builds (N organisations with one person each, three reviews per party,
~3·N messages in the outbox, ~2·N personal links, 5,000 history entries); the round is then marked published
with a retention period that has run out. Both operations hold the store's write lock for their whole length,
so their time is how long the portal's saves wait. SQLite always; PostgreSQL too with `--database-url`, side
by side in the same run.

Usage: python benchmarks/erasure.py [--participants 10000] [--people 5]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
The last line printed is one JSON object: per database the median of erasing one person, and the time to
archive the round.
"""

import argparse
import json
import statistics
import time
from datetime import timedelta

from console_views import review_round_store
from sqlalchemy import update
from sqlmodel import Session, col, select
from throwaway_store import throwaway_store

from config.settings import Settings
from review_model import clock
from review_model.tables import Enrolment, Round
from review_model.vocabulary import Stage
from workflows.erasure import erase_person_everywhere
from workflows.stages.archive import archive_round
from workflows.stages.context import StageContext

SECRET = "a-benchmark-secret-that-is-long-enough-0123456789"


def measure(url: str, participants: int, people: int, postgres: bool) -> dict[str, float]:
    """Fill a store at `url`, erase `people` people one by one, then archive the round; times in ms."""
    engine, round_id = review_round_store(url, participants, postgres)
    context = StageContext.from_settings(Settings(secret_key=SECRET, database_url=url), engine)
    with Session(engine) as session:
        chosen = session.exec(
            select(Enrolment.participant_id)
            .where(Enrolment.round_id == round_id, col(Enrolment.withdrawn_at).is_(None))
            .order_by(col(Enrolment.id)).limit(people)
        ).all()  # fmt: skip
    one = []
    for participant_id in chosen:
        began = time.perf_counter()
        erase_person_everywhere(context, participant_id, "benchmark")
        one.append((time.perf_counter() - began) * 1000)
    now = clock.now()
    with Session(engine) as session:
        session.execute(
            update(Round).where(col(Round.id) == round_id).values(
                stage=Stage.published, stage_entered_at=now - timedelta(days=2), retention="P1D"
            )
        )  # fmt: skip
        session.commit()
    began = time.perf_counter()
    archive_round(context, round_id, "benchmark")
    archived = (time.perf_counter() - began) * 1000
    with Session(engine) as session:
        assert session.get(Round, round_id).stage is Stage.archived  # type: ignore[union-attr]
    engine.dispose()
    print(f"  erase one person: median {statistics.median(one):.0f} ms of {len(one)}; "
          f"archive the round: {archived / 1000:.1f} s", flush=True)  # fmt: skip
    return {"erase_person_median_ms": round(statistics.median(one), 1), "archive_round_s": round(archived / 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=5, help="people erased one by one before the archiving")
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it) to measure on too")
    args = parser.parse_args()

    figures = {}
    for server in [None, args.database_url] if args.database_url else [None]:
        with throwaway_store(server, prefix="spr_bench_erasure") as url:
            name = "postgresql" if server else "sqlite"
            figures[name] = measure(url, args.participants, args.people, server is not None)
    print(json.dumps({"benchmark": "erasure", "participants": args.participants, **figures}))


if __name__ == "__main__":
    main()
