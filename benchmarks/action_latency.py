"""From a coordinator's command to its effect, with `spr serve` running (its local Prefect server warm).

A round of N respondents is launched first (untimed). Then `spr round remind benchmark --participant X`
runs K times, each for another person, as a coordinator runs it (a process of its own); the clock stops
when that person's reminder reaches the development SMTP server. The reminder is queued by the command's
own flow run, and sent by the `advance-round` run it starts, on the worker of `spr serve`: so the figure
is the whole path, command start-up, Prefect, worker poll, flow-run start and delivery included.

Usage: python benchmarks/action_latency.py [--n 20] [--times 7]
The last line printed is one JSON object with the figures (seconds: the median).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from email_throughput import create_round, free_port, start_mail_server, wait_for, wait_for_lines

from review_model.schema_migrations import upgrade_store
from review_model.store import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="respondents in the round")
    parser.add_argument("--times", type=int, default=7, help="commands timed")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="spr-latency-"))
    database_url = f"sqlite:///{workdir / 'store.db'}"
    engine = make_engine(database_url)
    upgrade_store(engine)
    create_round(engine, args.n)
    engine.dispose()

    port, portal_port, log = free_port(), free_port(), workdir / "mail-server.log"
    mail = start_mail_server(port, log)
    environment = {
        key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"
    } | {
        "SPR_DATABASE_URL": database_url, "SPR_SMTP_PORT": str(port), "SPR_SECRET_KEY": "benchmark-secret-" + "x" * 32,
        "SPR_PREFECT_PORT": str(free_port()), "SPR_DATA_DIR": str(workdir), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }  # fmt: skip
    serving = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "serve", "--port", str(portal_port)],
        env=environment, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    took, commands = [], []
    try:
        wait_for(port)
        _wait_until_healthy(portal_port)
        spr("round", "launch", "benchmark", env=environment, cwd=workdir)
        wait_for_lines(log, args.n)
        for person in range(args.times):
            before = len(log.read_text(encoding="utf-8").splitlines())
            started = time.perf_counter()
            spr("round", "remind", "benchmark", "--participant", f"person{person}@kommune{person}.example",
                env=environment, cwd=workdir)  # fmt: skip
            commands.append(time.perf_counter() - started)
            wait_for_lines(log, before + 1)
            took.append(time.perf_counter() - started)
    finally:
        serving.terminate()
        serving.wait(timeout=60)
        mail.terminate()
        mail.wait(timeout=10)
    median = statistics.median(took)
    print(f"`spr round remind` to the reminder delivered, {args.times} times with spr serve running: median "
          f"{median:.1f} s (min {min(took):.1f}, max {max(took):.1f}); the command itself took a median "
          f"{statistics.median(commands):.1f} s")  # fmt: skip
    print(json.dumps({"seconds": round(median, 1), "min": round(min(took), 1), "max": round(max(took), 1),
                      "command_seconds": round(statistics.median(commands), 1), "times": args.times}))  # fmt: skip


def spr(*args: str, env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "workflows.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"spr {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _wait_until_healthy(port: int, seconds: float = 120) -> None:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    sys.exit("spr serve did not become ready")


if __name__ == "__main__":
    main()
