"""“My data” behind every personal link: the page in the person's language with its downloads, which change
nothing, hold no working link and no one else's data; an expired link names the coordinator."""

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from portal.my_data_pages import readable_answers
from portal.reply_pages import field_name
from review_model.questionnaire import load_questionnaire
from review_model.tables import (
    AccessToken,
    AuditEvent,
    Enrolment,
    OutboxMessage,
    Participant,
    Reply,
    Review,
    Submission,
)
from tests.support.browser import check_widths, require_axe
from tests.support.personal_data import ANNAS_REPLY, TOKEN, AnnasRound, annas_round
from tests.support.round_world import SECRET
from tests.support.staged_actions import withdraw_person
from tests.support.stored_answers import stored_answers

ONE_DATABASE = "the pages behind a link; what they read (review_model.personal_data) is tested on both databases"


@pytest.fixture
def anna(engine: Engine) -> AnnasRound:
    return annas_round(engine)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    with TestClient(create_app(settings, engine), base_url="http://testserver") as client:
        yield client


def links_of(world: AnnasRound) -> dict[str, str]:
    """Anna's form, one of her review forms, and her reply page."""
    person = world.staged["anna"]
    assert person.form and person.reply
    return {"self_assessment": person.form, "review": next(iter(person.reviews.values())), "reply": person.reply}


def test_every_form_links_to_the_page_which_shows_the_data_in_the_person_s_language(anna, client, engine):
    for purpose, path in links_of(anna).items():
        form = client.get(path)
        assert form.status_code == 200, purpose
        found = re.search(r'href="([^"]+/my-data\?lang=de)"', form.text)
        assert found and found.group(1).startswith(path + "/"), purpose
        page = client.get(found.group(1))
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "<h1>Ihre Daten</h1>" in page.text and 'lang="de"' in page.text
        assert 'href="my-data.json"' in page.text and 'href="my-data.csv"' in page.text
        assert f'href="../{path.rsplit("/", 1)[1]}?lang=de"' in page.text  # back to the form
    page = client.get(f"{links_of(anna)['reply']}/my-data?lang=en").text
    assert "<h1>Your data</h1>" in page and "Emails to you" in page and ANNAS_REPLY in page
    assert "Anna Keller" in page and "Landkreis Talbach" in page  # her conflict
    assert "Einladung" in page or "invitation" in page.lower()  # the subjects of her emails
    for value in anna.others(engine):
        assert value not in page


@pytest.mark.parametrize("extension", ["json", "csv"])
def test_the_downloads_are_attachments_never_cached_without_any_link_or_other_person(anna, client, engine, extension):
    for path in links_of(anna).values():
        got = client.get(f"{path}/my-data.{extension}")
        assert got.status_code == 200
        assert re.fullmatch(rf'attachment; filename="personal-data-\d{{4}}-\d\d-\d\d\.{extension}"',
                            got.headers["content-disposition"])  # fmt: skip
        assert got.headers["cache-control"] == "no-store"
        assert not TOKEN.search(got.text)
        assert [value for value in anna.secrets(engine) + anna.others(engine) if value in got.text] == []
        if extension == "json":
            document = json.loads(got.text)
            assert got.headers["content-type"] == "application/json"
            assert document["person"]["email"] == "anna@auenburg.example"
            assert len(document["self_assessments"][0]["versions"]) == 3 and len(document["messages"]) == 6
        else:
            rows = list(csv.reader(io.StringIO(got.text)))
            assert rows[0] == ["section", "round", "field", "value", "at"]
            assert ["replies", "staged-round", "text", ANNAS_REPLY] in [row[:4] for row in rows]
    assert client.get(f"{links_of(anna)['reply']}/my-data.xml").status_code == 404


def test_looking_changes_nothing_not_even_that_the_link_was_opened(anna, client, engine):
    tables = (AccessToken, Enrolment, OutboxMessage, AuditEvent, Submission, Review, Reply)

    def store() -> list:
        with Session(engine) as session:
            return [sorted(map(repr, session.exec(select(table)).all())) for table in tables]

    before = store()
    for path in links_of(anna).values():
        for suffix in ("/my-data", "/my-data?lang=en", "/my-data.json", "/my-data.csv"):
            assert client.get(path + suffix).status_code == 200
    assert store() == before


