"""The accessibility statement: in German and English with the configured contact, a round's values over the
installation's statement file over the defaults, never an empty page, and a link to it in the footer of every
kind of page the portal serves."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from config.settings import Settings
from portal.accessibility_pages import round_reference
from portal.app import create_app
from review_model.accessibility import StatementFileError
from review_model.rounds import get_round
from review_model.tables import PublishedReport, Round, Submission
from review_model.vocabulary import StaffRole, Stage
from tests.portal.conftest import ANNA, BEN, CARA, SECRET, PortalWorld, ReplyWorld, assign_reviewer
from tests.support.staff import COORDINATOR, log_in, staff_member

ONE_DATABASE = "the pages; the statement's storing and choice are tested on both databases"

INSTALLATION = """\
body: {de: Bundesamt für Beispiele, en: Federal Office of Examples}
status: partial
prepared_on: 2027-01-15
contact:
  name: Team Barrierefreiheit
  email: barrierefreiheit@amt.example
  phone: "+49 30 1234567"
enforcement:
  name: {de: Landesdurchsetzungsstelle Musterland, en: Enforcement body of Musterland}
  url: https://durchsetzung.musterland.example
"""
ROUND_BLOCK = {
    "contact": {"name": "Runde Barrierefrei", "email": "runde@peer-review.example"},
    "barriers": [{"content": {"de": "Die Karte ist nicht barrierefrei.", "en": "The map is not accessible."},
                  "reason": {"de": "Unverhältnismäßige Belastung.", "en": "Disproportionate burden."}}],
}  # fmt: skip
FOOTER = re.compile(
    r'<footer[^>]*>.*?<a href="(/accessibility\?[^"]*)">(?:Erklärung zur Barrierefreiheit|Accessibility statement)</a>',
    re.S,
)


def statement_client(world: PortalWorld, tmp_path: Path, text: str = INSTALLATION) -> TestClient:
    (tmp_path / "statement.yaml").write_text(text, encoding="utf-8")
    settings = Settings(secret_key=SECRET, public_base_url="https://peer-review.example", database_url="sqlite://",
                        accessibility_statement=str(tmp_path / "statement.yaml"))  # fmt: skip
    return TestClient(create_app(settings, world.engine), base_url="http://testserver")


def footer_link(html: str) -> str:
    found = FOOTER.search(html)
    assert found is not None, "no footer link to the accessibility statement"
    return found.group(1).replace("&amp;", "&")


def set_round_block(world: PortalWorld, block: dict) -> None:
    with Session(world.engine) as session:
        round_ = get_round(session, world.round_id)
        round_.accessibility = block
        session.commit()


def test_the_statement_speaks_german_and_english_with_the_configured_contact(world: PortalWorld, tmp_path: Path):
    with statement_client(world, tmp_path) as client:
        german = client.get("/accessibility")
        english = client.get("/accessibility?lang=en")
    assert german.status_code == english.status_code == 200
    for expected in ("Erklärung zur Barrierefreiheit", "Bundesamt für Beispiele ist bemüht", "Teilweise barrierefrei",
                     "Nicht barrierefreie Inhalte", "15. Januar 2027", "Team Barrierefreiheit",
                     'href="mailto:barrierefreiheit@amt.example"', 'href="tel:+49301234567"',
                     "Landesdurchsetzungsstelle Musterland", "https://durchsetzung.musterland.example",
                     "https://peer-review.example"):  # fmt: skip
        assert expected in german.text, expected
    for expected in ("Accessibility statement", "Federal Office of Examples endeavours", "Partially compliant",
                     "15 January 2027", "Team Barrierefreiheit", "Enforcement body of Musterland"):  # fmt: skip
        assert expected in english.text, expected
    assert 'lang="en"' in english.text and 'href="/accessibility?lang=de"' in english.text  # back to German


def test_a_rounds_values_win_on_its_pages_and_the_file_speaks_for_the_rest(world: PortalWorld, tmp_path: Path):
    set_round_block(world, ROUND_BLOCK)
    with statement_client(world, tmp_path) as client:
        link = footer_link(client.get(world.form(ANNA)).text)
        statement = client.get(link).text
        installation = client.get("/accessibility").text
    assert "Runde Barrierefrei" in statement and "Team Barrierefreiheit" not in statement
    assert "Die Karte ist nicht barrierefrei." in statement and "Testrunde" in statement
    assert "Landesdurchsetzungsstelle Musterland" in statement and "15. Januar 2027" in statement  # the file's
    assert "Team Barrierefreiheit" in installation and "Runde Barrierefrei" not in installation


def test_without_any_configuration_a_round_names_its_coordinator_and_elsewhere_says_none_is_set(world: PortalWorld):
    link = footer_link(world.client.get(world.form(ANNA)).text)
    assert link == f"/accessibility?round={round_reference(SECRET.encode(), world.round_id)}&lang=de"
    assert ANNA.split("@")[0] not in link and "portal-test" not in link  # no token, no slug
    statement = world.client.get(link).text
    assert "Geschäftsstelle" in statement and 'href="mailto:gs@peer-review.example"' in statement
    assert "Schlichtungsstelle nach § 16 BGG" in statement and "PDF-Fassung" in statement  # the defaults
    installation = world.client.get("/accessibility?lang=en").text
    assert "No contact for the accessibility of this portal has been configured yet." in installation
    assert "gs@peer-review.example" not in installation


def test_a_made_up_or_altered_reference_is_the_installations_statement(world: PortalWorld):
    reference = round_reference(SECRET.encode(), world.round_id)
    for made_up in (f"{world.round_id}.{'A' * 22}", reference[:-1] + "x", "portal-test", "1", "999999.abc", "-1.x"):
        page = world.client.get(f"/accessibility?round={made_up}")
        assert page.status_code == 200 and "gs@peer-review.example" not in page.text, made_up
        assert "keine Kontaktstelle eingetragen" in page.text


def test_a_statement_file_that_cannot_be_used_stops_the_portal_with_its_line(world: PortalWorld, tmp_path: Path):
    with pytest.raises(StatementFileError) as refused:
        statement_client(world, tmp_path, "status: partial\ncontact:\n  name: Team\n  email: not-an-address\n")
    assert "statement.yaml:4" in str(refused.value) and "contact.email" in str(refused.value)


def test_every_kind_of_page_links_to_the_statement_in_its_footer(replies: ReplyWorld):
    world = replies.world
    client = world.client
    round_link = f"/accessibility?round={round_reference(SECRET.encode(), world.round_id)}&lang="
    _publish_report(world)
    pages = {
        "self-assessment": (world.form(BEN), round_link + "en"),  # Ben reads English
        "reply": (replies.link, round_link + "de"),
        "review": (_review_link(world), round_link + "de"),
        "report": ("/reports/portal-test?lang=en", round_link + "en"),
        "unknown link": ("/a/" + "A" * 43, "/accessibility?lang=de"),
        "no such page": ("/nowhere?lang=en", "/accessibility?lang=en"),
        "home": ("/", "/accessibility?lang=de"),
        "console login": ("/console/login?lang=en", "/accessibility?lang=en"),
    }
    staff_member(world.engine, COORDINATOR, StaffRole.coordinator, rounds=["portal-test"])
    log_in(client, COORDINATOR)
    pages["console round"] = ("/console/rounds/portal-test?lang=de", "/accessibility?lang=de")
    for name, (path, link) in pages.items():
        answer = client.get(path)
        assert footer_link(answer.text) == link, name
    assert client.get(round_link + "de").status_code == 200


def _publish_report(world: PortalWorld) -> None:
    html = b"<!DOCTYPE html><html lang='en'><body><main><h1>Report</h1></main></body></html>"
    with Session(world.engine) as session:
        session.add(PublishedReport(round_id=world.round_id, format="html", language="en",
                                    media_type="text/html; charset=utf-8", content=html))  # fmt: skip
        session.commit()


def _review_link(world: PortalWorld) -> str:
    with Session(world.engine) as session:
        round_ = session.get(Round, world.round_id)
        anna = session.exec(select(Submission).where(Submission.enrolment_id == world.enrolments[ANNA])).one()
        assert round_ is not None and anna.id is not None
        round_.stage = Stage.review
        path = assign_reviewer(session, world, round_, anna.id, CARA)
        session.commit()
    return path
