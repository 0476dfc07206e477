"""What the report's text says about its figures: names that say where a point belongs."""

from reports.contents import cell_labels
from review_model.questionnaire import load_questionnaire


def test_points_are_named_with_their_field_of_action_where_the_name_alone_is_ambiguous():
    labels = cell_labels(load_questionnaire("smart-city-self-assessment"), "de")
    assert labels["mobilitaet.ziele"] == "Mobilität · Ziele, Strategien und Strukturen"
    assert labels["verwaltung.ziele"] == "Verwaltung · Ziele, Strategien und Strukturen"
    status = cell_labels(load_questionnaire("spr-status"), "en")
    assert all(label.count(" · ") == 2 for label in status.values())  # item · row · column, unique already
