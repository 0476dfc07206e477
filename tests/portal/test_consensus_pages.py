"""The consensus stage behind a reviewer's review link: the co-reviewers' panel on the review form, the revised
review, the consensus page (comments on the points to discuss, the lead's joint assessment, the others'
answers), the right-of-reply page showing the joint assessment, and every one of these pages under axe-core."""

import email
import email.policy
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from review_model.tables import (
    AssessmentEndorsement,
    AuditEvent,
    DisputedItemComment,
    JointAssessment,
    OutboxMessage,
    ReviewAssignment,
    ReviewVersion,
    Round,
)
from review_model.vocabulary import Stage
from tests.support.answers import csrf_of
from tests.support.browser import check_widths, require_axe
from tests.support.round_world import SECRET
from tests.support.staged_rounds import StagedRound, bring_round_to, round_in_stage, staged_round

ONE_DATABASE = "the pages; what they store is tested on both databases in tests/review_model/test_consensus.py"
NAMES = ("Anna Keller", "Ben Hansen", "Cara Wolf", "Dora Roth")
AUENBURG = "Stadt Auenburg"


@dataclass
class Consensus:
    engine: Engine
    client: TestClient
    staged: StagedRound
    lead: str  # the review path of Stadt Auenburg's lead reviewer
    others: list[str]  # the review paths of its other reviewers

    def post(self, path: str, data: dict[str, str]):
        csrf = csrf_of(self.client.get(path).text)
        return self.client.post(path, data={"csrf": csrf, "lang": "de", **data}, follow_redirects=False)


@pytest.fixture
def consensus(engine: Engine) -> Iterator[Consensus]:
    staged = round_in_stage(engine, Stage.consensus, reviewers_per_party=3, peer_ratings=(0, 2), consensus_days=7)
    with Session(engine) as session:
        lead_enrolment = session.exec(
            select(ReviewAssignment.reviewer_enrolment_id).where(
                ReviewAssignment.submission_id == staged["anna"].submission_id, col(ReviewAssignment.is_lead)
            )
        ).one()
    paths = {person.enrolment_id: person.reviews[AUENBURG] for person in staged.people.values()
             if AUENBURG in person.reviews}  # fmt: skip
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    with TestClient(create_app(settings, engine)) as client:
        yield Consensus(engine, client, staged, paths[lead_enrolment],
                        [path for enrolment, path in paths.items() if enrolment != lead_enrolment])  # fmt: skip


def test_the_review_form_shows_the_co_reviewers_by_number_and_stays_open_for_a_revision(consensus):
    page = consensus.client.get(consensus.others[0])
    assert page.status_code == 200
    html = page.text
    assert "Bewertungen Ihrer Mitgutachter:innen" in html and "Strittiger Punkt" in html
    assert "Gutachter:in 1" in html and "Gutachter:in 3" in html and "(Sie)" in html
    assert not any(name in html for name in NAMES)  # nobody named in a closed round
    assert f'href="{consensus.others[0]}/consensus?lang=de"' in html
    assert 'type="radio"' in html  # the ratings may be revised
    english = consensus.client.get(f"{consensus.others[0]}?lang=en").text
    assert "Your co-reviewers' ratings" in english and "Reviewer 2" in english and "Point to discuss" in english
    form = {"csrf": csrf_of(html), "action": "submit", "lang": "de"}
    with Session(consensus.engine) as session:
        before = len(session.exec(select(ReviewVersion)).all())
    # the form as it is, sent again: a revision, kept as a version of its own
    revised = consensus.client.post(consensus.others[0], data={**form, **_selected(html)}, follow_redirects=False)
    assert revised.status_code == 303
    with Session(consensus.engine) as session:
        assert len(session.exec(select(ReviewVersion)).all()) == before + 1


