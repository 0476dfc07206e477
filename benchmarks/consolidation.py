"""Consolidating a large round: N parties × 3 reviews × 40 items → findings, drafted recommendations, HTML report.

A store (SQLite, one file) is filled once, untimed: N organisations, each with a submitted self-assessment
and three submitted peer reviews of 40 maturity ratings (8 fields of action × 5 guidelines) with the odd
comment. Then a fresh process runs the stages exactly as the round driver does — consolidation (findings
stored), drafting (recommendations stored) — approves the drafts and renders the HTML report; it reports
the seconds of each step and its peak memory (maximum resident set size of that process). Each run starts
from a fresh copy of the filled store; medians are printed.

With --normalise the round has `normalise: leniency`: consolidation calibrates the reviewers and stores the
corrected peer means beside the raw ones, and the report ranks by them (the goal holds with it on).

Usage: python benchmarks/consolidation.py [--parties 10000] [--repeat 3] [--postgres] [--pdf] [--normalise]
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text, update

from review_model import clock
from review_model.questionnaire import Questionnaire
from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine, reading_session, session_scope
from review_model.tables import (
    Enrolment,
    Organisation,
    Participant,
    Recommendation,
    Review,
    ReviewAssignment,
    Round,
    Submission,
    SubmissionVersion,
)
from review_model.vocabulary import OrganisationKind, RecommendationStatus, Stage, WorkStatus

POSTGRES_ADMIN_URL = os.environ.get("SPR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
FIELDS = ["verwaltung", "it", "energie", "mobilitaet", "bildung", "gesundheit", "wirtschaft", "sicherheit"]
GUIDELINES = ["ziele", "teilhabe", "infrastruktur", "ressourcen", "daten"]
REVIEWS = 3


def questionnaire() -> Questionnaire:
    """40 maturity ratings (8 fields of action × 5 guidelines), each with a comment field."""
    levels = [{"value": v, "label": {"de": f"Stufe {v}", "en": f"Level {v}"},
               "description": {"de": f"Beschreibung {v}", "en": f"Description {v}"}} for v in range(5)]  # fmt: skip
    return Questionnaire.model_validate({
        "id": "benchmark", "title": {"de": "Benchmark", "en": "Benchmark"},
        "scales": {"maturity": {"levels": levels}},
        "sections": [
            {"id": field, "title": {"de": field.title(), "en": field.title()}, "tags": {"field_of_action": field},
             "items": [{"id": f"{field}.{g}", "type": "maturity", "comment": True, "tags": {"guideline": g},
                        "label": {"de": g.title(), "en": g.title()}} for g in GUIDELINES]}
            for field in FIELDS
        ],
    })  # fmt: skip


def fill_store(database_url: str, parties: int, normalise: bool = False) -> int:
    """The round at the close of its review stage (set-up, not timed)."""
    engine = make_engine(database_url)
    upgrade_store(engine)
    form = questionnaire()
    keys = [cell.key for cell in form.rating_cells()]
    rng = random.Random(7)
    now = clock.now()
    with session_scope(engine) as session:
        round_ = Round(
            slug="benchmark", title="Benchmark-Runde", coordinator_name="Geschäftsstelle",
            coordinator_email="gs@peer-review.example", questionnaire_id=form.id,
            questionnaire_snapshot=form.model_dump(mode="json", exclude_none=True), stage=Stage.consolidation,
            submission_deadline=now - timedelta(days=30), review_deadline=now - timedelta(days=1),
            comment_deadline=now + timedelta(days=14), spec_digest="benchmark",
            normalise="leniency" if normalise else None,
        )  # fmt: skip
        session.add(round_)
        session.flush()
        rid = round_.id
        kinds = list(OrganisationKind)
        session.execute(insert(Organisation), [
            {"name": f"Organisation {i:05d}", "kind": kinds[i % len(kinds)], "created_at": now}
            for i in range(parties)])  # fmt: skip
        org_ids = session.execute(select(Organisation.id).order_by(Organisation.id)).scalars().all()
        session.execute(insert(Participant), [
            {"email": f"p{i}@org{i}.example", "name": f"Person {i}", "organisation_id": oid, "language": "de",
             "expertise": [], "created_at": now} for i, oid in enumerate(org_ids)])  # fmt: skip
        person_ids = session.execute(select(Participant.id).order_by(Participant.id)).scalars().all()
        session.execute(insert(Enrolment), [
            {"round_id": rid, "participant_id": pid, "is_respondent": True, "is_reviewer": True,
             "reminders_sent": 0, "created_at": now} for pid in person_ids])  # fmt: skip
        enrolment_ids = session.execute(select(Enrolment.id).order_by(Enrolment.id)).scalars().all()
        # Each party has a maturity profile; its peers rate near it, sometimes far off.
        profiles = [rng.uniform(0.3, 3.7) for _ in range(parties)]
        own = [{key: min(4, max(0, round(p + rng.uniform(-0.5, 1.5)))) for key in keys} for p in profiles]
        session.execute(
            insert(Submission),
            [
                {
                    "round_id": rid,
                    "enrolment_id": eid,
                    "status": WorkStatus.submitted,
                    "answers": answers,
                    "version": 1,
                    "late": False,
                    "created_at": now,
                    "submitted_at": now,
                }
                for eid, answers in zip(enrolment_ids, own, strict=True)
            ],
        )
        submission_ids = session.execute(select(Submission.id).order_by(Submission.id)).scalars().all()
        session.execute(
            insert(SubmissionVersion),
            [
                {"submission_id": sid, "version": 1, "answers": answers, "submitted_at": now}
                for sid, answers in zip(submission_ids, own, strict=True)
            ],
        )
        assignments = [
            {"round_id": rid, "submission_id": sid, "reviewer_enrolment_id": enrolment_ids[(i + k + 1) % parties],
             "affinity": 0.5, "origin": "solver", "created_at": now, "confirmed_at": now}
            for i, sid in enumerate(submission_ids) for k in range(REVIEWS)
        ]  # fmt: skip
        session.execute(insert(ReviewAssignment), assignments)
        assignment_rows = session.execute(
            select(ReviewAssignment.id, ReviewAssignment.submission_id).order_by(ReviewAssignment.id)
        ).all()
        profile_of = dict(zip(submission_ids, profiles, strict=True))
        reviews = []
        for aid, sid in assignment_rows:
            answers = {key: min(4, max(0, round(profile_of[sid] + rng.gauss(0, 0.8)))) for key in keys}
            if rng.random() < 0.2:
                answers[f"{rng.choice(keys)}/comment"] = "Die Umsetzung steht noch am Anfang; es fehlt Personal."
            reviews.append({"round_id": rid, "assignment_id": aid, "status": WorkStatus.submitted, "answers": answers,
                            "version": 1, "created_at": now, "submitted_at": now})  # fmt: skip
        session.execute(insert(Review), reviews)
        # Consolidation reads each review's last submitted version (review_model.reviews.last_submitted).
        session.execute(text(
            "INSERT INTO review_versions (review_id, version, answers, submitted_at) "
            "SELECT id, version, answers, submitted_at FROM reviews WHERE round_id = :rid"), {"rid": rid})  # fmt: skip
    engine.dispose()
    return rid


def measure(database_url: str, round_id: int, pdf: bool = False) -> dict:
    """One run of consolidation, drafting and rendering, in this process (called in a fresh one)."""
    from config.settings import Settings
    from reports.contents import assemble_report
    from reports.rendering import render_html
    from workflows.stages.consolidation import consolidate_round
    from workflows.stages.context import StageContext
    from workflows.stages.drafting import draft_round

    engine = make_engine(database_url)
    context = StageContext.from_settings(Settings(database_url=database_url, secret_key="b" * 40), engine)
    times = {}
    started = time.perf_counter()
    findings = consolidate_round(context, round_id, "benchmark")
    times["consolidation_s"] = time.perf_counter() - started
    with session_scope(engine) as session:
        session.execute(update(Round).where(Round.id == round_id).values(stage=Stage.drafting))
    step = time.perf_counter()
    drafts = draft_round(context, round_id, "benchmark")
    times["drafting_s"] = time.perf_counter() - step
    with session_scope(engine) as session:
        session.execute(update(Recommendation).values(status=RecommendationStatus.approved))
    step = time.perf_counter()
    with reading_session(engine) as session:
        html = render_html(assemble_report(session, round_id, "de"))
    times["report_s"] = time.perf_counter() - step
    times["total_s"] = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if pdf:  # not part of the goal: publication leaves the PDF out beyond PDF_MAX_PARTIES parties
        from reports.rendering import render_pdf

        step = time.perf_counter()
        times["pdf_mb"] = len(render_pdf(html)) / 1e6
        times["pdf_s"] = time.perf_counter() - step
        times["pdf_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**times, "findings": findings, "recommendations": drafts, "html_mb": len(html.encode()) / 1e6,
            "peak_mb": peak_mb}  # fmt: skip


class SqliteStores:
    """The filled store as a file, copied for each run."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="spr-consolidation-"))
        self.filled_url = f"sqlite:///{self.workdir / 'filled.db'}"

    def copy(self, run: int) -> str:
        shutil.copyfile(self.workdir / "filled.db", self.workdir / f"store-{run}.db")
        return f"sqlite:///{self.workdir / f'store-{run}.db'}"

    def drop(self, run: int) -> None:
        (self.workdir / f"store-{run}.db").unlink()

    def close(self) -> None:
        shutil.rmtree(self.workdir)


