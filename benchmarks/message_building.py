"""Building messages: invitations composed with their calendar entry, beside the same invitations without one.

No store and no SMTP: only what `compose_message` does (rendering both parts, building the calendar entry,
writing the MIME bytes), in batches of 1,000 with one moment each as a stage enqueues them, so the entry
is built anew for each batch and language. The invitations "without" go to recipients with no participant id,
which get no entry: the message as it was before entries, multipart/alternative. The two alternate batch by
batch within one run, so the machine's load falls on both alike; CPU time is reported beside wall time.

Usage: python benchmarks/message_building.py [--n 10000] [--repeat 5]
The last line printed is one JSON object with the figures (medians over the repeats).
"""

import argparse
import json
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from notifications.compose import Recipient, RoundContext, Sender, compose_message
from notifications.message_kinds import Invitation
from review_model.questionnaire import Text

SENDER = Sender(address="peer-review@spr.example.org", name="Stakeholder Peer Review")
ROUND = RoundContext(
    round_id=1, slug="benchmark", title_de="Benchmark-Runde", title_en="Benchmark round", time_zone="Europe/Berlin",
    coordinator_name="Geschäftsstelle", coordinator_email="gs@peer-review.example",
)  # fmt: skip
BATCH = 1000


def build(recipients: list[Recipient], now: datetime, first: int) -> tuple[float, float]:
    """Compose an invitation for each recipient at `now`: (seconds of wall clock, seconds of this process's CPU).
    The CPU time is the steadier figure on a machine shared with other work."""
    deadline = datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
    title = Text(de="Selbsteinschätzung", en="Self-assessment")
    wall, cpu = time.perf_counter(), time.process_time()
    for number, recipient in enumerate(recipients, start=first):
        message = compose_message(
            Invitation(f"http://127.0.0.1:8000/a/token{number}", deadline, title, 27),
            recipient, ROUND, SENDER, stage="invitation", now=now,
        )  # fmt: skip
        assert message.error is None
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="invitations per run and kind")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    people = [
        Recipient(f"person{i}@kommune{i % 50}.example", f"Person {i} Müller", "en" if i % 4 == 0 else "de",
                  participant_id=i + 1, organisation=f"Kommune {i % 50:03d}")
        for i in range(args.n)
    ]  # fmt: skip
    without_ids = [replace(person, participant_id=None) for person in people]
    build(people[:BATCH], datetime(2027, 1, 1, tzinfo=UTC), 0)  # templates and catalogs compiled before timing
    build(without_ids[:BATCH], datetime(2027, 1, 1, tzinfo=UTC), 0)
    runs: list[dict[str, float]] = []
    for run in range(args.repeat):
        totals = dict.fromkeys(("with_wall", "with_cpu", "without_wall", "without_cpu"), 0.0)
        for offset in range(0, args.n, BATCH):  # batch by batch, the two kinds in turn
            now = datetime(2027, 2, 1, tzinfo=UTC) + timedelta(days=run, minutes=offset // BATCH)  # nothing cached
            for name, recipients in (("with", people), ("without", without_ids)):
                wall, cpu = build(recipients[offset : offset + BATCH], now, offset)
                totals[f"{name}_wall"] += wall
                totals[f"{name}_cpu"] += cpu
        runs.append({name: seconds / args.n * 1000 for name, seconds in totals.items()})
        last = runs[-1]
        print(
            f"run {run + 1}: with the calendar entry {last['with_cpu']:.3f} ms of CPU per message "
            f"({last['with_wall']:.3f} ms wall), without {last['without_cpu']:.3f} ms ({last['without_wall']:.3f} ms)",
            flush=True,
        )

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    print(json.dumps({
        "n": args.n, "repeat": args.repeat,
        "with_entry_cpu_ms_per_message": round(median("with_cpu"), 3),
        "without_entry_cpu_ms_per_message": round(median("without_cpu"), 3),
        "cpu_ratio": round(median("with_cpu") / median("without_cpu"), 2),
        "with_entry_wall_ms_per_message": round(median("with_wall"), 3),
        "without_entry_wall_ms_per_message": round(median("without_wall"), 3),
        "wall_ratio": round(median("with_wall") / median("without_wall"), 2),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
