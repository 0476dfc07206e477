"""The hard rules of reviewer assignment, checked on a given assignment (after a swap, before confirming).

The solver (assignment_solver) only ever proposes assignments that keep these rules; a coordinator's swap
or a conflict declared afterwards can break them. Each breach is named by the round file's key for the
rule (or "own organisation", "declared conflict"), with the people and organisations concerned, so the
coordinator sees every reason at once.
"""

import difflib
from collections import Counter
from typing import TYPE_CHECKING

from config.translations import N_
from review_model.refusals import Reason

if TYPE_CHECKING:
    from review_model.round_assignment import RoundAssignmentProblem


def assignment_rule_breaches(instance: "RoundAssignmentProblem", pairs: list[tuple[int, int]]) -> list[str]:
    """Every rule the assignment `pairs` (submission index, reviewer index) breaks; empty when it keeps all."""
    problem = instance.problem
    reasons: list[str] = []
    for s, r in sorted(set(pairs)):
        reasons += pair_rule_breaches(instance, s, r)
    for (s, r), times in sorted(Counter(pairs).items()):
        if times > 1:
            who, whom = problem.reviewers[r], problem.submissions[s]
            reasons.append(Reason(N_("{reviewer} would review {submission} {times} times"),
                                  reviewer=who, submission=whom, times=times))  # fmt: skip
    loads = Counter(r for _, r in pairs)
    for r, email in enumerate(problem.reviewers):
        if loads[r] > problem.max_load[r]:
            reasons.append(Reason(N_("max_load: {reviewer} would have {load} reviews, at most {most}"),
                                  reviewer=email, load=loads[r], most=problem.max_load[r]))  # fmt: skip
        if loads[r] < problem.min_load[r]:
            reasons.append(Reason(N_("min_load: {reviewer} would have {load} reviews, at least {least}"),
                                  reviewer=email, load=loads[r], least=problem.min_load[r]))  # fmt: skip
    reasons += _kind_breaches(instance, pairs)
    reasons += _mutual_breaches(instance, pairs)
    return reasons


def pair_rule_breaches(instance: "RoundAssignmentProblem", s: int, r: int) -> list[str]:
    """Every rule that forbids reviewer `r` to review submission `s` at all."""
    problem = instance.problem
    who, whom = problem.reviewers[r], problem.submissions[s]
    reasons: list[str] = []
    assert problem.reviewer_organisation is not None and problem.submission_organisation is not None
    if problem.reviewer_organisation[r] == problem.submission_organisation[s]:
        reasons.append(
            Reason(N_("own organisation: {reviewer} belongs to {submission}"), reviewer=who, submission=whom)
        )
    if (s, r) in instance.declared_conflicts:
        reasons.append(Reason(N_("declared conflict: {reviewer} declared a conflict of interest with {submission}"),
                              reviewer=who, submission=whom))  # fmt: skip
    state = instance.submission_states[s]
    if instance.exclude_same_state and state and state == instance.reviewer_states[r]:
        reasons.append(Reason(N_("exclude_same_state: {reviewer} and {submission} are both in {state}"),
                              reviewer=who, submission=whom, state=state))  # fmt: skip
    return reasons


def _kind_breaches(instance: "RoundAssignmentProblem", pairs: list[tuple[int, int]]) -> list[str]:
    problem = instance.problem
    if problem.max_per_kind is None or problem.reviewer_kind is None:
        return []
    per_kind = Counter((s, int(problem.reviewer_kind[r])) for s, r in set(pairs))
    return [
        Reason(
            N_(
                "max_per_organisation_kind: {submission} would have {count} reviewers from organisations of kind "
                "{kind}, at most {most}"
            ),
            submission=problem.submissions[s],
            count=n,
            kind=instance.kind_names[kind],
            most=problem.max_per_kind,
        )
        for (s, kind), n in sorted(per_kind.items())
        if n > problem.max_per_kind
    ]


def _mutual_breaches(instance: "RoundAssignmentProblem", pairs: list[tuple[int, int]]) -> list[str]:
    problem = instance.problem
    if not problem.forbid_mutual:
        return []
    assert problem.reviewer_organisation is not None and problem.submission_organisation is not None
    directions = {(int(problem.reviewer_organisation[r]), int(problem.submission_organisation[s])) for s, r in pairs}
    names = instance.organisation_names
    return [
        Reason(
            N_("forbid_mutual_review: {first} and {second} would review each other"),
            first=names.get(a, a),
            second=names.get(b, b),
        )
        for a, b in sorted(directions)
        if a < b and (b, a) in directions
    ]


def closest(word: str, choices: list[str]) -> str | None:
    """The one of `choices` closest to a misspelt `word`, or None when none is close."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: list[str]) -> str:
    """ " (did you mean 'X'?)" for the closest of `choices` to a misspelt `word`, or "" when none is close."""
    close = closest(word, choices)
    return f" (did you mean {close!r}?)" if close else ""
