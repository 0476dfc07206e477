"""Reviewer assignment as a minimum-cost network flow, solved exactly with OR-Tools.

Each submission needs k reviewers; each reviewer takes between a minimum and a maximum number of reviews;
only the listed (submission, reviewer) pairs may be assigned (conflicts are pairs left out); the total
affinity of the chosen pairs is as large as possible. With diversity rules, a submission's reviewers pass
through one node per organisation kind, whose capacity caps how many of that kind it gets:

    source ─k─▶ submission ─(m per kind)─▶ (submission, kind) ─1, −affinity─▶ reviewer ─[min, max]─▶ sink

All of this is a network, so the optimum is exact and integral. The model is built from numpy arrays (no
loop over pairs in Python). Affinities are scaled to integers (SCALE) for the solver; totals are reported
from the original values.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from config.translations import N_, translate
from review_model.refusals import Reason, Refused, reasons_in

SCALE = 10_000  # affinities are resolved to 1/10,000 in the optimisation
CP_SAT_SECONDS = 60.0  # the "no mutual reviews" programme returns its best assignment after this long


@dataclass(frozen=True)
class AssignmentProblem:
    """An instance: labels, the assignable pairs with their affinity, and the rules."""

    submissions: list[str]
    reviewers: list[str]
    pair_submission: NDArray[np.int64]  # index into submissions, one entry per assignable pair
    pair_reviewer: NDArray[np.int64]
    pair_affinity: NDArray[np.float64]
    reviewers_per_submission: NDArray[np.int64]  # k per submission
    min_load: NDArray[np.int64]  # per reviewer
    max_load: NDArray[np.int64]
    # Diversity (optional): a kind per reviewer and per submission, at most `max_per_kind` reviewers of one
    # kind per submission, and at least one reviewer of another kind than the submission's where possible.
    reviewer_kind: NDArray[np.int64] | None = None
    submission_kind: NDArray[np.int64] | None = None
    max_per_kind: int | None = None
    # No mutual reviews (optional): an organisation per reviewer and per submission; if organisation A reviews
    # B, B must not review A. Not a flow constraint: when the flow's optimum breaks it, CP-SAT solves the
    # same model with it added.
    reviewer_organisation: NDArray[np.int64] | None = None
    submission_organisation: NDArray[np.int64] | None = None
    forbid_mutual: bool = False

    @property
    def diverse(self) -> bool:
        return self.reviewer_kind is not None and self.submission_kind is not None


@dataclass(frozen=True)
class Assignment:
    """The chosen pairs (indices into the problem's pair arrays) and what they add up to."""

    pairs: NDArray[np.int64]
    total_affinity: float
    loads: NDArray[np.int64]  # reviews per reviewer
    # Submissions that get no reviewer of another kind although one exists (the loads left no other way).
    without_other_kind: int = 0


class AssignmentInfeasible(Refused):
    """No assignment meets every rule; nothing is assigned. `reasons` says which submissions and why."""

    def __init__(self, reasons: list[str]):
        super().__init__(reasons, _listed("en", reasons))

    def in_language(self, language: str) -> str:
        return _listed(language, reasons_in(language, self.reasons))


def _listed(language: str, reasons: list[str]) -> str:
    return translate(language, "review_model", N_("no complete assignment exists:")) + "".join(
        f"\n  - {reason}" for reason in reasons
    )


def solve_assignment(problem: AssignmentProblem) -> Assignment:
    """The assignment of maximum total affinity, or AssignmentInfeasible with every reason found."""
    reasons = _obvious_infeasibility(problem)
    if reasons:
        raise AssignmentInfeasible(reasons)
    network = _Network(problem)
    status = network.solver.solve()
    if status != network.solver.OPTIMAL:
        raise AssignmentInfeasible(_uncoverable(problem) or ["the loads and conflicts cannot all be met at once"])
    chosen = np.nonzero(network.solver.flows(network.pair_arcs) > 0)[0]
    if problem.forbid_mutual and _mutual_pairs(problem, chosen):
        chosen = _solve_without_mutual_reviews(problem)
    loads = np.bincount(problem.pair_reviewer[chosen], minlength=len(problem.reviewers))
    return Assignment(chosen, float(problem.pair_affinity[chosen].sum()), loads, _without_other_kind(problem, chosen))


def _without_other_kind(problem: AssignmentProblem, chosen: NDArray[np.int64]) -> int:
    if not problem.diverse:
        return 0
    assert problem.reviewer_kind is not None and problem.submission_kind is not None
    own = problem.reviewer_kind[problem.pair_reviewer] == problem.submission_kind[problem.pair_submission]
    has_other = np.zeros(len(problem.submissions), dtype=bool)
    np.logical_or.at(has_other, problem.pair_submission[~own], True)
    others_chosen = np.bincount(problem.pair_submission[chosen][~own[chosen]], minlength=len(problem.submissions))
    return int(np.sum(has_other & (others_chosen == 0) & (problem.reviewers_per_submission > 0)))


class _Network:
    """The flow network of a problem, with the arcs that stand for pairs remembered."""

    def __init__(self, problem: AssignmentProblem, with_min_loads: bool = True):
        n_sub, n_rev = len(problem.submissions), len(problem.reviewers)
        k = problem.reviewers_per_submission.astype(np.int64)
        source, first_sub = 0, 1
        first_group = first_sub + n_sub
        groups, group_of_pair, group_sub, group_kind = _groups(problem)
        first_rev = first_group + len(groups)
        sink = first_rev + n_rev
        heads_of_pairs = first_group + group_of_pair if problem.diverse else first_sub + problem.pair_submission
        tails, heads, capacities, costs = [], [], [], []

        def arcs(
            tail: NDArray[np.int64],
            head: NDArray[np.int64],
            capacity: NDArray[np.int64],
            cost: NDArray[np.int64] | int = 0,
        ) -> None:
            tails.append(np.asarray(tail, dtype=np.int64))
            heads.append(np.asarray(head, dtype=np.int64))
            capacities.append(np.asarray(capacity, dtype=np.int64))
            costs.append(np.broadcast_to(np.asarray(cost, dtype=np.int64), np.shape(tail)))

        arcs(np.full(n_sub, source), first_sub + np.arange(n_sub), k)
        pair_cost = -np.rint(problem.pair_affinity * SCALE).astype(np.int64)
        self.penalty = int(np.abs(pair_cost).sum()) + 1  # worse than losing every affinity there is
        if problem.diverse:
            free, penalised = _group_capacity(problem, group_sub, group_kind)
            group_nodes = first_group + np.arange(len(groups))
            arcs(first_sub + group_sub, group_nodes, free)
            soft = penalised > 0
            arcs(first_sub + group_sub[soft], group_nodes[soft], penalised[soft], self.penalty)
        pair_arc_start = sum(len(t) for t in tails)
        arcs(heads_of_pairs, first_rev + problem.pair_reviewer, np.ones(len(pair_cost), dtype=np.int64), pair_cost)
        minimum = problem.min_load if with_min_loads else np.zeros(n_rev, dtype=np.int64)
        # A reviewer's minimum load is a lower bound on its arc to the sink: the minimum is demanded of the
        # reviewer node and the sink receives that much less (the standard transformation).
        arcs(first_rev + np.arange(n_rev), np.full(n_rev, sink), problem.max_load - minimum)

        self.solver = min_cost_flow.SimpleMinCostFlow()
        all_arcs = self.solver.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails), np.concatenate(heads), np.concatenate(capacities), np.concatenate(costs)
        )
        self.pair_arcs = all_arcs[pair_arc_start : pair_arc_start + len(pair_cost)]
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[source] = k.sum()
        supplies[first_rev : first_rev + n_rev] = -minimum
        supplies[sink] = -(k.sum() - minimum.sum())
        self.solver.set_nodes_supplies(np.arange(sink + 1), supplies)


