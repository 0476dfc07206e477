"""The round-wide picture, computed by hand on small cases."""

import pytest

from review_model.round_overview import (
    MatrixCell,
    PartyGroup,
    benchmark_ranking,
    critical_counts,
    most_frequent_with_ties,
    progress_since,
    status_matrices,
)


def test_regulatory_level_critical_in_two_of_three_objectives():
    cells = [
        MatrixCell("bildung", "rechtlich", "traffic_light", 1.0, 3),
        MatrixCell("bildung", "technisch", "traffic_light", 2.5, 3),
        MatrixCell("gesundheit", "rechtlich", "traffic_light", 1.49, 3),
        MatrixCell("gesundheit", "technisch", "traffic_light", 1.5, 3),
        MatrixCell("taxonomie", "rechtlich", "traffic_light", 2.0, 3),
        MatrixCell("taxonomie", "technisch", "traffic_light", None, 0),
        MatrixCell("bildung", "rechtlich", "progress", 0.0, 3),
    ]
    traffic, progress = status_matrices(cells)
    assert traffic.columns == ["bildung", "gesundheit", "taxonomie"] and traffic.rows == ["rechtlich", "technisch"]
    by_row = {count.of: (count.critical, count.total) for count in critical_counts(traffic, 1.5)}
    assert by_row == {"rechtlich": (2, 3), "technisch": (0, 2)}  # 1.5 itself is not below the threshold
    by_column = {count.of: (count.critical, count.total) for count in critical_counts(traffic, 1.5, by="column")}
    assert by_column == {"bildung": (1, 2), "gesundheit": (1, 2), "taxonomie": (0, 1)}
    assert progress.scale == "progress" and progress.cell("bildung", "rechtlich").peer_mean == 0.0


def group(party: str, peer: float | None, value: str = "mobilitaet", self_: float | None = None) -> PartyGroup:
    return PartyGroup(party, "field_of_action", value, "maturity", self_, peer)


def test_benchmark_ranking_shares_ranks_on_ties_and_skips_the_unrated():
    ranking = benchmark_ranking(
        [group("Aachen", 2.0), group("Bonn", 3.5), group("Celle", 2.0), group("Dessau", 1.0), group("Essen", None),
         group("Bonn", 0.5, "verwaltung")],
        "field_of_action",
        "maturity",
    )  # fmt: skip
    assert [(r.party, r.rank) for r in ranking["mobilitaet"]] == [("Bonn", 1), ("Aachen", 2), ("Celle", 2),
                                                                   ("Dessau", 4)]  # fmt: skip
    assert [(r.party, r.rank) for r in ranking["verwaltung"]] == [("Bonn", 1)]


def test_progress_against_the_previous_round_counts_only_parties_in_both():
    previous = [group("Aachen", 1.0), group("Bonn", 2.0)]
    current = [group("Aachen", 2.5), group("Bonn", 2.0), group("Celle", 4.0)]
    per_party, round_wide = progress_since(previous, current, "field_of_action")
    assert {(p.party, p.change) for p in per_party} == {("Aachen", 1.5), ("Bonn", 0.0)}
    [overall] = round_wide
    assert (overall.before, overall.now) == (1.5, pytest.approx(2.25))  # Celle, new, does not count


def test_the_most_frequent_keep_a_tie_at_the_limit_whole():
    counts = [5, 0, 3, 4, 3, 1, 3]
    assert most_frequent_with_ties(counts, 2) == [0, 3]
    assert most_frequent_with_ties(counts, 3) == [0, 3, 2, 4, 6]  # the 3rd ties with the 4th and 5th
    assert most_frequent_with_ties(counts, 10) == [0, 3, 2, 4, 6, 5]  # never a count of 0
