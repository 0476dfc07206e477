"""Thresholds, ties, shares and rounding are decided on exact values, at their boundaries."""

from datetime import UTC, datetime
from fractions import Fraction

from review_model.consolidation import RoundFigures
from review_model.findings import finding_rows
from review_model.questionnaire import load_questionnaire
from review_model.recommendation_rules import GroupFinding, draft_recommendations, load_rules
from review_model.round_overview import MatrixCell, PartyGroup, benchmark_ranking, critical_counts, status_matrices
from review_model.vocabulary import FindingScope

QUESTIONNAIRE = load_questionnaire("smart-city-self-assessment")
NOW = datetime(2027, 3, 1, tzinfo=UTC)
# Three reviewers whose means on three of mobility's items are 1, 11/3 and 4/3: exactly 2 over the field,
# which adding the three floats makes 1.9999999999999998.
EXACTLY_TWO = [
    {"mobilitaet.ziele": 1, "mobilitaet.teilhabe": 4, "mobilitaet.infrastruktur": 2},
    {"mobilitaet.ziele": 1, "mobilitaet.teilhabe": 4, "mobilitaet.infrastruktur": 1},
    {"mobilitaet.ziele": 1, "mobilitaet.teilhabe": 3, "mobilitaet.infrastruktur": 1},
]
# A mean of thirds as floats add up: 1 + 11/3 + 4/3 over three.
TWO_AS_FLOATS_ADD_UP = (1 + 11 / 3 + 4 / 3) / 3


def reviews(level: int) -> list[dict]:
    return [{"mobilitaet.ziele": level, "mobilitaet.teilhabe": level}] * 3


def test_a_mean_of_thirds_that_is_exactly_the_threshold_is_stored_exactly():
    assert TWO_AS_FLOATS_ADD_UP != 2.0  # what float arithmetic makes of it
    figures = RoundFigures(QUESTIONNAIRE, [{"mobilitaet.ziele": 2}], [EXACTLY_TWO])
    [columns] = [c for g, c in figures.groups(["field_of_action"]).items() if g.value == "mobilitaet"]
    own, peer = figures.group_means(columns)
    assert peer[0] == 2.0 and own[0] == 2.0
    rows = finding_rows(9, [101], figures, NOW)
    [field] = [r for r in rows if r["scope"] is FindingScope.field_of_action and r["key"] == "mobilitaet"]
    assert field["peer_mean"] == 2.0 and field["details"]["gap"] == 0.0


def test_six_of_eighteen_below_the_threshold_do_not_reach_a_share_of_034():
    """Six parties are weak, one is exactly at 2.0 and eleven are strong: 6 of 18 (0.333) is under the rule's
    minimum share of 0.34, so the rule does not fire; it fires at exactly 17 of 50 = 0.34."""
    peers = [reviews(1)] * 6 + [EXACTLY_TWO] + [reviews(3)] * 11
    figures = RoundFigures(QUESTIONNAIRE, [{}] * 18, peers)
    rows = finding_rows(9, list(range(18)), figures, NOW)
    findings = [
        GroupFinding(str(r["submission_id"]), r["scope"], r["key"], {"peer_mean": r["peer_mean"]}, r["scale"])
        for r in rows
        if r["scope"] is FindingScope.field_of_action and r["key"] == "mobilitaet"
    ]
    fired = {draft.rule.id for draft in draft_recommendations(load_rules(), findings)}
    assert "field-weak-across-parties" not in fired
    at_the_minimum = [
        GroupFinding(f"P{n}", FindingScope.field_of_action, "mobilitaet", {"peer_mean": 1.0 if n < 17 else 2.0})
        for n in range(50)
    ]
    [draft] = [
        d for d in draft_recommendations(load_rules(), at_the_minimum) if d.rule.id == "field-weak-across-parties"
    ]
    assert draft.evidence["count"] == 17 and draft.evidence["total"] == 50


def test_a_matrix_cell_exactly_at_the_threshold_is_not_critical():
    cells = [
        MatrixCell("mobilitaet", "ziele", "maturity", TWO_AS_FLOATS_ADD_UP, 3),
        MatrixCell("mobilitaet", "teilhabe", "maturity", Fraction(2), 3),
        MatrixCell("energie", "ziele", "maturity", 1.9, 3),
        MatrixCell("energie", "teilhabe", "maturity", Fraction(199, 100), 3),
    ]
    [matrix] = status_matrices(cells)
    by_row = {count.of: (count.critical, count.total) for count in critical_counts(matrix, 2.0)}
    assert by_row == {"ziele": (1, 2), "teilhabe": (1, 2)}


def test_exactly_equal_means_share_a_rank():
    def party(name: str, peer_mean: float) -> PartyGroup:
        return PartyGroup(name, "field_of_action", "mobilitaet", "maturity", None, peer_mean)

    ranking = benchmark_ranking(
        [party("Aachen", 2.0), party("Bonn", TWO_AS_FLOATS_ADD_UP), party("Celle", 7 / 3),
         party("Dessau", 1 / 3 * 7), party("Essen", 1.5)],
        "field_of_action",
        "maturity",
    )  # fmt: skip
    assert [(r.party, r.rank) for r in ranking["mobilitaet"]] == [
        ("Celle", 1), ("Dessau", 1), ("Aachen", 3), ("Bonn", 3), ("Essen", 5)
    ]  # fmt: skip


def test_round_wide_means_are_kept_exact():
    """Over the parties, the mean of 2, 2 and 7/3 is 19/9; the report reads it from the finding's details."""
    peers = [
        EXACTLY_TWO,
        EXACTLY_TWO,
        [{"mobilitaet.ziele": 2, "mobilitaet.teilhabe": 3, "mobilitaet.infrastruktur": 2}] * 3,
    ]
    rows = finding_rows(9, [1, 2, 3], RoundFigures(QUESTIONNAIRE, [{}] * 3, peers), NOW)
    [across] = [r for r in rows if r["key"] == "group:field_of_action=mobilitaet"]
    assert across["details"]["exact"] == {"peer_mean": "19/9"} and across["peer_mean"] == float(Fraction(19, 9))
    assert (across["peer_median"], across["spread"]) == (2.0, float(Fraction(1, 3)))
