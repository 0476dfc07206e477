"""The pages of questions during the review pass axe-core's WCAG 2.1 AA checks at desktop and phone width, and
fit a phone without sideways scrolling: the review form with questions and answers beside its items and the
boxes to ask, the reviewed party's questions page (to answer, with an error, and read-only after the review)."""

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from review_model.tables import ReviewAssignment, ReviewQuestion, Round
from review_model.vocabulary import Stage
from tests.portal.conftest import BEN, CARA, SECRET
from tests.portal.test_review_questions import ask, questions_link
from tests.support.answers import csrf_of
from tests.support.browser import check_widths, require_axe


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_the_pages_of_questions_pass_axe_at_both_widths(world, review_links, chromium, database_url):
    script = require_axe()
    with Session(world.engine) as session:
        for assignment in session.exec(select(ReviewAssignment)).all():
            assignment.confirmed_at = datetime.now(UTC)
        session.commit()
    ask(world, review_links[CARA], {"question-ratings.ampel": "Wie viele Stellen gibt es?"})
    ask(world, review_links[BEN], {"question-general": "Gibt es einen Haushalt?"})
    link = questions_link(world)
    with Session(world.engine) as session:
        first = session.exec(select(ReviewQuestion.id).order_by(ReviewQuestion.id)).first()
    page = world.client.get(link).text
    world.client.post(link, data={"csrf": csrf_of(page), f"answer-{first}": "Zwölf."})
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    found, widths = {}, {}
    with PortalThread(create_app(settings, world.engine)) as portal, chromium.connect() as browser:
        base = f"http://127.0.0.1:{portal.port}"

        def check(name: str, path: str) -> None:
            for width, (violations, scroll_width) in check_widths(browser, base + path, script, name).items():
                found[f"{name} at {width}"] = violations
                widths[f"{name} at {width}"] = scroll_width

        check("review form with questions", review_links[BEN])
        check("review form with questions, English", review_links[BEN] + "?lang=en")
        check("questions page", link)
        check("questions page, English", link + "?lang=en")
        with Session(world.engine) as session:
            session.get(Round, world.round_id).stage = Stage.consolidation
            session.commit()
        check("questions page after the review", link)
        check("review form after the review", review_links[CARA])
    assert {name: v for name, v in found.items() if v} == {}
    assert {name: width for name, width in widths.items() if name.endswith("phone") and width > 360} == {}
