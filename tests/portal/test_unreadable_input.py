"""Input no person types (NUL bytes, digits of other scripts, endless numbers) is refused beside its field, with
everything typed kept, on both databases: never a server error, never stored."""

import pytest
from sqlmodel import Session, select

from review_model.tables import Review, Submission
from tests.portal.conftest import ANNA, BEN, CARA, COMPLETE
from tests.support.answers import csrf_of

NUL_FIELDS = ("facts.staerken", "ratings.ampel/comment", "ratings.matrix/technisch/comment")


def nothing_saved(world) -> bool:
    with Session(world.engine) as session:
        return session.exec(select(Submission)).first() is None


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_nul_byte_in_any_text_field_is_refused_with_the_form_kept(world, action):
    typed = {**COMPLETE, **{key: f"vor\x00nach {key}" for key in NUL_FIELDS}}
    response = world.post(ANNA, typed, action=action)
    assert response.status_code == 422
    for key in NUL_FIELDS:
        assert f'id="e-{key}"' in response.text and f'href="#f-{key}"' in response.text, key
        assert f"vor\ufffdnach {key}</textarea>" in response.text  # kept, the NUL shown as the browser shows it
    assert "\x00" not in response.text
    assert "unzulässiges Steuerzeichen" in response.text
    assert 'value="3" checked' in response.text  # the other answers are kept too
    assert nothing_saved(world)


def test_a_nul_byte_in_a_choice_or_number_is_refused(world):
    response = world.post(BEN, {"facts.art": "kommune\x00", "facts.einwohner": "12\x003", "ratings.reife": "3\x00"})
    assert response.status_code == 422 and "control character" in response.text
    assert nothing_saved(world)


def test_a_nul_byte_in_a_review_comment_is_refused(world, review_links):
    csrf = csrf_of(world.client.get(review_links[CARA]).text)
    data = {"csrf": csrf, "action": "save", "ratings.ampel/comment": "gut\x00"}
    response = world.client.post(review_links[CARA], data=data, follow_redirects=False)
    assert response.status_code == 422 and "gut\ufffd</textarea>" in response.text
    with Session(world.engine) as session:
        assert session.exec(select(Review)).first() is None


@pytest.mark.parametrize("path", ["/reports/a%00b", "/reports/a%00b/report.html", "/a/%00", "/c/x%00y", "/?lang=d%00e"])
def test_a_nul_byte_in_an_address_opens_nothing(world, path):
    assert world.client.get(path).status_code == 404


@pytest.mark.parametrize("rating", ["²", "-²", "٣", "+3", " 3\u200b", "3.0", "9" * 4301, "-" + "9" * 4301])
def test_a_rating_that_is_not_an_offered_level_is_refused_beside_its_field(world, rating):
    fields = ("ratings.ampel", "ratings.matrix/rechtlich/status")
    response = world.post(ANNA, {**COMPLETE, **dict.fromkeys(fields, rating)}, action="submit")
    assert response.status_code == 422
    for key in fields:
        assert f'id="e-{key}"' in response.text and f'href="#f-{key}' in response.text, key
    assert "Bitte wählen Sie eine der angebotenen Antworten." in response.text
    assert "Es fehlt Personal.</textarea>" in response.text
    assert nothing_saved(world)


@pytest.mark.parametrize(
    "number",
    ["1e999", "1e5", "nan", "inf", "-Infinity", "1_000", "٣", "²", "0x10", "9" * 4301, "9" * 39, "1" + "0" * 15 + "1"],
)
def test_a_number_outside_plain_ascii_digits_or_sane_bounds_is_refused(world, number):
    response = world.post(ANNA, {**COMPLETE, "facts.budget": number}, action="submit")
    assert response.status_code == 422
    assert 'id="e-facts.budget"' in response.text and 'href="#f-facts.budget"' in response.text
    assert ("Bitte geben Sie eine Zahl ein." in response.text) or ("nicht größer als" in response.text)
    assert nothing_saved(world)


@pytest.mark.parametrize("number,stored", [("1.000.000.000.000.000", 10**15), ("0,5", 0.5), ("-0", 0)])
def test_plain_numbers_up_to_the_bounds_are_still_read(world, number, stored):
    response = world.post(ANNA, {**COMPLETE, "facts.budget": number, "facts.einwohner": "5.000.000"})
    assert response.status_code == 303
    with Session(world.engine) as session:
        answers = session.exec(select(Submission)).one().answers
    assert answers["facts.budget"] == stored and answers["facts.einwohner"] == 5_000_000
