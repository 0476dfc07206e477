"""Assignment instances as CSV files, for `spr assignment solve` outside a round.

scores.csv: `submission,reviewer,affinity` with a header row, one line per pair that may be assigned.
conflicts.csv (optional): `submission,reviewer`, pairs that must not be assigned even if scored.
The result: `submission,reviewer,affinity`, one line per assigned pair.
"""

import csv
from pathlib import Path

import numpy as np

from review_model.assignment_solver import Assignment, AssignmentProblem
from review_model.spreadsheet_csv import GuardedWriter


class InstanceError(Exception):
    """A CSV file that cannot be read as an instance; names the file, line and problem."""


def read_instance(scores: Path, conflicts: Path | None, k: int, min_load: int, max_load: int) -> AssignmentProblem:
    """Read an instance; submissions and reviewers are the labels that appear in the scores file."""
    sub_labels, rev_labels, affinity = _read_pairs(scores, with_affinity=True)
    submissions, pair_submission = np.unique(np.asarray(sub_labels, dtype=object), return_inverse=True)
    reviewers, pair_reviewer = np.unique(np.asarray(rev_labels, dtype=object), return_inverse=True)
    keys = pair_submission.astype(np.int64) * len(reviewers) + pair_reviewer
    if len(np.unique(keys)) != len(keys):
        raise InstanceError(f"{scores}: a (submission, reviewer) pair is listed twice")
    if conflicts is not None:
        c_sub, c_rev, _ = _read_pairs(conflicts, with_affinity=False)
        sub_index = {label: i for i, label in enumerate(submissions)}
        rev_index = {label: i for i, label in enumerate(reviewers)}
        known = [
            (sub_index[s], rev_index[r]) for s, r in zip(c_sub, c_rev, strict=True) if s in sub_index and r in rev_index
        ]
        if known:
            conflict_keys = np.array([s * len(reviewers) + r for s, r in known], dtype=np.int64)
            keep = ~np.isin(keys, conflict_keys)
            pair_submission, pair_reviewer, affinity = pair_submission[keep], pair_reviewer[keep], affinity[keep]
    n_sub, n_rev = len(submissions), len(reviewers)
    return AssignmentProblem(
        submissions=[str(label) for label in submissions],
        reviewers=[str(label) for label in reviewers],
        pair_submission=pair_submission.astype(np.int64),
        pair_reviewer=pair_reviewer.astype(np.int64),
        pair_affinity=affinity,
        reviewers_per_submission=np.full(n_sub, k, dtype=np.int64),
        min_load=np.full(n_rev, min_load, dtype=np.int64),
        max_load=np.full(n_rev, max_load, dtype=np.int64),
    )


def _read_pairs(path: Path, *, with_affinity: bool) -> tuple[list[str], list[str], np.ndarray]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.reader(file))
    except (OSError, UnicodeDecodeError) as error:
        raise InstanceError(f"{path}: cannot be read ({error})") from None
    if not rows:
        raise InstanceError(f"{path}: the file is empty")
    header = [name.strip().lower() for name in rows[0]]
    expected = ["submission", "reviewer", "affinity"] if with_affinity else ["submission", "reviewer"]
    if header[: len(expected)] != expected:
        raise InstanceError(f"{path}:1: the header must be {','.join(expected)} (got {','.join(header)})")
    body = [row for row in rows[1:] if row]
    if any(len(row) < len(expected) for row in body):
        line = next(i for i, row in enumerate(rows[1:], 2) if row and len(row) < len(expected))
        raise InstanceError(f"{path}:{line}: expected {len(expected)} fields")
    subs = [row[0].strip() for row in body]
    revs = [row[1].strip() for row in body]
    if not with_affinity:
        return subs, revs, np.zeros(0)
    try:
        affinity = np.array([row[2] for row in body], dtype=np.float64)
    except ValueError:
        line = next(i for i, row in enumerate(rows[1:], 2) if row and not _is_number(row[2]))
        raise InstanceError(f"{path}:{line}: affinity {rows[line - 1][2]!r} is not a number") from None
    if not np.all(np.isfinite(affinity)):
        raise InstanceError(f"{path}: affinities must be finite numbers")
    return subs, revs, affinity


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_assignment(path: Path, problem: AssignmentProblem, assignment: Assignment) -> None:
    """The assigned pairs, sorted by submission and then by affinity, highest first."""
    subs = problem.pair_submission[assignment.pairs]
    order = np.lexsort((-problem.pair_affinity[assignment.pairs], subs))
    chosen = assignment.pairs[order]
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = GuardedWriter(file)
        writer.writerow(["submission", "reviewer", "affinity"])
        writer.writerows(
            (problem.submissions[s], problem.reviewers[r], repr(float(a)))
            for s, r, a in zip(
                problem.pair_submission[chosen],
                problem.pair_reviewer[chosen],
                problem.pair_affinity[chosen],
                strict=True,
            )
        )
