"""The self-assessment form: every item type, drafts, submission, editing, the deadline, bad input."""

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session, select

from review_model.tables import Enrolment, OutboxMessage, Submission, SubmissionVersion
from review_model.vocabulary import WorkStatus
from tests.portal.conftest import COMPLETE
from tests.support.answers import csrf_of

ANNA = "anna@auenburg.example"
BEN = "ben@nordhaven.example"


def submission_of(world, email):
    with Session(world.engine) as session:
        return session.exec(select(Submission).where(Submission.enrolment_id == world.enrolments[email])).first()


def test_every_item_type_is_rendered_with_labels_tied_to_inputs(world):
    page = world.client.get(world.form(ANNA))
    assert page.status_code == 200
    html = page.text
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    assert ids and ids <= labelled, ids - labelled
    for key in COMPLETE:
        assert f'name="{key}"' in html, key
    assert 'type="checkbox" name="facts.themen"' in html
    assert 'inputmode="decimal" name="facts.einwohner"' in html
    assert 'maxlength="200"' in html
    assert "Vorbild für andere" in html  # an item's own description of a maturity level
    assert "erste Schritte" in html  # the scale's description where the item has none
    assert "<abbr" in html and "Pflichtfrage" in html  # required markers
    assert "Wie steht es insgesamt?" in html  # help text
    assert "0 von 2 Abschnitten vollständig" in html
    assert "<script" not in html


def test_the_participant_language_is_used_and_can_be_switched(world):
    english = world.client.get(world.form(BEN))
    assert 'lang="en"' in english.text and "Save draft" in english.text and "Hansestadt Nordhaven" in english.text
    german = world.client.get(world.form(BEN) + "?lang=de")
    assert 'lang="de"' in german.text and "Entwurf speichern" in german.text


def test_draft_resume_submit_edit_and_the_deadline(world):
    partial = {"ratings.ampel": "1", "facts.staerken": "Gute Vernetzung", "facts.themen": ["energie"]}
    saved = world.post(ANNA, partial)
    assert saved.status_code == 303 and saved.headers["location"] == "?lang=de&done=saved"
    page = world.client.get(world.form(ANNA) + "?lang=de&done=saved").text
    assert "Ihr Entwurf ist gespeichert" in page
    assert 'value="1" checked' in page and ">Gute Vernetzung</textarea>" in page
    assert 'value="energie" checked' in page
    draft = submission_of(world, ANNA)
    assert draft.status is WorkStatus.draft and draft.answers == {
        "ratings.ampel": 1, "facts.staerken": "Gute Vernetzung", "facts.themen": ["energie"]
    }  # fmt: skip

    incomplete = world.post(ANNA, partial, action="submit")
    assert incomplete.status_code == 422
    assert "Bitte beantworten Sie diese Frage." in incomplete.text
    assert ">Gute Vernetzung</textarea>" in incomplete.text  # nothing typed is lost
    assert submission_of(world, ANNA).status is WorkStatus.draft

    submitted = world.post(ANNA, COMPLETE, action="submit")
    assert submitted.status_code == 303 and "done=submitted" in submitted.headers["location"]
    first = submission_of(world, ANNA)
    assert (first.status, first.version) == (WorkStatus.submitted, 1)
    assert first.answers["facts.einwohner"] == 48250 and first.answers["facts.budget"] == 2.5
    assert first.answers["facts.themen"] == ["mobilitaet", "bildung"]
    assert "Fassung 1" in world.client.get(world.form(ANNA) + "?done=submitted").text

    edited = world.post(ANNA, {**COMPLETE, "ratings.reife": "4"}, action="submit")
    assert edited.status_code == 303
    with Session(world.engine) as session:
        versions = session.exec(select(SubmissionVersion).order_by(SubmissionVersion.version)).all()
        receipts = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "submission_receipt")).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].answers["ratings.reife"] == 3 and versions[1].answers["ratings.reife"] == 4
    assert len(receipts) == 2 and {r.recipient_email for r in receipts} == {ANNA}

    # a draft after submitting keeps the submitted version and says changes are pending
    world.post(ANNA, {**COMPLETE, "ratings.reife": "0"})
    assert "noch nicht abgesendet" in world.client.get(world.form(ANNA)).text

    deadline = world.round().submission_deadline
    with freeze_time(deadline + timedelta(minutes=1)):
        closed = world.client.get(world.form(ANNA))
        assert closed.status_code == 200 and "Die Frist ist abgelaufen" in closed.text
        assert "<textarea" not in closed.text and 'type="radio"' not in closed.text
        assert "4 – Stufe 4" in closed.text  # the last submitted version, not the later draft
        late = world.post(ANNA, COMPLETE, action="submit")
        assert late.status_code == 409 and "inzwischen abgelaufen" in late.text
    assert submission_of(world, ANNA).version == 2

    with freeze_time(deadline + timedelta(days=15)):
        expired = world.client.get(world.form(ANNA))
        assert expired.status_code == 410
        assert "abgelaufen" in expired.text and "gs@peer-review.example" in expired.text