def _selected(html: str) -> dict[str, str]:
    """The values a review form shows selected, as the browser would send them back."""
    import re

    values = {}
    for tag in re.findall(r"<input [^>]*checked[^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value:
            values[name.group(1)] = value.group(1)
    assert values
    return values


def test_a_reviewer_comments_on_the_points_to_discuss(consensus):
    page = consensus.client.get(f"{consensus.others[0]}/consensus").text
    assert "Konsensfindung zu Stadt Auenburg" in page and "Ihre Kommentare zu den strittigen Punkten" in page
    assert "Die federführende Gutachter:in hat die gemeinsame Bewertung noch nicht abgesendet." in page
    field = page.split('name="comment-', 1)[1].split('"', 1)[0]
    response = consensus.post(f"{consensus.others[0]}/consensus",
                              {"action": "comments", f"comment-{field}": "<b>Mehr</b> Fortschritt"})  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "consensus?lang=de&done=comments"
    with Session(consensus.engine) as session:
        stored = session.exec(select(DisputedItemComment)).one()
        actions = session.exec(select(AuditEvent.actor, AuditEvent.action)).all()
    assert stored.item_id == field and stored.text == "<b>Mehr</b> Fortschritt"
    assert any(action == "disputed items commented" and "personal link" in actor for actor, action in actions)
    others_view = consensus.client.get(f"{consensus.lead}/consensus?lang=de").text
    assert "&lt;b&gt;Mehr&lt;/b&gt; Fortschritt" in others_view and "zu diesem Punkt" in others_view
    too_long = consensus.post(f"{consensus.others[0]}/consensus",
                              {"action": "comments", f"comment-{field}": "x" * 2001})  # fmt: skip
    assert too_long.status_code == 422 and "Höchstens 2000 Zeichen." in too_long.text


def test_the_lead_submits_the_joint_assessment_and_the_others_are_told_and_answer(consensus):
    lead_page = consensus.client.get(f"{consensus.lead}/consensus?lang=de").text
    assert "Sie sind federführend" in lead_page and 'name="recommendation-3"' in lead_page
    assert 'name="strengths"' not in consensus.client.get(f"{consensus.others[0]}/consensus").text
    incomplete = consensus.post(f"{consensus.lead}/consensus", {"action": "assessment-submit", "strengths": "Klar"})
    assert incomplete.status_code == 422 and "nötig, um die gemeinsame Bewertung abzusenden" in incomplete.text
    assert 'id="f-weaknesses"' in incomplete.text and "\nKlar</textarea>" in incomplete.text  # nothing typed lost
    sent = consensus.post(f"{consensus.lead}/consensus", {
        "action": "assessment-submit", "strengths": "Klare Ziele", "weaknesses": "Wenig Personal",
        "recommendation-1": "Personal aufstocken", "recommendation-2": "", "recommendation-3": "Daten öffnen",
    })  # fmt: skip
    assert sent.status_code == 303
    with Session(consensus.engine) as session:
        assessment = session.exec(select(JointAssessment)).one()
        told = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "joint_assessment_submitted")).all()
    assert assessment.recommendations == ["Personal aufstocken", "Daten öffnen"]
    assert len(told) == 2 and all("Stadt Auenburg" in message.subject for message in told)
    for message in told:
        parsed = email.message_from_bytes(message.payload, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        assert body is not None and "/consensus" in body.get_content()
    other = f"{consensus.others[0]}/consensus"
    page = consensus.client.get(other).text
    assert "Klare Ziele" in page and "Ich stimme der gemeinsamen Bewertung zu" in page
    answered = consensus.post(other, {"action": "endorse", "endorses": "no", "endorsement": "Zu milde."})
    assert answered.status_code == 303
    with Session(consensus.engine) as session:
        endorsement = session.exec(select(AssessmentEndorsement)).one()
    assert not endorsement.endorses and endorsement.comment == "Zu milde."
    lead_view = consensus.client.get(f"{consensus.lead}/consensus?lang=de").text
    assert "stimmt nicht zu" in lead_view and "Zu milde." in lead_view
    assert not any(name in lead_view for name in NAMES)
    # each reviewer's own data shows what they wrote in the consensus stage (right of access)
    leads_data = consensus.client.get(f"{consensus.lead}/my-data?lang=de").text
    assert "Die gemeinsame Bewertung, die Sie geschrieben haben" in leads_data and "Daten öffnen" in leads_data
    assert "Sie leiten die Gutachter:innen dieser Organisation" in leads_data and "Zu milde." not in leads_data
    others_data = consensus.client.get(f"{consensus.others[0]}/my-data?lang=en").text
    assert "You did not endorse it." in others_data and "Zu milde." in others_data
    assert "Klare Ziele" not in others_data


def test_the_report_and_the_right_of_reply_show_the_joint_assessment(consensus):
    consensus.post(f"{consensus.lead}/consensus", {
        "action": "assessment-submit", "strengths": "Klare Ziele", "weaknesses": "Wenig Personal",
        "recommendation-1": "Personal aufstocken",
    })  # fmt: skip
    consensus.post(f"{consensus.others[0]}/consensus", {"action": "endorse", "endorses": "yes", "endorsement": ""})
    staged = bring_round_to(consensus.engine, consensus.staged.round_id, Stage.comment)
    reply = consensus.client.get(staged["anna"].reply).text
    assert "Gemeinsame Bewertung der Gutachter:innen" in reply and "Personal aufstocken" in reply
    assert "Zugestimmt von 1 von 2 Mitgutachter:innen." in reply
    assert not any(name in reply for name in NAMES[1:])
    from reports.contents import assemble_report
    from reports.rendering import render_html

    with Session(consensus.engine) as session:
        html = render_html(assemble_report(session, staged.round_id, "en"))
    assert "<h4>Joint assessment</h4>" in html and "Endorsed by 1 of 2 co-reviewers." in html
    from reports.exports import scores_json

    with Session(consensus.engine) as session:
        (exported,) = json.loads(scores_json(session, staged.round_id, "en"))["joint_assessments"]
    assert exported["organisation"] == AUENBURG and exported["recommendations"] == ["Personal aufstocken"]
    assert exported["answers"][0]["reviewer"].startswith("Reviewer ") and exported["endorsed_by"] == 1
    # after consensus the page shows what was agreed, and takes nothing more
    closed = consensus.client.get(f"{consensus.lead}/consensus?lang=de").text
    assert "Die Konsensfindung ist beendet." in closed and 'name="strengths"' not in closed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_the_consensus_pages_pass_axe(consensus, chromium, database_url):
    script = require_axe()
    consensus.post(f"{consensus.lead}/consensus", {
        "action": "assessment-submit", "strengths": "Klare Ziele", "weaknesses": "Wenig Personal",
        "recommendation-1": "Personal aufstocken",
    })  # fmt: skip
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    found = {}
    with PortalThread(create_app(settings, consensus.engine)) as portal, chromium.connect() as browser:
        base = f"http://127.0.0.1:{portal.port}"

        def check(name: str, path: str) -> None:
            for width, (violations, _) in check_widths(browser, base + path, script, name).items():
                found[f"{name} at {width}"] = violations

        check("review form with the co-reviewers", consensus.others[0])
        check("consensus page of the lead", f"{consensus.lead}/consensus")
        check("consensus page of a co-reviewer", f"{consensus.others[0]}/consensus")
        staged = bring_round_to(consensus.engine, consensus.staged.round_id, Stage.comment)
        check("reply page with the joint assessment", staged["anna"].reply)
    assert {page: v for page, v in found.items() if v} == {}


def test_a_review_link_opens_no_consensus_page_in_a_round_without_one(engine):
    staged = round_in_stage(engine, Stage.review, reviewers_per_party=2)
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    path = next(iter(staged["anna"].reviews.values()))
    with TestClient(create_app(settings, engine)) as client:
        assert client.get(f"{path}/consensus").status_code == 404
        assert "/consensus" not in client.get(path).text
    with Session(engine) as session:
        assert session.get(Round, staged.round_id).consensus_deadline is None
    assert staged_round(engine, staged.round_id).slug == "staged-round"


def test_the_coordinator_changes_a_lead_reviewer_after_asking_first(consensus):
    from tests.support.console import RecordedActions, console_client
    from tests.support.staff import COORDINATOR, OBSERVER, console_post, round_staff

    round_staff(consensus.engine, consensus.staged.slug)
    submission = consensus.staged["anna"].submission_id
    page = f"/console/rounds/{consensus.staged.slug}/reviews"
    actions = RecordedActions()
    with Session(consensus.engine) as session:
        other = session.exec(
            select(ReviewAssignment).where(ReviewAssignment.submission_id == submission, ~col(ReviewAssignment.is_lead))
        ).first()
        assert other is not None
        from review_model.tables import Enrolment, Participant

        email_of_other = session.exec(
            select(Participant.email).join(Enrolment).where(Enrolment.id == other.reviewer_enrolment_id)
        ).one()
    with console_client(consensus.engine, actions=actions, logged_in_as=COORDINATOR) as client:
        listing = client.get(page).text
        assert (
            '<h2 id="leads">Lead reviewers</h2>' in listing and "Change the lead reviewer of Stadt Auenburg…" in listing
        )
        asking = client.get(f"{page}/lead/{submission}")
        assert actions.calls == [] and "writes its joint assessment in the consensus stage" in asking.text
        assert f'<option value="{email_of_other}">' in asking.text
        done = console_post(client, f"{page}/lead/{submission}", choice=email_of_other)
        assert done.status_code == 303 and done.headers["location"] == page
    assert actions.calls == [
        ("change_lead", (consensus.staged.round_id, consensus.staged.slug, submission, email_of_other,
                         f"{COORDINATOR} (console)", "en"), {})
    ]  # fmt: skip
    with console_client(consensus.engine, actions=RecordedActions(), logged_in_as=OBSERVER) as client:
        assert "Change the lead reviewer of" not in client.get(page).text  # an observer reads, changes nothing
