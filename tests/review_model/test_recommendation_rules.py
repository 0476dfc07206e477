"""Recommendation rules fire exactly when they should, with their evidence."""

import pytest

from review_model.questionnaire import Text
from review_model.recommendation_rules import GroupFinding, draft_recommendations, load_rules
from review_model.vocabulary import ActionLevel, FindingScope
from review_model.yaml_documents import DocumentError

RULES = load_rules()
FIELD = FindingScope.field_of_action


def field(party: str, key: str, peer_mean: float | None, self_score: float | None = None) -> GroupFinding:
    gap = None if peer_mean is None or self_score is None else peer_mean - self_score
    return GroupFinding(party, FIELD, key, {"peer_mean": peer_mean, "self_score": self_score, "gap": gap})


def fired(findings) -> dict[str, list]:
    drafts = {}
    for draft in draft_recommendations(RULES, findings):
        drafts.setdefault(draft.rule.id, []).append(draft)
    return drafts


def test_a_weak_field_fires_at_its_share_and_not_below():
    # 1 of 3 parties below 2.0: share 0.33 < 0.34 -> nothing; 2 of 3: fires
    assert "field-weak-across-parties" not in fired(
        [field("A", "mobilitaet", 1.5), field("B", "mobilitaet", 2.0), field("C", "mobilitaet", 3.0)]
    )
    [draft] = fired([field("A", "mobilitaet", 1.5), field("B", "mobilitaet", 1.0), field("C", "mobilitaet", 3.0)])[
        "field-weak-across-parties"
    ]
    assert draft.rule.action_level is ActionLevel.laender and draft.key == "mobilitaet"
    assert "bei 2 von 3 Organisationen" in draft.text_de and "(Mittel 1,25)" in draft.text_de
    assert "at 2 of 3 organisations" in draft.text_en and "(mean 1.25)" in draft.text_en
    assert draft.evidence["parties"] == ["A", "B"] and draft.evidence["values"] == [1.5, 1.0]


def test_a_strong_field_and_overrating_fire_on_their_own_figures():
    strong = [field("A", "energie", 3.5), field("B", "energie", 3.2), field("C", "energie", 2.0)]
    assert [d.key for d in fired(strong)["field-strong-across-parties"]] == ["energie"]
    overrating = [field("A", "gesundheit", 2.0, 3.5), field("B", "gesundheit", 2.5, 2.5)]
    overrating += [field("C", "gesundheit", 2, 2), field("D", "gesundheit", 2, 2)]
    [draft] = fired(overrating)["self-assessment-above-peers"]
    assert draft.rule.action_level is ActionLevel.kommunen and draft.evidence["count"] == 1


def test_missing_figures_do_not_count_and_other_scopes_are_ignored():
    findings = [field("A", "mobilitaet", None), field("B", "mobilitaet", 1.0),
                GroupFinding("A", FindingScope.strategy_level, "technisch", {"peer_mean": 0.5})]  # fmt: skip
    drafts = fired(findings)
    assert drafts["field-weak-across-parties"][0].evidence["total"] == 1
    assert "regulatory-level-critical" not in drafts  # only the legal level is that rule's business


def test_an_invalid_rules_file_names_the_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - id: x\n    action_level: bund\n    scope: field_of_action\n    below: 1\n    above: 2\n"
        "    text: {de: t}\n",
        encoding="utf-8",
    )
    with pytest.raises(DocumentError, match="give exactly one of below or above"):
        load_rules(path)


def level(party: str, key: str, scale: str, peer_mean: float, details: dict | None = None) -> GroupFinding:
    return GroupFinding(party, FindingScope.strategy_level, key, {"peer_mean": peer_mean}, scale, details or {})


@pytest.mark.parametrize(
    ("rule_id", "key", "action_level"),
    [("regulatory-level-critical", "rechtlich", ActionLevel.bund),
     ("business-level-critical", "business", ActionLevel.wirtschaft),
     ("technical-level-critical", "technisch", ActionLevel.wissenschaft)],
)  # fmt: skip
def test_a_critical_strategy_level_fires_on_the_traffic_light_only(rule_id, key, action_level):
    # half the parties below 1.5 fires (min share 0.5); 1.5 itself is not below; progress ratings never count
    assert rule_id not in fired([level("A", key, "traffic_light", 1.5), level("B", key, "traffic_light", 1.4),
                                 level("C", key, "traffic_light", 3.0)])  # fmt: skip
    [draft] = fired([level("A", key, "traffic_light", 1.0), level("B", key, "traffic_light", 1.4),
                     level("C", key, "progress", 0.0), level("D", key, "traffic_light", 3.0)])[rule_id]  # fmt: skip
    assert draft.rule.action_level is action_level
    assert (draft.evidence["count"], draft.evidence["total"], draft.evidence["scale"]) == (2, 3, "traffic_light")


