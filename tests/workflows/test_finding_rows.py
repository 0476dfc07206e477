"""The rows consolidation stores, computed by hand on a small round."""

from datetime import UTC, datetime

from review_model.consolidation import RoundFigures
from review_model.findings import finding_rows
from review_model.questionnaire import load_questionnaire
from review_model.vocabulary import FindingScope

QUESTIONNAIRE = load_questionnaire("smart-city-self-assessment")
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def test_groups_parties_and_the_round_by_hand():
    own = [{"mobilitaet.ziele": 4, "mobilitaet.teilhabe": 2}, {"mobilitaet.ziele": 1}]
    peers = [
        [{"mobilitaet.ziele": 0, "mobilitaet.teilhabe": 2, "mobilitaet.ziele/comment": "Keine Strategie"},
         {"mobilitaet.ziele": 3, "mobilitaet.teilhabe": 2}],
        [{"mobilitaet.ziele": 1}, {"mobilitaet.ziele": 1}],
    ]  # fmt: skip
    rows = finding_rows(9, [101, 102], RoundFigures(QUESTIONNAIRE, own, peers), NOW)
    by = {(r["submission_id"], r["scope"], r["key"], r["scale"]): r for r in rows}

    field = by[101, FindingScope.field_of_action, "mobilitaet", "maturity"]
    assert (field["self_score"], field["peer_mean"]) == (3.0, 1.75)  # own (4+2)/2; peers (1.5+2)/2
    assert field["details"]["gap"] == -1.25 and field["details"]["disagreements"] == 1
    assert field["details"]["weakest"][0] == "mobilitaet.ziele"
    assert field["details"]["comments"] == [
        {"item": "mobilitaet.ziele/comment", "text": "Keine Strategie", "scores": [0.0], "self": [4.0]}
    ]  # the comment with the ratings it was written beside

    party = by[101, FindingScope.party, "overall", "maturity"]
    assert party["disagreement"] and party["details"]["disagreements"] == 1
    assert party["details"]["largest"] == [{"item": "mobilitaet.ziele", "self": 4.0, "peers": [0.0, 3.0],
                                            "spread": 3.0}]  # fmt: skip
    assert not by[102, FindingScope.party, "overall", "maturity"]["disagreement"]

    across = by[None, FindingScope.round, "group:field_of_action=mobilitaet", "maturity"]
    assert (across["peer_mean"], across["n_reviews"]) == ((1.75 + 1.0) / 2, 2)
    cell = by[None, FindingScope.round, "matrix:mobilitaet|ziele", "maturity"]
    assert cell["peer_mean"] == (1.5 + 1.0) / 2 and cell["details"]["row"] == "ziele"
    [often] = by[None, FindingScope.round, "disagreements", None]["details"]["items"]
    assert often == {"item": "mobilitaet.ziele", "scale": "maturity", "disagreeing": 1, "rated": 2}
    assert by[None, FindingScope.round, "disagreements", None]["details"]["others"] == 0
