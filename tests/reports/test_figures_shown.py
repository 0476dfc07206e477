"""How the report writes and colours figures: one rounding rule, colours from the scale's thresholds."""

from fractions import Fraction

import pytest

from reports.contents import _scale_view
from reports.rendering import report_environment
from reports.rendering_numbers import number, signed
from review_model.questionnaire import load_questionnaire
from review_model.recommendation_rules import GroupFinding, draft_recommendations, load_rules
from review_model.vocabulary import FindingScope


@pytest.mark.parametrize(
    ("value", "digits", "german", "english"),
    [
        (3.25, 1, "3,3", "3.3"),  # an exact half: away from zero, whatever the float's last bit does
        (3.35, 1, "3,4", "3.4"),
        (2.05, 1, "2,1", "2.1"),  # the float is a hair below 2.05
        (3.7499999999999996, 1, "3,8", "3.8"),  # 3.75 after float noise
        (-2.25, 1, "-2,3", "-2.3"),
        (0.125, 2, "0,13", "0.13"),
        (Fraction(2345, 1000), 2, "2,35", "2.35"),
        (Fraction(1, 3), 2, "0,33", "0.33"),
        (2.0, 2, "2,00", "2.00"),
        (0.04, 1, "0,0", "0.0"),
        (None, 1, "–", "–"),
    ],
)
def test_figures_are_rounded_half_away_from_zero(value, digits, german, english):
    assert (number(value, "de", digits), number(value, "en", digits)) == (german, english)


def test_differences_take_their_sign_from_the_rounded_figure():
    assert [signed(v, "de") for v in (0.25, -0.25, -0.04, 0.0, 1.75)] == ["+0,3", "-0,3", "±0,0", "±0,0", "+1,8"]
    assert signed(-0.25, "en", minus="−") == "−0.3"


def test_a_recommendation_writes_its_mean_by_the_same_rule():
    # The two weak parties' mean is exactly 1.125: 1,13 (Python's round() gives 1.12, half to even).
    findings = [GroupFinding(p, FindingScope.field_of_action, "mobilitaet", {"peer_mean": v})
                for p, v in (("A", 1.0), ("B", 1.25), ("C", 3.0))]  # fmt: skip
    [draft] = [d for d in draft_recommendations(load_rules(), findings) if d.rule.id == "field-weak-across-parties"]
    assert "(Mittel 1,13)" in draft.text_de and "(mean 1.13)" in draft.text_en


def tone_cells(scale_name: str, questionnaire: str, means: list) -> list[str]:
    scale = _scale_view(scale_name, load_questionnaire(questionnaire).scales[scale_name], "de")
    macros = report_environment("de").get_template("_charts.html").make_module({"lang": "de"})
    return [str(macros.tone_cell(mean, scale, 2)) for mean in means]


def test_matrix_colours_follow_the_critical_threshold_not_the_nearest_level():
    """Maturity 0–4 is critical below 2.0: 1.9 shows level 1's (critical) colour and name, exactly 2.0 and 2.4
    level 2's, where the nearest level made all three amber "Stufe 2"."""
    below, at, above = tone_cells("maturity", "smart-city-self-assessment", [1.9, Fraction(2), 2.4])
    assert 'class="tone t1"' in below and "1,90<small>Stufe 1" in below
    assert 'class="tone t2"' in at and "2,00<small>Stufe 2" in at
    assert 'class="tone t2"' in above and "2,40<small>Stufe 2" in above
    # float noise does not make a mean of exactly 2.0 critical
    [noisy] = tone_cells("maturity", "smart-city-self-assessment", [(1 + 11 / 3 + 4 / 3) / 3])
    assert 'class="tone t2"' in noisy


def test_traffic_light_colours_stay_on_their_side_of_the_threshold():
    """The traffic light 0–3 is critical below its midpoint 1.5: 1.4 is "kritisch", exactly 1.5 is not (the
    nearest-level rule, sending ties to the lower level, called it "kritisch")."""
    critical, not_critical = tone_cells("traffic_light", "spr-status", [1.4, 1.5])
    assert 'class="tone t1"' in critical and "<small>kritisch</small>" in critical
    assert 'class="tone t3"' in not_critical and "weitere Maßnahmen erforderlich" in not_critical