def _ordered_organisation_pairs(problem: AssignmentProblem) -> NDArray[np.int64]:
    """For each pair, (reviewer's organisation, reviewed organisation) as two columns."""
    assert problem.reviewer_organisation is not None and problem.submission_organisation is not None
    return np.column_stack(
        (problem.reviewer_organisation[problem.pair_reviewer], problem.submission_organisation[problem.pair_submission])
    )


def _mutual_pairs(problem: AssignmentProblem, chosen: NDArray[np.int64]) -> bool:
    directions = {tuple(row) for row in _ordered_organisation_pairs(problem)[chosen].tolist()}
    return any((b, a) in directions for a, b in directions)


def _solve_without_mutual_reviews(problem: AssignmentProblem) -> NDArray[np.int64]:
    """The same model as the flow, plus "no two organisations review each other", as a CP-SAT programme."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    n_pairs = len(problem.pair_affinity)
    x = [model.new_bool_var(f"x{p}") for p in range(n_pairs)]
    for s, k in enumerate(problem.reviewers_per_submission.tolist()):
        model.add(sum(x[p] for p in np.nonzero(problem.pair_submission == s)[0].tolist()) == k)
    for r in range(len(problem.reviewers)):
        load = sum(x[p] for p in np.nonzero(problem.pair_reviewer == r)[0].tolist())
        model.add_linear_constraint(load, int(problem.min_load[r]), int(problem.max_load[r]))
    exceptions = []
    if problem.diverse:
        _, group_of_pair, group_sub, group_kind = _groups(problem)
        free, penalised = _group_capacity(problem, group_sub, group_kind)
        for g, (room, extra) in enumerate(zip(free.tolist(), penalised.tolist(), strict=True)):
            members = sum(x[p] for p in np.nonzero(group_of_pair == g)[0].tolist())
            if extra:
                exception = model.new_bool_var(f"v{g}")
                exceptions.append(exception)
                model.add(members <= room + extra * exception)
            else:
                model.add(members <= room)
    directions: dict[tuple[int, int], list[int]] = {}
    for p, (a, b) in enumerate(_ordered_organisation_pairs(problem).tolist()):
        directions.setdefault((a, b), []).append(p)
    uses = {key: model.new_bool_var(f"y{key}") for key in directions}
    for key, pairs in directions.items():
        for p in pairs:
            model.add_implication(x[p], uses[key])
        reverse = (key[1], key[0])
        if reverse in uses and key < reverse:
            model.add(uses[key] + uses[reverse] <= 1)
    scaled = np.rint(problem.pair_affinity * SCALE).astype(np.int64)
    penalty = int(np.abs(scaled).sum()) + 1
    model.maximize(sum(int(c) * x[p] for p, c in enumerate(scaled.tolist())) - penalty * sum(exceptions))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 120.0
    status = solver.solve(model)
    if status != cp_model.OPTIMAL:
        if status == cp_model.INFEASIBLE:
            reason = N_("no assignment avoids mutual reviews under the round's rules (allow mutual reviews, or raise "
                        "loads)")  # fmt: skip
        else:
            reason = N_("the solver ran out of time under the round's rules (allow mutual reviews, or raise loads)")
        raise AssignmentInfeasible([Reason(reason)])
    return np.array([p for p in range(n_pairs) if solver.boolean_value(x[p])], dtype=np.int64)


def _groups(
    problem: AssignmentProblem,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """One node per (submission, reviewer kind) that has pairs: ids, each pair's group, each group's ends."""
    if not problem.diverse:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    assert problem.reviewer_kind is not None
    kinds = problem.reviewer_kind[problem.pair_reviewer]
    n_kinds = int(problem.reviewer_kind.max(initial=0)) + 1
    keys = problem.pair_submission * n_kinds + kinds
    groups, group_of_pair = np.unique(keys, return_inverse=True)
    return groups, group_of_pair, groups // n_kinds, groups % n_kinds


def _group_capacity(
    problem: AssignmentProblem, group_sub: NDArray[np.int64], group_kind: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each (submission, kind) group's capacity: the part free to use, and the part that costs a penalty.

    At most `max_per_kind` of one kind (a hard cap). "At least one of another kind where possible" is soft:
    where a submission has eligible reviewers of another kind, its own kind's last place carries a penalty
    larger than any affinity, so the optimum gives it a reviewer of another kind whenever the loads allow,
    and still finds an assignment when they don't.
    """
    k = problem.reviewers_per_submission[group_sub]
    cap = np.minimum(k, problem.max_per_kind) if problem.max_per_kind else k.copy()
    assert problem.submission_kind is not None
    same = group_kind == problem.submission_kind[group_sub]
    other_kind_available = np.zeros(len(problem.submissions), dtype=bool)
    np.logical_or.at(other_kind_available, group_sub[~same], True)
    limit = same & other_kind_available[group_sub]
    free = cap.copy()
    free[limit] = np.minimum(cap[limit], np.maximum(k[limit] - 1, 0))
    return np.maximum(free, 0), np.maximum(cap - free, 0)


