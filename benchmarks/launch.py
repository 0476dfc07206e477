"""Launching a round of N participants: from `spr round launch` to every invitation delivered.

The round (N respondents) is set up first, untimed, and Prefect's database is created (as it is on any
machine where Prefect ran before). Then `spr round launch` runs as a command in its own process, exactly
as a coordinator runs it — Prefect's start-up (its temporary local API) included — against the
development SMTP server in another process. Afterwards the Prefect task runs are counted.

Usage: python benchmarks/launch.py [--n 10000]
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from email_throughput import create_round, free_port, start_mail_server, wait_for, wait_for_lines

from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine

COUNT_TASK_RUNS = """
from prefect.client.orchestration import get_client
with get_client(sync_client=True) as client:
    tasks = 0
    while page := client.read_task_runs(limit=200, offset=tasks):
        tasks += len(page)
    print(tasks, len(client.read_flow_runs(limit=200)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="respondents in the round")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="spr-launch-"))
    database_url = f"sqlite:///{workdir / 'store.db'}"
    engine = make_engine(database_url)
    upgrade_store(engine)
    create_round(engine, args.n)
    engine.dispose()

    port, log = free_port(), workdir / "mail-server.log"
    server = start_mail_server(port, log)
    environment = {
        **os.environ,
        "SPR_DATABASE_URL": database_url,
        "SPR_SMTP_PORT": str(port),
        "SPR_SECRET_KEY": "benchmark-secret-" + "x" * 32,
        "PREFECT_HOME": str(workdir / "prefect"),  # a Prefect database of its own, so counts are this run's
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    try:
        wait_for(port)
        # Prefect creates its database on first use; a coordinator's machine has one already.
        subprocess.run([sys.executable, "-c", COUNT_TASK_RUNS], env=environment, capture_output=True, check=True)
        started = time.perf_counter()
        launched = subprocess.run(
            [sys.executable, "-m", "workflows.cli", "round", "launch", "benchmark"],
            env=environment, cwd=workdir, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if launched.returncode != 0:
            sys.exit(f"launch failed:\n{launched.stdout}\n{launched.stderr}")
        wait_for_lines(log, args.n)
        delivered = len(log.read_text(encoding="utf-8").splitlines())
    finally:
        server.terminate()
        server.wait(timeout=10)
    counted = subprocess.run(
        [sys.executable, "-c", COUNT_TASK_RUNS], env=environment, capture_output=True, text=True, check=True
    )
    task_runs, flow_runs = (int(value) for value in counted.stdout.split()[-2:])
    summary = next((line for line in launched.stdout.splitlines() if "launched" in line), "").strip()
    print(summary)
    print(f"{args.n} invitations delivered in {seconds:.1f} s from `spr round launch`, Prefect start-up included; "
          f"{task_runs} task runs in {flow_runs} flow run(s)")  # fmt: skip
    print(json.dumps({"n": args.n, "seconds": round(seconds, 1), "delivered": delivered, "task_runs": task_runs,
                      "flow_runs": flow_runs, "db": "sqlite"}))  # fmt: skip


if __name__ == "__main__":
    main()
