"""Questions during the review in the portal: a reviewer asks on the review form (per item and in general),
the reviewed party is told once per hour by email and answers on its questions page, every reviewer of the
party sees questions and answers beside the items, and nobody learns who asked."""

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from config.settings import Settings
from review_model.rounds import get_round
from review_model.tables import AccessToken, OutboxMessage, Review, ReviewAssignment, ReviewQuestion
from review_model.vocabulary import Stage, TokenPurpose
from tests.portal.conftest import ANNA, BEN, CARA, COMPLETE
from tests.support.answers import csrf_of

ONE_DATABASE = "pages over the questions' rules and queries, which tests/review_model/test_questions.py runs on both"
ITEM = "ratings.ampel"
LIMIT = Settings.model_fields["portal_lookup_failures"].default


@pytest.fixture
def review_links(review_links, world):
    """The review links of tests.portal.conftest, with the assignments confirmed, as the review stage has them."""
    with Session(world.engine) as session:
        for assignment in session.exec(select(ReviewAssignment)).all():
            assignment.confirmed_at = datetime.now(UTC)
        session.commit()
    return review_links


def ask(world, link: str, fields: dict[str, str], action: str = "ask"):
    data = {"csrf": csrf_of(world.client.get(link).text), "action": action, **fields}
    return world.client.post(link, data=data, follow_redirects=False)


def notices(world) -> list[OutboxMessage]:
    with Session(world.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "questions_asked")).all())


