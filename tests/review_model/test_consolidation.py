"""Consolidation figures equal hand-computed ones on a small case."""

import pytest

from review_model.consolidation import agreement_by_scale, consolidate_party, roll_up
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
    items = consolidate_party(QUESTIONNAIRE, own, peers)
    fields = {group.value: group for group in roll_up(items, "field_of_action")}
    assert fields["mobilitaet"].items == 4 and fields["mobilitaet"].self_mean == 3.0
    assert fields["mobilitaet"].peer_mean == 2.0 and fields["mobilitaet"].gap == -1.0
    guidelines = {group.value: group for group in roll_up(items, "guideline")}
    assert guidelines["ziele"].self_mean == pytest.approx(2.5) and guidelines["ziele"].peer_mean == pytest.approx(2.5)


def test_agreement_per_scale_across_parties():
    keys = [cell.key for cell in QUESTIONNAIRE.rating_cells()]
    agreeing = [[{key: level for key in keys}, {key: level for key in keys}] for level in (0, 2, 4)]
    assert agreement_by_scale(QUESTIONNAIRE, agreeing)["maturity"] == pytest.approx(1.0)
