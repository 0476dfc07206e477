import textwrap
from pathlib import Path

import pytest

from review_model.questionnaire import (
    Questionnaire,
    QuestionnaireError,
    load_questionnaire,
    shipped_questionnaires,
)
from review_model.yaml_documents import DocumentError

VALID = """\
id: tiny
title: {de: Klein, en: Small}
scales:
  maturity:
    levels:
      - {value: 0, label: {de: null-Stufe, en: zero}, description: {de: nichts, en: nothing}}
      - {value: 1, label: {de: eins, en: one}, description: {de: wenig, en: little}}
      - {value: 2, label: {de: zwei, en: two}, description: {de: etwas, en: some}}
      - {value: 3, label: {de: drei, en: three}, description: {de: viel, en: much}}
      - {value: 4, label: {de: vier, en: four}, description: {de: alles, en: all}}
  traffic_light:
    levels:
      - {value: 0, label: {de: rot, en: red}}
      - {value: 1, label: {de: grün, en: green}}
sections:
  - id: mobilitaet
    title: {de: Mobilität, en: Mobility}
    tags: {field_of_action: mobilitaet}
    items:
      - id: mobilitaet.ziele
        type: maturity
        required: true
        label: {de: Ziele, en: Goals}
        tags: {guideline: ziele}
      - id: mobilitaet.matrix
        type: matrix
        label: {de: Matrix, en: Matrix}
        rows:
          - {id: rechtlich, label: {de: rechtlich, en: legal}, tags: {strategy_level: rechtlich}}
          - {id: technisch, label: {de: technisch, en: technical}, tags: {strategy_level: technisch}}
        columns:
          - {id: status, type: traffic_light, label: {de: Status, en: Status}}
      - id: mobilitaet.anzahl
        type: number
        minimum: 0
        maximum: 100
        label: {de: Anzahl, en: Number}
      - id: mobilitaet.art
        type: single_choice
        label: {de: Art, en: Kind}
        options:
          - {value: a, label: {de: A, en: A}}
          - {value: b, label: {de: B, en: B}}
      - id: mobilitaet.text
        type: text
        max_length: 500
        label: {de: Text, en: Text}
"""


