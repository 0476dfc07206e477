"""Server time of the coordinator console's pages on a round of N participants (default 10,000) in its review
stage: the dashboard and the people page (its first page of 50, everyone, and filtered), as a logged-in
coordinator asks for them.

The store is the one `console_views.py` builds (N organisations with one person each, three confirmed reviews
per party, 40 % of them submitted, an outbox of ~3·N messages, 5,000 history entries, nineteen more rounds).
The portal application runs in this process (Starlette's test client: no network, no uvicorn) and each page
is asked for R times after two warm-up requests; the time is the request's, in-process, which is the server's
time plus well under a millisecond of the client. SQLite always; PostgreSQL too with `--database-url` (a
throw-away database is created there and dropped at the end), side by side in the same run.

Usage: python benchmarks/console.py [--participants 10000] [--runs 30]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
The last line printed is one JSON object: per database the median and p95 of each page, and
`dashboard_p95_ms` and `people_p95_ms`, the larger of the databases' (goal: under 300 ms each).
"""

import argparse
import json
import statistics
import time

from console_views import review_round_store
from fastapi.testclient import TestClient
from sqlmodel import Session
from throwaway_store import throwaway_store

from config.settings import Settings
from portal.app import create_app
from review_model import clock
from review_model.rounds import get_round
from review_model.staff import add_staff, set_password_with_link
from review_model.vocabulary import StaffRole

GOAL_MS = 300
SECRET = "a-benchmark-secret-that-is-long-enough-0123456789"
COORDINATOR, PASSWORD = "koordination@land.example", "a benchmark password 2027"


def measure_pages(url: str, participants: int, runs: int, postgres: bool) -> dict[str, dict[str, float]]:
    """Fill a store at `url`, log in as its coordinator, and time each page; medians and p95 in ms."""
    engine, round_id = review_round_store(url, participants, postgres)
    with Session(engine) as session:
        round_ = get_round(session, round_id)
        slug = round_.slug
        _, link = add_staff(session, COORDINATOR, StaffRole.coordinator, name="", rounds=[round_], actor="bench",
                            now=clock.now())  # fmt: skip
        set_password_with_link(session, link.token, PASSWORD, PASSWORD, clock.now())
        session.commit()
    print(f"{runs} requests each:")
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    pages = {
        "dashboard": f"/console/rounds/{slug}",
        "people": f"/console/rounds/{slug}/people",
        "people_filtered": f"/console/rounds/{slug}/people?role=reviewer&state=open_reviews&kind=kommune",
        "rounds": "/console",
    }
    figures = {}
    with TestClient(create_app(settings, engine), base_url="http://testserver") as client:
        login = client.get("/console/login")
        csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
        answer = client.post("/console/login", data={"csrf": csrf, "email": COORDINATOR, "password": PASSWORD},
                             follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303, answer.text
        for name, path in pages.items():
            for _ in range(2):  # warm-up: templates compiled, caches filled
                assert client.get(path).status_code == 200
            times = []
            for _ in range(runs):
                begun = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200
            times.sort()
            figures[name] = {
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            }
            mark = "" if figures[name]["p95_ms"] < GOAL_MS else f"  (over the goal of {GOAL_MS} ms)"
            print(
                f"  {name:16} median {figures[name]['median_ms']:7.1f} ms   p95 {figures[name]['p95_ms']:7.1f} ms{mark}"
            )
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL server (any database on it) to measure on as well")
    args = parser.parse_args()

    results: dict[str, dict[str, dict[str, float]]] = {}
    with throwaway_store(prefix="spr_bench_pages") as url:
        results["sqlite"] = measure_pages(url, args.participants, args.runs, False)
    if args.database_url:
        with throwaway_store(args.database_url, prefix="spr_bench_pages") as url:
            results["postgresql"] = measure_pages(url, args.participants, args.runs, True)
    worst = {page: max(figures[page]["p95_ms"] for figures in results.values()) for page in ("dashboard", "people")}
    print(json.dumps({"benchmark": "console", "participants": args.participants, "runs": args.runs,
                      "goal_ms": GOAL_MS, **results, "dashboard_p95_ms": worst["dashboard"],
                      "people_p95_ms": worst["people"]}))  # fmt: skip


if __name__ == "__main__":
    main()
