"""Portal load: N participants open their form and submit it within a short window, against `spr serve`.

The portal runs in a separate process on loopback (uvicorn, one worker; the worker off, so that
only the portal is measured). Each participant arrives at a
random moment within the window, opens their form (GET), submits complete answers (POST) and follows the
redirect to the confirmation (GET). Afterwards the store is checked: every submission stored exactly once.

Usage: python benchmarks/portal_load.py [--n 500] [--window 10] [--postgres]
The last line printed is one JSON object with the figures.
"""

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select, text

from config.paths import EXAMPLES_DIR
from review_model import clock
from review_model.answers import form_fields
from review_model.questionnaire import Questionnaire
from review_model.rounds import create_round_from_file
from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine, session_scope
from review_model.tables import Enrolment, Organisation, Participant, Submission, SubmissionVersion
from review_model.tokens import issue_link
from review_model.vocabulary import OrganisationKind, Stage, TokenPurpose

SECRET = secrets.token_urlsafe(48)
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
POSTGRES_ADMIN_URL = os.environ.get("SPR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_round(database_url: str, n: int) -> tuple[list[str], Questionnaire]:
    """The example round in its submission stage with n participants, each with a personal link."""
    engine = make_engine(database_url)
    upgrade_store(engine)
    now = clock.now()
    with session_scope(engine) as session:
        round_ = create_round_from_file(
            session, EXAMPLES_DIR / "round.yaml", now=now, default_time_zone="Europe/Berlin", default_language="de",
            actor="benchmark",
        ).round  # fmt: skip
        round_.stage = Stage.submission
        organisations = [Organisation(name=f"Stadt {i:03d}", kind=OrganisationKind.kommune) for i in range(50)]
        session.add_all(organisations)
        session.flush()
        session.execute(
            insert(Participant),
            [{"email": f"person{i}@stadt{i % 50}.example", "name": f"Person {i}", "created_at": now,
              "organisation_id": organisations[i % 50].id, "language": "en" if i % 4 == 0 else "de", "expertise": []}
             for i in range(n)],
        )  # fmt: skip
        ids = session.execute(select(Participant.id).order_by(Participant.id)).scalars().all()
        session.execute(
            insert(Enrolment),
            [{"round_id": round_.id, "participant_id": pid, "is_respondent": True, "is_reviewer": True,
              "reminders_sent": 0, "created_at": now} for pid in ids],
        )  # fmt: skip
        enrolments = session.execute(select(Enrolment.id).where(Enrolment.round_id == round_.id)).scalars().all()
        tokens = [
            issue_link(
                session, SECRET.encode(), round_id=round_.id, enrolment_id=enrolment_id,
                purpose=TokenPurpose.self_assessment, expires_at=round_.submission_deadline + timedelta(days=14),
            ).token
            for enrolment_id in enrolments
        ]  # fmt: skip
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
    engine.dispose()
    return tokens, questionnaire


def complete_answers(questionnaire: Questionnaire, rng: random.Random) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {}
    for spec in form_fields(questionnaire):
        if spec.kind == "scale" and spec.scale is not None:
            answers[spec.key] = str(rng.choice(spec.scale.values))
        elif spec.kind == "text" or (spec.kind == "comment" and rng.random() < 0.3):
            answers[spec.key] = rng.choice(["Offene Daten.", "Fehlendes Personal bremst.", "Ein Reallabor läuft."])
    return answers


async def participant(
    base_url: str, token: str, answers: dict, delay: float, latencies: dict[str, list[float]], errors: list
) -> None:
    await asyncio.sleep(delay)
    path = f"/a/{token}"
    # Each participant has a connection of their own, as each browser would. (One client with hundreds of
    # pooled connections spends more CPU managing its pool than the portal spends answering.)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, verify=_TLS) as client:
        await _visit(client, path, answers, latencies, errors)


_TLS = ssl.create_default_context()  # shared: httpx would build one per client otherwise


async def _visit(
    client: httpx.AsyncClient, path: str, answers: dict, latencies: dict[str, list[float]], errors: list
) -> None:
    try:
        started = time.perf_counter()
        page = await client.get(path)
        latencies["open"].append(time.perf_counter() - started)
        page.raise_for_status()
        csrf = CSRF.search(page.text).group(1)
        started = time.perf_counter()
        posted = await client.post(path, data={"csrf": csrf, "action": "submit", **answers})
        latencies["submit"].append(time.perf_counter() - started)
        if posted.status_code != 303:
            raise RuntimeError(f"submit answered {posted.status_code}")
        started = time.perf_counter()
        confirmation = await client.get(path + posted.headers["location"])
        latencies["confirm"].append(time.perf_counter() - started)
        confirmation.raise_for_status()
    except Exception as error:  # every failure is counted, none stops the others
        errors.append(f"{type(error).__name__}: {error}")


async def run_load(base_url: str, tokens: list[str], questionnaire: Questionnaire, window: float):
    rng = random.Random(2027)
    latencies: dict[str, list[float]] = {"open": [], "submit": [], "confirm": []}
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(participant(base_url, token, complete_answers(questionnaire, rng), rng.uniform(0, window), latencies, errors)
          for token in tokens)
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="participants")
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which they arrive")
    parser.add_argument("--postgres", action="store_true", help="use a throw-away PostgreSQL database")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="spr-portal-load-"))
    admin = None
    if args.postgres:
        admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"spr_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = admin.url.set(database=name).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{workdir / 'store.db'}"
    tokens, questionnaire = prepare_round(database_url, args.n)

    port = free_port()
    environment = {**os.environ, "SPR_DATABASE_URL": database_url, "SPR_SECRET_KEY": SECRET,
                   "SPR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                   # Every participant comes from this machine: the ceiling per address is for people, not for this.
                   "SPR_PORTAL_REQUESTS_PER_MINUTE": "1000000"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "serve", "--port", str(port), "--no-worker"],
        env=environment, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_healthy(port, server)
        latencies, errors, elapsed = asyncio.run(
            run_load(f"http://127.0.0.1:{port}", tokens, questionnaire, args.window)
        )
    finally:
        server.terminate()
        server.wait(timeout=20)

    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            select(func.count()).select_from(Submission).where(Submission.is_submitted)
        ).scalar_one()
        versions = connection.execute(select(func.count()).select_from(SubmissionVersion)).scalar_one()
    engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{make_engine(database_url).url.database}" WITH (FORCE)'))
        admin.dispose()

    every = [value for values in latencies.values() for value in values]
    requests = len(every)
    for kind, values in latencies.items():
        shares = "  ".join(
            f"p{int(share * 100)} {percentile(values, share) * 1000:6.1f} ms" for share in (0.5, 0.95, 0.99)
        )
        print(f"{kind:8} {len(values):5} requests  {shares}")
    print(f"{requests} requests in {elapsed:.1f} s ({requests / elapsed:.0f}/s); errors {len(errors)}; "
          f"stored {stored} of {args.n}, versions {versions}")  # fmt: skip
    for error in sorted(set(errors))[:5]:
        print("  error:", error)
    figures = {
        "n": args.n,
        "window_s": args.window,
        "db": "postgresql" if args.postgres else "sqlite",
        "errors": len(errors),
        "lost": args.n - stored,
        "duplicates": versions - stored,
        "rps": round(requests / elapsed, 1),
        "p50_ms": round(percentile(every, 0.50) * 1000, 1),
        "p95_ms": round(percentile(every, 0.95) * 1000, 1),
        "p99_ms": round(percentile(every, 0.99) * 1000, 1),
        "submit_p99_ms": round(percentile(latencies["submit"], 0.99) * 1000, 1),
    }
    print(json.dumps(figures))


def _wait_healthy(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"spr serve stopped: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit("spr serve did not become healthy")


if __name__ == "__main__":
    main()
