"""Consolidation figures equal hand-computed ones on a small case."""

import pytest

from review_model.consolidation import GroupKey, ReviewerComment, RoundFigures, consolidate_party
from review_model.questionnaire import load_questionnaire

QUESTIONNAIRE = load_questionnaire("smart-city-self-assessment")


def test_item_figures_by_hand():
    own = {"mobilitaet.ziele": 4, "mobilitaet.teilhabe": 1}
    peers = [
        {"mobilitaet.ziele": 2, "mobilitaet.teilhabe": 1},
        {"mobilitaet.ziele": 3, "mobilitaet.teilhabe": 2},
        {"mobilitaet.ziele": 1},
    ]
    items = {item.key: item for item in consolidate_party(QUESTIONNAIRE, own, peers)}
    ziele = items["mobilitaet.ziele"]
    assert (ziele.self_score, ziele.peer_scores, ziele.n_reviews) == (4.0, (2.0, 3.0, 1.0), 3)
    assert (ziele.peer_median, ziele.peer_mean, ziele.spread) == (2.0, 2.0, 2.0)
    assert ziele.disagreement and ziele.gap == -2.0  # the city sees itself two levels better than its peers do
    teilhabe = items["mobilitaet.teilhabe"]
    assert (teilhabe.peer_median, teilhabe.peer_mean, teilhabe.spread) == (1.5, 1.5, 1.0)
    assert not teilhabe.disagreement and teilhabe.gap == 0.5
    empty = items["gesundheit.ziele"]
    assert (empty.self_score, empty.peer_mean, empty.gap, empty.disagreement) == (None, None, None, False)


def test_roll_ups_per_field_of_action_and_guideline():
    own = {"mobilitaet.ziele": 4, "mobilitaet.teilhabe": 2, "verwaltung.ziele": 1}
    peers = [{"mobilitaet.ziele": 2, "mobilitaet.teilhabe": 2, "verwaltung.ziele": 3}]
    figures = RoundFigures(QUESTIONNAIRE, [own], [peers])
    fields = {group.group.value: group for group in figures.roll_ups(0, ["field_of_action"])}
    assert fields["mobilitaet"].items == 4 and fields["mobilitaet"].self_mean == 3.0
    assert fields["mobilitaet"].peer_mean == 2.0 and fields["mobilitaet"].gap == -1.0
    assert fields["mobilitaet"].group == GroupKey("field_of_action", "mobilitaet", "maturity")
    guidelines = {group.group.value: group for group in figures.roll_ups(0, ["guideline"])}
    assert guidelines["ziele"].self_mean == pytest.approx(2.5) and guidelines["ziele"].peer_mean == pytest.approx(2.5)


def test_roll_ups_keep_scales_apart():
    status = load_questionnaire("spr-status")
    own = {"bildung.infrastruktur/rechtlich/status": 3, "bildung.infrastruktur/rechtlich/fortschritt": 1}
    peers = [{"bildung.infrastruktur/rechtlich/status": 1, "bildung.infrastruktur/rechtlich/fortschritt": 4}]
    groups = {
        (g.group.value, g.group.scale): g for g in RoundFigures(status, [own], [peers]).roll_ups(0, ["strategy_level"])
    }
    assert (groups["rechtlich", "traffic_light"].self_mean, groups["rechtlich", "traffic_light"].peer_mean) == (3, 1)
    assert (groups["rechtlich", "progress"].self_mean, groups["rechtlich", "progress"].peer_mean) == (1, 4)


def test_group_evidence_names_the_weakest_items_and_quotes_reviewers():
    peers = [
        {"mobilitaet.ziele": 3, "mobilitaet.teilhabe": 0, "mobilitaet.infrastruktur": 1,
         "mobilitaet.teilhabe/comment": "Keine Beteiligung der Bürger."},
        {"mobilitaet.ziele": 3, "mobilitaet.teilhabe": 1, "mobilitaet.infrastruktur": 2,
         "mobilitaet.teilhabe/comment": "  "},
    ]  # fmt: skip
    peers[1]["mobilitaet.ziele/comment"] = "Ein Vorbild für andere Kommunen."
    figures = RoundFigures(QUESTIONNAIRE, [{"mobilitaet.teilhabe": 2}], [peers])
    [columns] = [c for g, c in figures.groups(["field_of_action"]).items() if g.value == "mobilitaet"]
    [evidence] = figures.group_evidence(columns, weakest=2)
    assert evidence.weakest == ("mobilitaet.teilhabe", "mobilitaet.infrastruktur")
    # Each comment carries the ratings it was written beside: this reviewer's, and the party's own.
    assert evidence.comments == (
        ReviewerComment("mobilitaet.teilhabe/comment", "Keine Beteiligung der Bürger.", (0.0,), (2.0,)),
        ReviewerComment("mobilitaet.ziele/comment", "Ein Vorbild für andere Kommunen.", (3.0,), (None,)),
    )


def test_agreement_per_scale_across_parties():
    keys = [cell.key for cell in QUESTIONNAIRE.rating_cells()]
    agreeing = [[{key: level for key in keys}, {key: level for key in keys}] for level in (0, 2, 4)]
    figures = RoundFigures(QUESTIONNAIRE, [{}] * 3, agreeing)
    assert figures.agreement_by_scale()["maturity"] == pytest.approx(1.0)
