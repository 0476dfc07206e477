"""`spr demo` from start to the published report: seconds per run, as a newcomer runs it.

Each run is the command in its own process, in a fresh folder (so Prefect's temporary API, the store, the
servers and every stage are included). The repeated runs share Prefect's own database in PREFECT_HOME, as
any machine does after its first run.

Usage: python benchmarks/demo.py [--repeat 3]
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    seconds, emails = [], []
    with tempfile.TemporaryDirectory(prefix="spr-demo-benchmark-") as workdir:
        for run in range(args.repeat):
            folder = Path(workdir) / f"run-{run}"
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "workflows.cli", "demo", "--folder", str(folder)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            seconds.append(time.perf_counter() - started)
            # One "Emails: N (…)" line per round (the example round and its follow-up round).
            lines = [line.strip() for line in done.stdout.splitlines()]
            per_round = [int(line.split()[1]) for line in lines if line.startswith("Emails:")]
            emails.append(sum(per_round))
            print(f"run {run + 1}: {seconds[-1]:.1f} s; emails {' + '.join(map(str, per_round))} = {emails[-1]}")
    median = statistics.median(seconds)
    print(f"median of {len(seconds)}: {median:.1f} s (goal < 120 s)")
    print(json.dumps({"benchmark": "demo", "runs": len(seconds), "median_s": round(median, 1),
                      "seconds": [round(s, 1) for s in seconds], "emails": emails[-1]}))  # fmt: skip


if __name__ == "__main__":
    main()