def test_the_receipt_summarises_the_answers_in_the_participant_language(world):
    import email
    import email.policy

    english_numbers = {**COMPLETE, "facts.einwohner": "48,250", "facts.budget": "2.5"}
    assert world.post(BEN, english_numbers, action="submit").status_code == 303
    with Session(world.engine) as session:
        receipt = session.exec(select(OutboxMessage)).one()
        assert session.exec(select(Submission)).one().answers["facts.einwohner"] == 48250
    parsed = email.message_from_bytes(receipt.payload, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    assert receipt.subject == "Receipt: your self-assessment (version 1)"
    assert "Strategy maturity: 3 – Level 3" in text
    assert "Building block data platform · Technical · Status: 3 – not critical" in text
    assert "Topics: Mobility, Education" in text
    assert "http://testserver/a/" in text and world.form(BEN) in text


def test_bad_input_is_reported_beside_each_field_and_nothing_is_saved(world):
    bad = {
        **COMPLETE,
        "ratings.ampel": "7",
        "facts.art": "dorf",
        "facts.themen": ["mobilitaet", "raumfahrt"],
        "facts.einwohner": "viele",
        "facts.budget": "-3",
        "facts.staerken": "x" * 201,
    }
    response = world.post(ANNA, bad, action="submit")
    assert response.status_code == 422
    html = response.text
    assert "Bitte prüfen Sie die markierten Angaben (6)" in html
    for key in ("ratings.ampel", "facts.art", "facts.themen", "facts.einwohner", "facts.budget", "facts.staerken"):
        assert f'id="e-{key}"' in html and f'aria-describedby="e-{key}"' in html, key
    assert "Bitte geben Sie eine Zahl ein." in html
    assert "Die Zahl darf nicht kleiner als 0 sein." in html
    assert "Bitte kürzen Sie den Text auf 200 Zeichen (jetzt 201)." in html
    assert 'value="viele"' in html and "x" * 201 in html
    assert submission_of(world, ANNA) is None
    integer = world.post(ANNA, {"facts.einwohner": "12,5"})
    assert integer.status_code == 422 and "ganze Zahl" in integer.text


def test_hostile_text_is_escaped_when_shown_again(world):
    world.post(ANNA, {"facts.staerken": "<script>alert(1)</script>"})
    html = world.client.get(world.form(ANNA)).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_get_changes_no_answers_and_only_notes_the_first_view(world):
    world.post(ANNA, {"facts.staerken": "Entwurf"})
    with Session(world.engine) as session:
        before = session.exec(select(Submission)).one()
    for _ in range(3):
        world.client.get(world.form(ANNA) + "?action=submit&facts.staerken=geaendert&done=submitted")
    with Session(world.engine) as session:
        after = session.exec(select(Submission)).one()
        enrolment = session.get(Enrolment, world.enrolments[ANNA])
    assert (after.answers, after.status, after.version, after.updated_at) == (
        before.answers, before.status, before.version, before.updated_at
    )  # fmt: skip
    assert enrolment.first_opened_at is not None


def test_progress_counts_complete_sections(world):
    world.post(ANNA, {"facts.art": "land", "facts.staerken": "Viel"})
    assert "1 von 2 Abschnitten vollständig" in world.client.get(world.form(ANNA)).text


def test_a_submission_asks_for_its_round_to_be_advanced(world):
    from fastapi.testclient import TestClient

    from config.settings import Settings
    from portal.app import create_app
    from tests.portal.conftest import SECRET

    woken: list[int] = []
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    with TestClient(create_app(settings, world.engine, on_submission=woken.append)) as client:
        page = client.get(world.form(ANNA)).text
        csrf = csrf_of(page)
        draft = client.post(world.form(ANNA), data={"csrf": csrf, "action": "save", **COMPLETE}, follow_redirects=False)
        assert draft.status_code == 303 and woken == []  # a draft changes nothing that is due
        done = client.post(
            world.form(ANNA), data={"csrf": csrf, "action": "submit", **COMPLETE}, follow_redirects=False
        )
        assert done.status_code == 303 and woken == [world.round_id]
