"""The assignment solver: every rule holds, and the optimum equals an independent exact solve (HiGHS MILP)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from review_model.assignment_solver import (
    SCALE,
    AssignmentInfeasible,
    AssignmentProblem,
    solve_assignment,
)


@st.composite
def problems(draw: st.DrawFn, diverse: bool = False, mutual: bool = False) -> AssignmentProblem:
    n_sub = draw(st.integers(1, 7))
    n_rev = draw(st.integers(2, 9))
    allowed = draw(st.lists(st.booleans(), min_size=n_sub * n_rev, max_size=n_sub * n_rev))
    keys = np.array([i for i, ok in enumerate(allowed) if ok], dtype=np.int64)
    affinity = (
        np.array(draw(st.lists(st.integers(0, 100), min_size=len(keys), max_size=len(keys))), dtype=np.float64) / 100
    )
    k = np.array(draw(st.lists(st.integers(1, 3), min_size=n_sub, max_size=n_sub)), dtype=np.int64)
    low = draw(st.integers(0, 2))
    high = draw(st.integers(max(low, 1), 4))
    kinds = {}
    if diverse:
        kinds = {
            "reviewer_kind": np.array(draw(st.lists(st.integers(0, 2), min_size=n_rev, max_size=n_rev))),
            "submission_kind": np.array(draw(st.lists(st.integers(0, 2), min_size=n_sub, max_size=n_sub))),
            "max_per_kind": draw(st.sampled_from([None, 1, 2])),
        }
    if mutual:  # a few organisations, each both reviewed and reviewing
        kinds["submission_organisation"] = np.array(draw(st.lists(st.integers(0, 3), min_size=n_sub, max_size=n_sub)))
        kinds["reviewer_organisation"] = np.array(draw(st.lists(st.integers(0, 3), min_size=n_rev, max_size=n_rev)))
        kinds["forbid_mutual"] = True
    return AssignmentProblem(
        submissions=[f"s{i}" for i in range(n_sub)],
        reviewers=[f"r{i}" for i in range(n_rev)],
        pair_submission=keys // n_rev,
        pair_reviewer=keys % n_rev,
        pair_affinity=affinity,
        reviewers_per_submission=k,
        min_load=np.full(n_rev, low, dtype=np.int64),
        max_load=np.full(n_rev, high, dtype=np.int64),
        **kinds,
    )


def exact_optimum(problem: AssignmentProblem) -> float | None:
    """The same rules written as a 0/1 integer programme, solved by HiGHS; None when infeasible."""
    n_pairs = len(problem.pair_affinity)
    if n_pairs == 0:
        return None if problem.reviewers_per_submission.sum() or problem.min_load.sum() else 0.0
    rows, lows, highs = [], [], []

    def constrain(member: np.ndarray, low: float, high: float) -> None:
        rows.append(member.astype(float))
        lows.append(low)
        highs.append(high)

    for s, k in enumerate(problem.reviewers_per_submission):
        constrain(problem.pair_submission == s, k, k)
    for r in range(len(problem.reviewers)):
        constrain(problem.pair_reviewer == r, problem.min_load[r], problem.max_load[r])
    soft_rows = []  # "at least one of another kind where possible": a slack variable with a large penalty
    if problem.diverse:
        kind = problem.reviewer_kind[problem.pair_reviewer]
        for s, k in enumerate(problem.reviewers_per_submission):
            mine = problem.pair_submission == s
            own = problem.submission_kind[s]
            others_exist = bool(np.any(mine & (kind != own)))
            for c in np.unique(kind[mine]):
                cap = min(k, problem.max_per_kind) if problem.max_per_kind else k
                if c == own and others_exist and cap > k - 1:
                    soft_rows.append((mine & (kind == c), k - 1, cap - (k - 1)))
                else:
                    constrain(mine & (kind == c), 0, cap)
    cost = -np.rint(problem.pair_affinity * SCALE)
    penalty = np.abs(cost).sum() + 1
    matrix = np.array(rows) if rows else np.zeros((0, n_pairs))
    if soft_rows:  # own kind ≤ (k - 1) + extra · v, and v costs the penalty
        extra_columns = np.zeros((len(matrix), len(soft_rows)))
        added = []
        for i, (member, free, extra) in enumerate(soft_rows):
            row = np.concatenate([member.astype(float), np.zeros(len(soft_rows))])
            row[n_pairs + i] = -extra
            added.append(row)
            lows.append(-np.inf)
            highs.append(free)
        matrix = np.vstack([np.hstack([matrix, extra_columns]), *added])
        cost = np.concatenate([cost, np.full(len(soft_rows), penalty)])
    width = len(cost)
    if problem.forbid_mutual:  # y[a→b] ≥ x for every pair from a to b; y[a→b] + y[b→a] ≤ 1
        directions = sorted({(int(problem.reviewer_organisation[r]), int(problem.submission_organisation[s]))
                             for s, r in zip(problem.pair_submission, problem.pair_reviewer, strict=True)})  # fmt: skip
        index = {key: i for i, key in enumerate(directions)}
        extra = np.zeros((len(matrix), len(directions)))
        link_rows = []
        for p, (s, r) in enumerate(zip(problem.pair_submission, problem.pair_reviewer, strict=True)):
            row = np.zeros(width + len(directions))
            (
                row[p],
                row[width + index[(int(problem.reviewer_organisation[r]), int(problem.submission_organisation[s]))]],
            ) = 1, -1
            link_rows.append((row, -np.inf, 0))
        for (a, b), i in index.items():
            if (b, a) in index and (a, b) < (b, a):
                row = np.zeros(width + len(directions))
                row[width + i] = row[width + index[(b, a)]] = 1
                link_rows.append((row, -np.inf, 1))
        matrix = np.vstack([np.hstack([matrix, extra]), *[row for row, _, _ in link_rows]])
        lows, highs = lows + [low for _, low, _ in link_rows], highs + [high for _, _, high in link_rows]
        cost = np.concatenate([cost, np.zeros(len(directions))])
    result = milp(
        cost,
        constraints=LinearConstraint(csr_matrix(matrix), lows, highs),
        integrality=np.ones(len(cost)),
        bounds=Bounds(0, 1),
    )
    return None if result.status == 2 else -result.fun


def check_rules(problem: AssignmentProblem, chosen: np.ndarray) -> None:
    per_sub = np.bincount(problem.pair_submission[chosen], minlength=len(problem.submissions))
    per_rev = np.bincount(problem.pair_reviewer[chosen], minlength=len(problem.reviewers))
    assert np.array_equal(per_sub, problem.reviewers_per_submission)
    assert np.all(per_rev >= problem.min_load) and np.all(per_rev <= problem.max_load)
    assert len(np.unique(chosen)) == len(chosen)  # a pair at most once, and only listed pairs
    if problem.diverse and problem.max_per_kind:
        kinds = problem.reviewer_kind[problem.pair_reviewer[chosen]]
        keys = problem.pair_submission[chosen] * 10 + kinds
        assert np.bincount(keys).max(initial=0) <= problem.max_per_kind
    if problem.forbid_mutual:
        directions = {(int(problem.reviewer_organisation[problem.pair_reviewer[p]]),
                       int(problem.submission_organisation[problem.pair_submission[p]])) for p in chosen}  # fmt: skip
        assert not any((b, a) in directions and a != b for a, b in directions)


@pytest.mark.parametrize(
    ("diverse", "mutual"), [(False, False), (True, False), (True, True)], ids=["plain", "diversity", "no mutual"]
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_optimum_is_exact_and_every_rule_holds(diverse, mutual, data):
    problem = data.draw(problems(diverse=diverse, mutual=mutual))
    expected = exact_optimum(problem)
    if expected is None:
        with pytest.raises(AssignmentInfeasible):
            solve_assignment(problem)
        return
    assignment = solve_assignment(problem)
    check_rules(problem, assignment.pairs)
    scaled = np.rint(problem.pair_affinity * SCALE)
    penalty = scaled.sum() + 1
    assert scaled[assignment.pairs].sum() - penalty * assignment.without_other_kind == expected


def small(k=2, min_load=0, max_load=2, pairs=((0, 0), (0, 1), (1, 0), (1, 1)), n_sub=2, n_rev=2):
    subs, revs = (np.array(column, dtype=np.int64) for column in zip(*pairs, strict=True))
    return AssignmentProblem(
        [f"S{i}" for i in range(n_sub)], [f"R{i}" for i in range(n_rev)], subs, revs, np.ones(len(subs)),
        np.full(n_sub, k), np.full(n_rev, min_load), np.full(n_rev, max_load),
    )  # fmt: skip


def test_infeasibility_names_the_submissions_and_the_reason():
    with pytest.raises(AssignmentInfeasible) as too_few:
        solve_assignment(small(k=3))
    assert "submission S0: 2 eligible reviewer(s) after conflicts, 3 needed" in too_few.value.reasons
    with pytest.raises(AssignmentInfeasible) as loads:
        solve_assignment(small(max_load=1))
    assert "the reviewers' maximum loads add up to 2 reviews, but 4 are needed" in loads.value.reasons
    with pytest.raises(AssignmentInfeasible) as minimum:
        solve_assignment(small(k=1, min_load=2))
    assert "the reviewers' minimum loads add up to 4 reviews, but only 2 are to be given" in minimum.value.reasons
    # Both submissions may only go to R0, who takes one review: counts alone cannot tell, the flow can.
    crowded = small(k=1, max_load=1, pairs=((0, 0), (1, 0)), n_rev=2)
    with pytest.raises(AssignmentInfeasible) as together:
        solve_assignment(crowded)
    assert "cannot be covered together" in together.value.reasons[0]


def test_the_best_pairs_win():
    problem = small(k=1, max_load=1)
    problem = AssignmentProblem(**{**problem.__dict__, "pair_affinity": np.array([0.9, 0.1, 0.8, 0.2])})
    assignment = solve_assignment(problem)
    # S0-R0 (0.9) + S1-R1 (0.2) = 1.1 beats S0-R1 + S1-R0 = 0.9
    assert sorted(assignment.pairs.tolist()) == [0, 3] and assignment.total_affinity == pytest.approx(1.1)


def test_no_two_organisations_review_each_other_when_the_round_forbids_it():
    base = AssignmentProblem(
        ["s0", "s1"], ["r0", "r1", "r2"], np.array([0, 0, 1, 1]), np.array([1, 2, 0, 2]),
        np.array([0.9, 0.1, 0.9, 0.1]), np.array([1, 1]), np.zeros(3, dtype=np.int64), np.full(3, 2),
        reviewer_organisation=np.array([0, 1, 2]), submission_organisation=np.array([0, 1]),
    )  # fmt: skip
    # Left alone, organisations 0 and 1 would review each other (0.9 + 0.9).
    assert solve_assignment(base).total_affinity == pytest.approx(1.8)
    strict = AssignmentProblem(**{**base.__dict__, "forbid_mutual": True})
    assignment = solve_assignment(strict)
    assert sorted(assignment.pairs.tolist()) == [1, 2] and assignment.total_affinity == pytest.approx(1.0)


def test_another_kind_where_possible_yields_to_the_loads_instead_of_failing():
    # A and B (kind 0) need two reviewers each; r1 is the only one of another kind and takes one review.
    problem = AssignmentProblem(
        ["A", "B"], ["r1", "r2", "r3"], np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 2, 0, 1, 2]),
        np.array([0.5, 0.5, 0.1, 0.5, 0.5, 0.5]), np.array([2, 2]), np.zeros(3, dtype=np.int64),
        np.array([1, 2, 2]), reviewer_kind=np.array([1, 0, 0]), submission_kind=np.array([0, 0]),
    )  # fmt: skip
    assignment = solve_assignment(problem)
    assert assignment.without_other_kind == 1  # one submission gets r1; the other cannot
    assert np.bincount(problem.pair_reviewer[assignment.pairs], minlength=3).tolist()[0] == 1