def test_an_expired_link_names_the_coordinator_and_an_unknown_or_withdrawn_one_opens_nothing(anna, client, engine):
    links = links_of(anna)
    with Session(engine) as session:
        for access in session.exec(select(AccessToken)):
            access.expires_at = datetime.now(UTC) - timedelta(days=1)
        session.commit()
    for suffix in ("/my-data", "/my-data.json"):
        expired = client.get(links["reply"] + suffix)
        assert expired.status_code == 410
        assert "gs@peer-review.example" in expired.text and "Kopie" in expired.text
        assert "Anna" not in expired.text
    assert client.get("/a/" + "A" * 43 + "/my-data").status_code == 404
    assert client.get("/c/" + links["self_assessment"].rsplit("/", 1)[1] + "/my-data").status_code == 404


def test_a_withdrawn_or_erased_person_s_links_show_no_data(anna, client, engine):
    withdraw_person(engine, anna.staged, "anna")
    for path in links_of(anna).values():
        assert client.get(f"{path}/my-data").status_code == 404
        assert client.get(f"{path}/my-data.json").status_code == 404
    ben = anna.staged["ben"]
    assert ben.form and client.get(f"{ben.form}/my-data").status_code == 200
    with Session(engine) as session:
        person = session.exec(select(Participant).where(Participant.email == ben.email)).one()
        person.erased_at = datetime.now(UTC)  # as if erased with a link left working
        session.commit()
    assert client.get(f"{ben.form}/my-data").status_code == 404
    assert client.get(f"{ben.form}/my-data.csv").status_code == 404


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database
def test_the_page_passes_axe_in_both_languages(anna, engine, chromium, database_url):
    script = require_axe()
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    found = {}
    with PortalThread(create_app(settings, engine)) as portal, chromium.connect() as browser:
        for language in ("de", "en"):
            url = f"http://127.0.0.1:{portal.port}{links_of(anna)['self_assessment']}/my-data?lang={language}"
            for width, (violations, scroll_width) in check_widths(browser, url, script, f"my-data-{language}").items():
                found[f"{language} at {width}"] = violations
                assert scroll_width <= (1200 if width == "desktop" else 360), (language, width, scroll_width)
    assert {page: v for page, v in found.items() if v} == {}


def test_answers_are_named_by_section_item_row_and_column_and_read_by_their_level():
    questionnaire = load_questionnaire(Path(__file__).parent / "every_item_type.yaml")
    stored = stored_answers(questionnaire, 1, comments={"ratings.matrix/technisch/comment": "Plattform läuft."})
    shown = dict(readable_answers(questionnaire, "self_assessment", {**stored, "gone.item": 7}, "de"))
    assert shown["Bewertungen · " + _label(questionnaire, "ratings.ampel")] == "1 – kritisch"
    matrix = [label for label in shown if label.startswith("Bewertungen · ") and "technisch" in label.lower()]
    assert any(label.endswith(" · Kommentar") for label in matrix), matrix
    assert shown[next(label for label in matrix if label.endswith(" · Kommentar"))] == "Plattform läuft."
    assert shown["gone.item"] == "7"  # an answer the questionnaire no longer asks is still shown
    assert readable_answers(None, "review", {"a": 1}, "en") == [("a", "1")]


def _label(questionnaire, item_id: str) -> str:
    return next(item.label.de for _, item in questionnaire.items() if item.id == item_id)


def test_a_reply_to_a_group_of_findings_is_named_as_the_form_names_the_group(replies):
    sent = replies.post({field_name(replies.findings["rechtlich"]): "Die Satzung kommt 2027."}, action="send")
    assert sent.status_code == 303
    page = replies.world.client.get(f"{replies.link}/my-data?lang=en").text
    assert "Legal</dt>" in page and "Die Satzung kommt 2027." in page
    document = replies.world.client.get(f"{replies.link}/my-data.json").json()
    assert [(r["about"], r["text"]) for r in document["replies"]] == [("rechtlich", "Die Satzung kommt 2027.")]
