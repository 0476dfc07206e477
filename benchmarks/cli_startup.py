"""How fast `spr --help` answers, beside a bare Python start measured in the same run.

Usage: python benchmarks/cli_startup.py [--runs 20]
The last line printed is one JSON object with the figures (seconds, medians).
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    spr = shutil.which("spr") or sys.exit("spr is not on PATH: install the package first (pip install -e .)")
    python = median_seconds([sys.executable, "-c", "pass"], runs)
    help_ = median_seconds([spr, "--help"], runs)
    round_help = median_seconds([spr, "round", "show", "--help"], runs)
    print(f"python -c pass        median {python * 1000:7.1f} ms over {runs} runs")
    print(f"spr --help            median {help_ * 1000:7.1f} ms")
    print(f"spr round show --help median {round_help * 1000:7.1f} ms")
    figures = {
        "runs": runs,
        "python_start_s": round(python, 4),
        "spr_help_s": round(help_, 4),
        "spr_round_show_help_s": round(round_help, 4),
        "spr_help_over_python": round(help_ / python, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
