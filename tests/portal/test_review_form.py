"""The reviewer's form: the reviewed party's answers beside the review items, confidentiality, receipts."""

from sqlmodel import Session, select

from review_model.tables import OutboxMessage, Review
from review_model.vocabulary import Stage, WorkStatus
from tests.portal.conftest import ANNA, BEN, CARA, COMPLETE
from tests.support.answers import csrf_of


def test_the_reviewer_sees_the_reviewed_answers_beside_the_rating_items(world, review_links):
    page = world.client.get(review_links[CARA])
    assert page.status_code == 200
    html = page.text
    assert "Begutachtung von Stadt Auenburg" in html
    assert "<span>Selbsteinschätzung:</span> 2 – weitere Maßnahmen erforderlich" in html
    assert "<span>Kommentar der Organisation:</span> Plattform läuft seit 2025." in html
    assert "Starke Bürgerbeteiligung &lt;b&gt;und&lt;/b&gt; offene Daten." in html  # context, escaped
    assert 'name="ratings.matrix/rechtlich/status"' in html
    assert 'name="facts.art"' not in html  # reviewers rate the ratings, not the facts
    assert "vertraulich" in html


def test_a_review_is_saved_submitted_and_receipted_without_revealing_other_reviewers(world, review_links):
    csrf = csrf_of(world.client.get(review_links[CARA]).text)
    ratings = {key: value for key, value in COMPLETE.items() if key.startswith("ratings.")}
    response = world.client.post(
        review_links[CARA], data={"csrf": csrf, "action": "submit", **ratings}, follow_redirects=False
    )
    assert response.status_code == 303
    with Session(world.engine) as session:
        review = session.exec(select(Review)).one()
        receipt = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "review_receipt")).one()
    assert review.status is WorkStatus.submitted and review.answers["ratings.matrix/technisch/status"] == 3
    assert receipt.recipient_email == CARA and "Stadt Auenburg" in receipt.subject
    bens_view = world.client.get(review_links[BEN]).text
    assert "Cara" not in bens_view and "elbstein" not in bens_view.lower()
    annas_view = world.client.get(world.form(ANNA)).text
    assert "Cara" not in annas_view and "Ben Hansen" not in annas_view


def test_a_review_link_outside_the_review_stage_is_read_only(world, review_links):
    with Session(world.engine) as session:
        round_ = session.get(type(world.round()), world.round_id)
        round_.stage = Stage.consolidation
        session.commit()
    page = world.client.get(review_links[CARA])
    assert page.status_code == 200 and "Begutachtungen sind derzeit nicht möglich" in page.text
    assert "<select" not in page.text