def write(tmp_path: Path, text: str, name: str = "q.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(DocumentError) as caught:
        load_questionnaire(path)
    return [problem.describe(str(path)) for problem in caught.value.problems]


@pytest.mark.parametrize("path", shipped_questionnaires(), ids=lambda p: p.stem)
def test_shipped_questionnaires_are_valid_and_fully_translated(path):
    questionnaire = load_questionnaire(path)
    assert questionnaire.id == path.stem
    assert questionnaire.missing_english() == []


def test_the_spr_status_matrix_covers_seven_objectives_on_five_strategy_levels():
    questionnaire = load_questionnaire("spr-status")
    cells = list(questionnaire.rating_cells())
    assert len({cell.tags["objective"] for cell in cells}) == 7
    assert {cell.tags["strategy_level"] for cell in cells} == {
        "gesellschaftlich", "business", "rechtlich", "prozess", "technisch"
    }  # fmt: skip
    assert {cell.scale for cell in cells} == {"traffic_light", "progress"}
    assert [level.label.de for level in questionnaire.scales["traffic_light"].levels] == [
        "kritisch mit besonderer Dringlichkeit", "kritisch", "weitere Maßnahmen erforderlich", "unkritisch"
    ]  # fmt: skip
    assert [level.label.de for level in questionnaire.scales["progress"].levels] == [
        "nicht begonnen", "Umsetzung erst am Anfang", "fortgeschritten", "weitgehend umgesetzt", "umgesetzt"
    ]  # fmt: skip


def test_the_self_assessment_rates_six_fields_of_action_on_the_four_charter_guidelines():
    questionnaire = load_questionnaire("smart-city-self-assessment")
    cells = list(questionnaire.rating_cells())
    assert {cell.tags["field_of_action"] for cell in cells} == {
        "verwaltung", "it_kommunikation", "energie_umwelt", "mobilitaet", "gesellschaft_bildung", "gesundheit"
    }  # fmt: skip
    assert {cell.tags["guideline"] for cell in cells} == {"ziele", "teilhabe", "infrastruktur", "ressourcen"}
    item = next(item for _, item in questionnaire.items() if item.id == "mobilitaet.ziele")
    assert sorted(item.level_descriptions) == [0, 1, 2, 3, 4]
    texts = [item.id for _, item in questionnaire.items() if item.type == "text"]
    assert texts == ["gesamtbild.staerken", "gesamtbild.hemmnisse", "gesamtbild.projekte"]


def test_matrix_cells_carry_row_tags_and_snapshot_round_trips(tmp_path):
    questionnaire = load_questionnaire(write(tmp_path, VALID))
    keys = [cell.key for cell in questionnaire.rating_cells()]
    assert keys == ["mobilitaet.ziele", "mobilitaet.matrix/rechtlich/status", "mobilitaet.matrix/technisch/status"]
    snapshot = questionnaire.model_dump(mode="json", exclude_none=True)
    assert Questionnaire.model_validate(snapshot) == questionnaire


def test_duplicate_item_ids_are_named_with_file_and_line(tmp_path):
    text = VALID.replace("id: mobilitaet.anzahl", "id: mobilitaet.ziele")
    [message] = problems_of(tmp_path, text)
    assert "q.yaml:33" in message
    assert "item 'mobilitaet.ziele'" in message
    assert "item id is used twice (first at sections.0.items.0)" in message


def test_unknown_item_type_names_the_item(tmp_path):
    [message] = problems_of(tmp_path, VALID.replace("type: number", "type: slider"))
    assert "item 'mobilitaet.anzahl'" in message
    assert "unknown type 'slider'" in message
    assert "q.yaml:34" in message


def test_a_scale_without_levels_is_refused(tmp_path):
    text = VALID.replace(
        "  traffic_light:\n    levels:\n      - {value: 0, label: {de: rot, en: red}}\n"
        "      - {value: 1, label: {de: grün, en: green}}\n",
        "  traffic_light:\n    levels: []\n",
    )
    [message] = problems_of(tmp_path, text)
    assert "scales.traffic_light.levels" in message
    assert "at least 2 items" in message


def test_missing_german_label_is_named(tmp_path):
    [message] = problems_of(tmp_path, VALID.replace("label: {de: Anzahl, en: Number}", "label: {en: Number}"))
    assert "item 'mobilitaet.anzahl'" in message
    assert "label.de: Field required" in message


def test_unknown_scale_and_undescribed_maturity_levels(tmp_path):
    text = VALID.replace("type: traffic_light, label", "type: traffic_light, scale: ampel, label").replace(
        "description: {de: wenig, en: little}", "label2: x"
    )
    problems = problems_of(tmp_path, text)
    assert any("unknown field" in p and "levels.1.label2" in p for p in problems)
    text = VALID.replace("type: traffic_light, label", "type: traffic_light, scale: ampel, label")
    [message] = problems_of(tmp_path, text)
    assert "item 'mobilitaet.matrix'" in message and "unknown scale 'ampel'" in message
    text = VALID.replace(", description: {de: wenig, en: little}", "")
    [message] = problems_of(tmp_path, text)
    assert "item 'mobilitaet.ziele'" in message and "maturity levels without a description: [1]" in message


def test_other_structural_problems_are_each_reported(tmp_path):
    text = VALID.replace("minimum: 0", "minimum: 200").replace("{value: b,", "{value: a,")
    problems = problems_of(tmp_path, text)
    assert len(problems) == 2
    assert any("minimum 200.0 is greater than maximum 100.0" in p for p in problems)
    assert any("option values must be distinct" in p for p in problems)


def test_yaml_syntax_errors_and_repeated_keys_name_the_line(tmp_path):
    [message] = problems_of(tmp_path, "id: x\ntitle: {de: [unclosed\n")
    assert "not valid YAML" in message
    [message] = problems_of(tmp_path, "id: x\nid: y\ntitle: {de: t}\nsections: []\n")
    assert "q.yaml:2" in message and "this key appears twice" in message


def test_an_unknown_reference_lists_the_shipped_questionnaires():
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire("no-such-questionnaire")
    assert "shipped: smart-city-self-assessment, spr-status" in str(caught.value)


def test_missing_english_is_reported(tmp_path):
    questionnaire = load_questionnaire(write(tmp_path, VALID.replace("{de: Anzahl, en: Number}", "{de: Anzahl}")))
    assert questionnaire.missing_english() == ["tiny.sections[mobilitaet].items[mobilitaet.anzahl].label"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("maximum: 100", "maximum: .nan"), "maximum: Input should be a finite number"),
        (("maximum: 100", "maximum: .inf"), "maximum: Input should be a finite number"),
        (("{value: 1, label: {de: grün", "{value: 10000000000000000000, label: {de: grün"), "less than or equal"),
        (("id: tiny", "id: tiny\nversion: 100000000000000000000"), "version: Input should be less than or equal to"),
        (("id: tiny", "id: !!python/name:os.system tiny"), "q.yaml:1: id: the tag !!python/name:os.system"),
        (("label: {de: Ziele,", 'label: {de: "Zi\\0ele",'), "label.de: contains the control character U+0000"),
    ],
)
def test_numbers_beyond_their_range_and_yaml_beyond_plain_text_are_refused(tmp_path, change, expected):
    problems = problems_of(tmp_path, VALID.replace(*change))
    assert any(expected in problem for problem in problems), problems


def test_an_alias_bomb_or_a_device_is_refused_as_a_questionnaire(tmp_path):
    from tests.support.hostile_files import ALIAS_BOMB

    [message] = problems_of(tmp_path, VALID + ALIAS_BOMB)
    assert "lol5: holds more than 100,000 values once its aliases are expanded" in message
    with pytest.raises(DocumentError, match=r"/dev/zero: is not a regular file \(it is a device\)"):
        load_questionnaire("/dev/zero")