class PostgresStores:
    """The filled store as a PostgreSQL database, copied for each run with CREATE DATABASE ... TEMPLATE."""

    def __init__(self) -> None:
        self.admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"spr_bench_{uuid.uuid4().hex[:8]}"
        self._execute(f'CREATE DATABASE "{self.prefix}_filled"')
        self.filled_url = self._url(f"{self.prefix}_filled")

    def copy(self, run: int) -> str:
        self._execute(f'CREATE DATABASE "{self.prefix}_{run}" TEMPLATE "{self.prefix}_filled"')
        return self._url(f"{self.prefix}_{run}")

    def drop(self, run: int) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{run}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.prefix}_filled" WITH (FORCE)')
        self.admin.dispose()

    def _url(self, name: str) -> str:
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, statement: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(statement))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="also time the PDF of the report (WeasyPrint)")
    parser.add_argument("--postgres", action="store_true", help="use throw-away PostgreSQL databases")
    parser.add_argument("--normalise", action="store_true", help="the round reports leniency-corrected peer means")
    parser.add_argument("--measure", nargs=2, metavar=("DATABASE_URL", "ROUND_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], int(args.measure[1]), args.pdf)))
        return

    stores = PostgresStores() if args.postgres else SqliteStores()
    try:
        round_id = fill_store(stores.filled_url, args.parties, args.normalise)
        runs = []
        for run in range(args.repeat):
            # A fresh copy of the filled store each run, so every run consolidates from scratch.
            copy_url = stores.copy(run)
            options = ["--pdf"] if args.pdf else []
            measured = subprocess.run(
                [sys.executable, __file__, "--measure", copy_url, str(round_id), *options],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(measured.stdout.strip().splitlines()[-1])
            runs.append(result)
            print(f"run {run + 1}: consolidation {result['consolidation_s']:.2f} s, drafting "
                  f"{result['drafting_s']:.2f} s, report {result['report_s']:.2f} s ({result['html_mb']:.1f} MB "
                  f"HTML), total {result['total_s']:.2f} s, peak {result['peak_mb']:.0f} MB; "
                  f"{result['findings']:,} findings, {result['recommendations']} recommendations"
                  + (f"; PDF {result['pdf_s']:.1f} s, {result['pdf_mb']:.1f} MB, peak with it "
                     f"{result['pdf_peak_mb']:.0f} MB" if args.pdf else ""))  # fmt: skip
            stores.drop(run)
    finally:
        stores.close()
    figures = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
    print(f"median of {len(runs)}: total {figures['total_s']:.2f} s (goal ≤ 10 s), peak {figures['peak_mb']:.0f} MB "
          f"(goal ≤ 1024 MB)")  # fmt: skip
    print(json.dumps({"benchmark": "consolidation", "db": "postgresql" if args.postgres else "sqlite",
                      "parties": args.parties, "reviews_per_party": REVIEWS, "normalise": args.normalise,
                      "items": len(FIELDS) * len(GUIDELINES), "runs": len(runs), **figures}))  # fmt: skip


if __name__ == "__main__":
    main()
