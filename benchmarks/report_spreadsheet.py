"""The coordinator's raw data workbook (`spr report ROUND --format xlsx`) of a large round: seconds and peak memory.

The store is filled once per size, untimed, as `consolidation.py` fills it: N parties, each with a submitted
self-assessment and three submitted peer reviews of 40 maturity ratings with the odd comment (one review in
five has one). Then a fresh process writes the workbook to a file, as the command does, and reports the
seconds, the peak memory (the peak resident set size of that process, Python and the imports included, and
what it was before writing), the file's size and the rows of each sheet. Medians of the runs are printed.

Usage: python benchmarks/report_spreadsheet.py [--parties 1000 10000] [--repeat 3] [--postgres]
The last line printed is one JSON object with the figures.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from consolidation import FIELDS, GUIDELINES, REVIEWS, PostgresStores, SqliteStores, fill_store


def peak_memory_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, as getrusage's maximum can still hold the parent's
    (the filler's) from before the new process replaced its copy of it."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def measure(database_url: str, round_id: int, target: Path) -> dict[str, float]:
    """One workbook written, in this process (called in a fresh one)."""
    from reports.raw_data import write_raw_data
    from review_model.store import make_engine, reading_session

    engine = make_engine(database_url)
    baseline_mb = peak_memory_mb()
    started = time.perf_counter()
    with reading_session(engine) as session:
        write_raw_data(session, round_id, "de", target)
    seconds = time.perf_counter() - started
    peak_mb = peak_memory_mb()
    return {"seconds": seconds, "peak_mb": peak_mb, "before_mb": baseline_mb, "file_mb": target.stat().st_size / 1e6}


def sheet_rows(path: Path) -> dict[str, int]:
    """The rows of each sheet, the header included, as the workbook declares them (read without loading it)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as archive:
        names = re.findall(r'<sheet name="([^"]+)"', archive.read("xl/workbook.xml").decode())
        rows = {}
        for number, name in enumerate(names, start=1):
            with archive.open(f"xl/worksheets/sheet{number}.xml") as sheet:
                head = sheet.read(2000).decode(errors="replace")
            found = re.search(r'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"', head)
            rows[name] = int(found.group(1) or 1) if found else 0
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parties", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="use throw-away PostgreSQL databases")
    parser.add_argument("--measure", nargs=3, metavar=("DATABASE_URL", "ROUND_ID", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], int(args.measure[1]), Path(args.measure[2]))))
        return

    results = []
    for parties in args.parties:
        stores = PostgresStores() if args.postgres else SqliteStores()
        try:
            round_id = fill_store(stores.filled_url, parties)
            runs, rows = [], {}
            with tempfile.TemporaryDirectory(prefix="spr-workbook-") as folder:
                for run in range(args.repeat):
                    target = Path(folder) / f"raw-data-{run}.xlsx"
                    measured = subprocess.run(
                        [sys.executable, __file__, "--measure", stores.filled_url, str(round_id), str(target)],
                        capture_output=True, text=True, check=True,
                    )  # fmt: skip
                    result = json.loads(measured.stdout.strip().splitlines()[-1])
                    rows = sheet_rows(target)
                    runs.append(result)
                    print(f"{parties:,} parties, run {run + 1}: {result['seconds']:.2f} s, "
                          f"peak {result['peak_mb']:.0f} MB (before writing {result['before_mb']:.0f} MB), "
                          f"{result['file_mb']:.1f} MB file")  # fmt: skip
                    target.unlink()
        finally:
            stores.close()
        figures = {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
        print(f"{parties:,} parties, median of {len(runs)}: {figures['seconds']:.2f} s, "
              f"peak {figures['peak_mb']:.0f} MB, {figures['file_mb']:.1f} MB; rows per sheet: "
              f"{', '.join(f'{name} {count:,}' for name, count in rows.items())}")  # fmt: skip
        results.append({"parties": parties, **figures, "rows": rows})
    print(json.dumps({"benchmark": "report_spreadsheet", "db": "postgresql" if args.postgres else "sqlite",
                      "reviews_per_party": REVIEWS, "items": len(FIELDS) * len(GUIDELINES), "runs": args.repeat,
                      "sizes": results}))  # fmt: skip


if __name__ == "__main__":
    main()
