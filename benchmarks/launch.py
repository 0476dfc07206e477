"""Launching a round of N participants: from `spr round launch` to every invitation delivered.

The round (N respondents) is set up first, untimed, and Prefect's database is created (as it is on any
machine where Prefect ran before). Then `spr round launch` runs as a command in its own process, exactly
as a coordinator runs it — Prefect's start-up (its temporary local API) included — against the
development SMTP server in another process. Afterwards the Prefect task runs are counted.

With --prefect-server, the same launch then runs again on a real local Prefect server (started and warm
before the clock starts, as `spr serve` keeps it), side by side in one run.

Usage: python benchmarks/launch.py [--n 10000] [--prefect-server]
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from email_throughput import create_round, free_port, start_mail_server, wait_for, wait_for_lines

from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine
from workflows.prefect_server import LocalPrefectServer

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
    parser.add_argument(
        "--prefect-server",
        action="store_true",
        help="also launch on a real local Prefect server (`prefect server start`), side by side with the "
        "temporary API; the JSON's seconds is then the server's figure",
    )
    args = parser.parse_args()
    figures = {"temporary API": launch(args.n, server=False)}
    if args.prefect_server:
        figures["Prefect server"] = launch(args.n, server=True)
    for where, figure in figures.items():
        print(f"{where}: {figure['summary']}")
        print(f"  {args.n} invitations delivered in {figure['seconds']:.1f} s from `spr round launch`, Prefect "
              f"start-up included; {figure['task_runs']} task runs in {figure['flow_runs']} flow run(s)")  # fmt: skip
    last = figures.get("Prefect server", figures["temporary API"])
    result = {key: value for key, value in last.items() if key != "summary"} | {"n": args.n, "db": "sqlite"}
    if args.prefect_server:
        result["temporary_api_seconds"] = figures["temporary API"]["seconds"]
    print(json.dumps(result))


def launch(n: int, server: bool) -> dict:
    """One launch of a fresh round of `n` respondents; on a running Prefect server when `server`."""
    workdir = Path(tempfile.mkdtemp(prefix="spr-launch-"))
    database_url = f"sqlite:///{workdir / 'store.db'}"
    engine = make_engine(database_url)
    upgrade_store(engine)
    create_round(engine, n)
    engine.dispose()

    port, log = free_port(), workdir / "mail-server.log"
    mail = start_mail_server(port, log)
    environment = {
        **os.environ,
        "SPR_DATABASE_URL": database_url,
        "SPR_SMTP_PORT": str(port),
        "SPR_SECRET_KEY": "benchmark-secret-" + "x" * 32,
        "PREFECT_HOME": str(workdir / "prefect"),  # a Prefect database of its own, so counts are this run's
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    environment.pop("PREFECT_API_URL", None)
    with ExitStack() as stack:
        stack.callback(_stop, mail)
        if server:  # started and warm before the clock starts, as `spr serve` keeps it running
            prefect = stack.enter_context(LocalPrefectServer(workdir / "prefect"))
            environment["PREFECT_API_URL"] = prefect.url
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
        wait_for_lines(log, n)
        delivered = len(log.read_text(encoding="utf-8").splitlines())
        counted = subprocess.run(
            [sys.executable, "-c", COUNT_TASK_RUNS], env=environment, capture_output=True, text=True, check=True
        )
    task_runs, flow_runs = (int(value) for value in counted.stdout.split()[-2:])
    summary = next((line for line in launched.stdout.splitlines() if "launched" in line), "").strip()
    return {"seconds": round(seconds, 1), "delivered": delivered, "task_runs": task_runs, "flow_runs": flow_runs,
            "summary": summary}  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


if __name__ == "__main__":
    main()