def questions_link(world) -> str:
    """The party's questions link, read from the message that told it of the questions."""
    message = email.message_from_bytes(notices(world)[0].payload, policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://testserver(/q/[A-Za-z0-9_-]{43})", text).group(1)


def test_a_question_per_item_and_in_general_is_asked_the_draft_saved_and_the_party_told_once(world, review_links):
    typed = {f"question-{ITEM}": "Wie viele Stellen gibt es?", "question-general": "Gibt es einen Haushalt?",
             "ratings.ampel": "2"}  # fmt: skip
    response = ask(world, review_links[CARA], typed)
    assert response.status_code == 303 and "done=asked" in response.headers["location"]
    again = ask(world, review_links[BEN], {"question-general": "Und die Finanzierung?"})
    assert again.status_code == 303
    with Session(world.engine) as session:
        questions = session.exec(select(ReviewQuestion).order_by(ReviewQuestion.id)).all()
        reviews = session.exec(select(Review)).all()
    assert [(q.item_id, q.text) for q in questions] == [
        (ITEM, "Wie viele Stellen gibt es?"), (None, "Gibt es einen Haushalt?"), (None, "Und die Finanzierung?")
    ]  # fmt: skip
    assert [review.answers.get("ratings.ampel") for review in reviews] == [2, None]  # the drafts are kept
    told = notices(world)
    assert len(told) == 1 and told[0].recipient_email == ANNA  # three questions within the hour: one message
    body = email.message_from_bytes(told[0].payload, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "Cara" not in body and "Elbstein" not in body and "Stellen" not in body


def test_every_reviewer_sees_the_questions_beside_the_items_by_number_and_the_party_answers(world, review_links):
    ask(world, review_links[CARA], {f"question-{ITEM}": "Wie viele Stellen gibt es?"})
    bens_form = world.client.get(review_links[BEN]).text
    assert "Reviewer 1 asked on" in bens_form and "Wie viele Stellen gibt es?" in bens_form  # Ben reads English
    assert "Cara" not in bens_form and "Elbstein" not in bens_form
    caras_form = world.client.get(review_links[CARA]).text
    assert "Gutachter:in 1 (Sie) fragte am" in caras_form  # the asker sees it is their own
    link = questions_link(world)
    page = world.client.get(link)
    assert page.status_code == 200 and "Wie viele Stellen gibt es?" in page.text
    assert "Gutachter:in 1" in page.text and "Cara" not in page.text and "Elbstein" not in page.text
    assert "<span>Ihre Selbsteinschätzung:</span> 2 – weitere Maßnahmen erforderlich" in page.text  # asked about
    with Session(world.engine) as session:
        question_id = session.exec(select(ReviewQuestion.id)).one()
    saved = world.client.post(link, data={"csrf": csrf_of(page.text), f"answer-{question_id}": "Zwölf Stellen."},
                              follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    with Session(world.engine) as session:
        told = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "question_answered")).all()
    assert [message.recipient_email for message in told] == [CARA]  # the asker, with her review link
    text = email.message_from_bytes(told[0].payload, policy=email.policy.default).get_body(("plain",)).get_content()
    assert f"http://testserver{review_links[CARA]}" in text and "Zwölf" not in text
    assert "The organisation answered on" in world.client.get(review_links[BEN]).text
    assert "Zwölf Stellen." in world.client.get(review_links[BEN]).text
    english = world.client.get(link + "?lang=en").text
    assert "Reviewer 1 asked on" in english and "Zwölf Stellen." in english


def test_a_question_too_long_is_shown_again_with_its_text_and_nothing_is_asked(world, review_links):
    response = ask(world, review_links[CARA], {"question-general": "x" * 2001})
    assert response.status_code == 422
    assert "höchstens 2000 Zeichen" in response.text and "x" * 2001 in response.text
    assert 'href="#f-question-general"' in response.text  # the error summary leads to the box
    with Session(world.engine) as session:
        assert session.exec(select(ReviewQuestion)).all() == []


def test_the_party_answers_only_its_own_questions_and_not_after_the_review(world, review_links):
    ask(world, review_links[CARA], {"question-general": "Frage?"})
    link = questions_link(world)
    csrf = csrf_of(world.client.get(link).text)
    forged = world.client.post(link, data={"csrf": csrf, "answer-999": "Nein."}, follow_redirects=False)
    assert forged.status_code == 404
    with Session(world.engine) as session:
        round_ = get_round(session, world.round_id)
        round_.stage = Stage.consolidation
        session.commit()
    page = world.client.get(link)
    assert "nicht mehr beantwortet" in page.text and "<textarea" not in page.text
    assert "<details" not in world.client.get(review_links[CARA]).text  # no more asking


def test_the_questions_link_is_issued_with_the_first_question_and_expires_with_the_review(world, review_links):
    assert world.client.get("/q/" + "A" * 43).status_code == 404
    ask(world, review_links[CARA], {"question-general": "Frage?"})
    with Session(world.engine) as session:
        access = session.exec(select(AccessToken).where(AccessToken.purpose == TokenPurpose.questions)).one()
        round_ = get_round(session, world.round_id)
    assert access.enrolment_id == world.enrolments[ANNA]
    assert access.expires_at > round_.review_deadline
    with freeze_time(access.expires_at + timedelta(seconds=1)):
        assert world.client.get(questions_link(world)).status_code == 410


def test_a_question_in_a_later_hour_tells_the_party_again(world, review_links):
    start = datetime.now(UTC)
    with freeze_time(start):
        ask(world, review_links[CARA], {"question-general": "Erste Frage?"})
    with freeze_time(start + timedelta(hours=1, minutes=1)):
        ask(world, review_links[CARA], {"question-general": "Zweite Frage?"})
    assert len(notices(world)) == 2


def test_a_submitted_review_with_a_question_typed_asks_it_too(world, review_links):
    ratings = {key: value for key, value in COMPLETE.items() if key.startswith("ratings.")}
    response = ask(world, review_links[CARA], {**ratings, "question-general": "Noch eine Frage?"}, action="submit")
    assert response.status_code == 303 and "done=submitted" in response.headers["location"]
    with Session(world.engine) as session:
        assert session.exec(select(ReviewQuestion.text)).all() == ["Noch eine Frage?"]


def test_in_an_open_review_the_asker_is_named_on_the_pages_and_the_message_says_so(world, review_links):
    with Session(world.engine) as session:
        get_round(session, world.round_id).open_review = True
        session.commit()
    ask(world, review_links[CARA], {"question-general": "Wie viele Stellen gibt es?"})
    assert "Cara Wolf asked on" in world.client.get(review_links[BEN]).text
    page = world.client.get(questions_link(world)).text
    assert "Cara Wolf fragte am" in page and "offenes Verfahren" in page
    body = email.message_from_bytes(notices(world)[0].payload, policy=email.policy.default)
    assert "zeigt die Seite, wer gefragt hat" in body.get_body(("plain",)).get_content()


def test_guessing_questions_links_is_limited_like_every_personal_link(world, review_links):
    ask(world, review_links[CARA], {"question-general": "Frage?"})
    link = questions_link(world)
    wrong = [world.client.get(f"/q/{'x' * 40}{n:03d}").status_code for n in range(LIMIT)]
    assert wrong == [404] * LIMIT
    assert world.client.get(link).status_code == 429  # the working link too: nothing tells them apart
