"""The console's reviewer calibration page without Prefect: each reviewer's leniency, agreement and compared
ratings, the lenient and the harsh reviewer flagged first with a warning; linked from the reviews page; seen
by the round's staff only."""

import re

import pytest
from sqlalchemy.engine import Engine

from review_model.vocabulary import Stage
from tests.support.console import console_client
from tests.support.staff import COORDINATOR, OBSERVER, round_staff
from tests.support.staged_rounds import StagedRound, round_in_stage

ONE_DATABASE = "the pages of the console; the calibration's figures are tested in tests/review_model"
PAGE = "/console/rounds/staged-round/reviews/calibration"
EVERYONE = ["anna", "ben", "cara", "dora", "person5", "person6"]


@pytest.fixture
def reviewed(engine: Engine) -> StagedRound:
    """Six parties, three reviewers each, every review submitted: Anna rates every item 3, Ben 1, the
    others 2."""
    staged = round_in_stage(
        engine, Stage.review, parties=6, reviewers_per_party=3, peer_ratings=(3, 1, 2, 2, 2, 2), reviewed=EVERYONE
    )
    round_staff(engine, staged.slug)
    return staged


def rows(text: str) -> list[tuple[str, str, str]]:
    """(reviewer, leniency, warning) of each row, in order."""
    table = text.split('id="reviewers"', 1)[1].split("</table>")[0]
    found = []
    for row in re.findall(r"<tr><th scope=\"row\".*?</tr>", table, re.S):
        name = re.search(r'<th scope="row"[^>]*>([^<(]+?)\s*<', row).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found.append((name, cells[1], re.sub(r"<[^>]+>", "", cells[4])))
    return found


def test_the_lenient_and_the_harsh_reviewer_come_first_with_a_warning(engine: Engine, reviewed: StagedRound):
    with console_client(engine, logged_in_as=COORDINATOR) as client:
        page = client.get(PAGE)
        reviews = client.get("/console/rounds/staged-round/reviews")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "<h1>Reviewer calibration</h1>" in text
    shown = rows(text)
    assert len(shown) >= 4  # every reviewer with a review beside another of the same party
    first_two = {name: (leniency, warning) for name, leniency, warning in shown[:2]}
    assert set(first_two) == {"Anna Keller", "Ben Hansen"}
    assert first_two["Anna Keller"][0].startswith("+") and first_two["Anna Keller"][1] == (
        "Rates more kindly than the others"
    )
    assert first_two["Ben Hansen"][0].startswith("−") and first_two["Ben Hansen"][1] == (
        "Rates more harshly than the others"
    )
    assert "read their reviews before the figures are published" in text
    assert "The report gives the raw peer means" in text  # the round does not normalise
    assert f'href="{PAGE}"' in reviews.text


def test_in_german_and_for_observers(engine: Engine, reviewed: StagedRound):
    with console_client(engine, logged_in_as=OBSERVER, language="de") as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    assert "<h1>Kalibrierung der Gutachten</h1>" in page.text


def test_nothing_to_compare_before_the_reviews(engine: Engine):
    staged = round_in_stage(engine, Stage.review, parties=4, reviewed=[])
    round_staff(engine, staged.slug)
    with console_client(engine, logged_in_as=COORDINATOR) as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    assert "No reviewer can be compared yet" in page.text


def test_staff_of_other_rounds_see_nothing(engine: Engine, reviewed: StagedRound):
    with console_client(engine) as client:
        page = client.get(PAGE, follow_redirects=False)
    assert page.status_code == 303  # to the login