def test_slow_progress_per_objective_reads_the_progress_scale():
    findings = [GroupFinding(p, FindingScope.objective, "bildung", {"peer_mean": v}, "progress") for p, v in
                (("A", 1.0), ("B", 1.2), ("C", 3.0))]  # fmt: skip
    findings.append(GroupFinding("A", FindingScope.objective, "bildung", {"peer_mean": 0.0}, "traffic_light"))
    [draft] = fired(findings)["objective-progress-slow"]
    assert draft.rule.action_level is ActionLevel.kommunen and draft.evidence["parties"] == ["A", "B"]


def test_texts_name_the_group_and_evidence_names_items_and_quotes_reviewers():
    labels = {("field_of_action", "mobilitaet"): Text(de="Mobilität", en="Mobility")}
    comments = [{"item": "mobilitaet.teilhabe/comment", "text": "Kaum Beteiligung.", "scores": [1.0], "self": [3.0]}]
    findings = [
        GroupFinding("A", FIELD, "mobilitaet", {"peer_mean": 1.0}, "maturity",
                     {"weakest": ["mobilitaet.teilhabe", "mobilitaet.ziele"], "comments": comments}),
        GroupFinding("B", FIELD, "mobilitaet", {"peer_mean": 1.5}, "maturity",
                     {"weakest": ["mobilitaet.teilhabe", "mobilitaet.daten"], "comments": []}),
    ]  # fmt: skip
    [draft] = [d for d in draft_recommendations(RULES, findings, labels) if d.rule.id == "field-weak-across-parties"]
    assert "„Mobilität“" in draft.text_de and '"Mobility"' in draft.text_en
    assert draft.evidence["items"][0] == "mobilitaet.teilhabe"  # the item named by both parties comes first
    assert draft.evidence["quotes"] == [
        {"party": "A", "item": "mobilitaet.teilhabe/comment", "text": "Kaum Beteiligung."}
    ]


def test_a_text_with_an_unknown_placeholder_is_refused_when_the_rules_are_read(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - id: x\n    action_level: bund\n    scope: field_of_action\n    below: 1\n"
        "    text: {de: 'Mittel {value:.1f} bei {parties}'}\n",
        encoding="utf-8",
    )
    with pytest.raises(DocumentError, match=r"only \{key\}, \{count\}, \{total\} and \{value\}"):
        load_rules(path)


@pytest.mark.parametrize("threshold", [".nan", ".inf", "-.inf"])
def test_a_threshold_that_is_not_a_finite_number_is_refused(tmp_path, threshold):
    path = tmp_path / "rules.yaml"
    path.write_text(
        f"rules:\n  - id: x\n    action_level: bund\n    scope: field_of_action\n    below: {threshold}\n"
        "    text: {de: t}\n",
        encoding="utf-8",
    )
    with pytest.raises(DocumentError, match=r"rules\.yaml:5: rules\.0\.below: Input should be a finite number"):
        load_rules(path)


def test_evidence_for_low_maturity_quotes_only_comments_on_low_ratings():
    praise = "Überzeugend umgesetzt – ein Vorbild für andere Kommunen."
    comments = [
        {"item": "mobilitaet.ziele/comment", "text": praise, "scores": [4.0], "self": [3.0]},
        {"item": "mobilitaet.teilhabe/comment", "text": "Kaum Beteiligung.", "scores": [1.0], "self": [3.0]},
        {"item": "mobilitaet.daten/comment", "text": "Ohne Bewertung gespeichert."},  # no ratings: no evidence
    ]
    findings = [
        GroupFinding("A", FIELD, "mobilitaet", {"peer_mean": 1.0, "self_score": 3.0, "gap": -2.0}, "maturity",
                     {"weakest": [], "comments": comments}),
        GroupFinding("B", FIELD, "mobilitaet", {"peer_mean": 1.5, "self_score": 3.0, "gap": -1.5}, "maturity",
                     {"weakest": [], "comments": []}),
    ]  # fmt: skip
    drafts = {d.rule.id: d for d in draft_recommendations(RULES, findings)}
    assert [q["text"] for q in drafts["field-weak-across-parties"].evidence["quotes"]] == ["Kaum Beteiligung."]
    # A gap rule quotes the comments where the reviewer rated below the party's own rating by its margin.
    assert [q["text"] for q in drafts["self-assessment-above-peers"].evidence["quotes"]] == ["Kaum Beteiligung."]
