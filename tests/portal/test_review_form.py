"""The reviewer's form: the reviewed party's answers beside the review items, confidentiality, receipts."""

from datetime import timedelta

from sqlmodel import Session, select

from review_model.tables import OutboxMessage, Review, ReviewAssignment, Submission
from review_model.tokens import issue_link
from review_model.vocabulary import Stage, TokenPurpose, WorkStatus
from tests.portal.conftest import COMPLETE, SECRET
from tests.support.answers import csrf_of

ANNA = "anna@auenburg.example"
BEN = "ben@nordhaven.example"
CARA = "cara@elbstein.example"


def review_links(world):
    """Anna submits; Cara and Ben are assigned to review her; the round moves to review."""
    assert world.post(ANNA, COMPLETE, action="submit").status_code == 303
    links = {}
    with Session(world.engine) as session:
        submission = session.exec(select(Submission)).one()
        round_ = world.round()
        for reviewer in (CARA, BEN):
            assignment = ReviewAssignment(
                round_id=world.round_id, submission_id=submission.id, reviewer_enrolment_id=world.enrolments[reviewer]
            )
            session.add(assignment)
            session.flush()
            issued = issue_link(
                session, SECRET.encode(), round_id=world.round_id, enrolment_id=world.enrolments[reviewer],
                purpose=TokenPurpose.review, assignment_id=assignment.id,
                expires_at=round_.review_deadline + timedelta(days=14),
            )  # fmt: skip
            links[reviewer] = f"/r/{issued.token}"
        stored_round = session.get(type(round_), world.round_id)
        stored_round.stage = Stage.review
        session.commit()
    return links


def test_the_reviewer_sees_the_reviewed_answers_beside_the_rating_items(world):
    links = review_links(world)
    page = world.client.get(links[CARA])
    assert page.status_code == 200
    html = page.text
    assert "Begutachtung von Stadt Auenburg" in html
    assert "<span>Selbsteinschätzung:</span> 2 – weitere Maßnahmen erforderlich" in html
    assert "<span>Kommentar der Organisation:</span> Plattform läuft seit 2025." in html
    assert "Starke Bürgerbeteiligung &lt;b&gt;und&lt;/b&gt; offene Daten." in html  # context, escaped
    assert 'name="ratings.matrix/rechtlich/status"' in html
    assert 'name="facts.art"' not in html  # reviewers rate the ratings, not the facts
    assert "vertraulich" in html


def test_a_review_is_saved_submitted_and_receipted_without_revealing_other_reviewers(world):
    links = review_links(world)
    csrf = csrf_of(world.client.get(links[CARA]).text)
    ratings = {key: value for key, value in COMPLETE.items() if key.startswith("ratings.")}
    response = world.client.post(
        links[CARA], data={"csrf": csrf, "action": "submit", **ratings}, follow_redirects=False
    )
    assert response.status_code == 303
    with Session(world.engine) as session:
        review = session.exec(select(Review)).one()
        receipt = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "review_receipt")).one()
    assert review.status is WorkStatus.submitted and review.answers["ratings.matrix/technisch/status"] == 3
    assert receipt.recipient_email == CARA and "Stadt Auenburg" in receipt.subject
    bens_view = world.client.get(links[BEN]).text
    assert "Cara" not in bens_view and "elbstein" not in bens_view.lower()
    annas_view = world.client.get(world.form(ANNA)).text
    assert "Cara" not in annas_view and "Ben Hansen" not in annas_view


def test_a_review_link_outside_the_review_stage_is_read_only(world):
    links = review_links(world)
    with Session(world.engine) as session:
        round_ = session.get(type(world.round()), world.round_id)
        round_.stage = Stage.consolidation
        session.commit()
    page = world.client.get(links[CARA])
    assert page.status_code == 200 and "Begutachtungen sind derzeit nicht möglich" in page.text
    assert "<select" not in page.text
