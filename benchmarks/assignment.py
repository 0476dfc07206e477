"""Reviewer assignment: seeded instances solved by `spr assignment solve`, whole command included.

An instance has n submissions and n reviewers, k = 3, loads 1–4, the 50 highest affinities per submission
kept as the assignable pairs, about 1 % of them declared conflicts, and every submission's own
organisation excluded (organisations of about five people each). The command runs in its own process; its
wall time and peak memory (maximum resident set size) are measured from outside.

Usage: python benchmarks/assignment.py [--n 2000 10000] [--seed 2027]
The last line printed is one JSON object with the figures.
"""

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from review_model.spreadsheet_csv import GuardedWriter

KEEP, K, MIN_LOAD, MAX_LOAD = 50, 3, 1, 4


def write_instance(n: int, seed: int, folder: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(seed)
    organisation = rng.integers(0, max(1, n // 5), size=n)  # submission i and reviewer i belong to org i
    scores_path, conflicts_path = folder / f"scores-{n}.csv", folder / f"conflicts-{n}.csv"
    with scores_path.open("w", newline="") as scores, conflicts_path.open("w", newline="") as conflicts:
        score_rows, conflict_rows = GuardedWriter(scores), GuardedWriter(conflicts)
        score_rows.writerow(["submission", "reviewer", "affinity"])
        conflict_rows.writerow(["submission", "reviewer"])
        for start in range(0, n, 500):
            block = np.arange(start, min(n, start + 500))
            affinity = rng.random((len(block), n))
            affinity[organisation[block][:, None] == organisation[None, :]] = -1  # own organisation: never
            top = np.argpartition(-affinity, KEEP, axis=1)[:, :KEEP]
            for row, submission in enumerate(block):
                reviewers = top[row][affinity[row, top[row]] >= 0]
                score_rows.writerows((f"s{submission}", f"r{r}", f"{affinity[row, r]:.6f}") for r in reviewers)
                declared = reviewers[rng.random(len(reviewers)) < 0.01]
                conflict_rows.writerows((f"s{submission}", f"r{r}") for r in declared)
    return scores_path, conflicts_path


def solve(n: int, seed: int, folder: Path) -> dict:
    scores, conflicts = write_instance(n, seed, folder)
    out = folder / f"assignment-{n}.csv"
    command = [sys.executable, "-m", "workflows.cli", "assignment", "solve", "--scores", str(scores),
               "--conflicts", str(conflicts), "--k", str(K), "--min-load", str(MIN_LOAD), "--max-load", str(MAX_LOAD),
               "--out", str(out)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    if result.returncode != 0:
        sys.exit(f"n={n}: the solve failed:\n{result.stdout}{result.stderr}")
    rows = list(csv.DictReader(out.open()))
    loads = np.bincount([int(row["reviewer"][1:]) for row in rows], minlength=n)
    covered = np.bincount([int(row["submission"][1:]) for row in rows], minlength=n)
    print(f"n={n}: {result.stdout.strip()}")
    return {
        "n": n,
        "seconds": round(seconds, 2),
        "total_affinity": round(sum(float(row["affinity"]) for row in rows), 4),
        "coverage": round(float(np.mean(covered == K)), 4),
        "load_min": int(loads.min()),
        "load_max": int(loads.max()),
        "peak_mb": round(peak_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="spr-assignment-"))
    figures = [solve(n, args.seed, folder) for n in sorted(args.n)]
    print(json.dumps({"instances": figures, "k": K, "loads": [MIN_LOAD, MAX_LOAD], "kept_per_submission": KEEP}))


if __name__ == "__main__":
    main()