def _obvious_infeasibility(problem: AssignmentProblem) -> list[str]:
    """Reasons that can be read off the counts, each naming the submissions concerned."""
    reasons: list[str] = []
    k = problem.reviewers_per_submission
    eligible = np.bincount(problem.pair_submission, minlength=len(problem.submissions))
    if problem.diverse:
        groups, group_of_pair, group_sub, group_kind = _groups(problem)
        group_size = np.bincount(group_of_pair, minlength=len(groups))
        free, penalised = _group_capacity(problem, group_sub, group_kind)
        reachable = np.minimum(group_size, free + penalised)
        eligible = np.bincount(group_sub, weights=reachable, minlength=len(problem.submissions)).astype(np.int64)
    short = np.nonzero(eligible < k)[0]
    for index in short[:50]:
        if problem.diverse:
            short_of = N_("submission {submission}: {eligible} eligible reviewer(s) under the diversity rules, "
                          "{needed} needed")  # fmt: skip
        else:
            short_of = N_("submission {submission}: {eligible} eligible reviewer(s) after conflicts, {needed} needed")
        reasons.append(Reason(short_of, submission=problem.submissions[index], eligible=int(eligible[index]),
                              needed=int(k[index])))  # fmt: skip
    if len(short) > 50:
        reasons.append(Reason(N_("… and {count} more submissions with too few eligible reviewers"),
                              count=len(short) - 50))  # fmt: skip
    needed, most, least = int(k.sum()), int(problem.max_load.sum()), int(problem.min_load.sum())
    if most < needed:
        reasons.append(Reason(N_("the reviewers' maximum loads add up to {most} reviews, but {needed} are needed"),
                              most=most, needed=needed))  # fmt: skip
    if least > needed:
        reasons.append(Reason(N_("the reviewers' minimum loads add up to {least} reviews, but only {needed} are to "
                                 "be given"), least=least, needed=needed))  # fmt: skip
    if np.any(problem.min_load > problem.max_load):
        reasons.append(Reason(N_("some reviewers have a minimum load above their maximum")))
    return reasons


def _uncoverable(problem: AssignmentProblem) -> list[str]:
    """Which submissions cannot all be covered at once, found by a maximum flow without minimum loads."""
    network = _Network(problem, with_min_loads=False)
    network.solver.solve_max_flow_with_min_cost()
    flows = network.solver.flows(network.pair_arcs)
    covered = np.bincount(problem.pair_submission, weights=flows, minlength=len(problem.submissions))
    short = np.nonzero(covered < problem.reviewers_per_submission)[0]
    if len(short) == 0:
        return [Reason(N_("every submission can be covered, but not while every reviewer gets their minimum load"))]
    names = ", ".join(problem.submissions[i] for i in short[:20]) + (" …" if len(short) > 20 else "")
    return [
        Reason(N_("{count} submission(s) cannot be covered together: {names} — the reviewers eligible for them "
                  "have too little capacity left (raise maximum loads or resolve conflicts)"),
               count=len(short), names=names)
    ]  # fmt: skip
