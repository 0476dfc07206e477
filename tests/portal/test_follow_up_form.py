"""The self-assessment's follow-up section: the previous round's recommendations to the party's level, each with
a status to choose and a reason; errors beside their fields, nothing typed lost, GET changing nothing, drafts
and submissions kept, and the section read-only after the deadline."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session, select

from config.settings import Settings
from portal.app import create_app
from review_model.follow_up import reason_key, status_key
from review_model.personal_data import message_text
from review_model.rounds import get_round
from review_model.tables import FollowUpReport, OutboxMessage, Round
from tests.support.answers import SELF_ASSESSMENT, csrf_of
from tests.support.follow_up_rounds import FollowUpPair, follow_up_pair
from tests.support.round_world import SECRET

ONE_DATABASE = "the form's pages; the follow-up's queries and storing are tested on both databases"


@dataclass
class FormWorld:
    pair: FollowUpPair
    client: TestClient
    engine: object

    def form(self, who: str) -> str:
        path = self.pair.second[who].form
        assert path is not None
        return path

    def post(self, who: str, data: dict, action: str = "save", lang: str = "de"):
        csrf = csrf_of(self.client.get(self.form(who)).text)
        return self.client.post(f"{self.form(who)}?lang={lang}", data={"csrf": csrf, "action": action, **data},
                                follow_redirects=False)  # fmt: skip

    def rows(self) -> list[tuple[int, int, str | None, str | None]]:
        with Session(self.engine) as session:
            return sorted(
                (row.recommendation_id, row.version, row.status.value if row.status else None, row.reason)
                for row in session.exec(select(FollowUpReport)).all()
            )


@pytest.fixture
def forms(engine) -> Iterator[FormWorld]:
    pair = follow_up_pair(engine)
    settings = Settings(secret_key=SECRET, public_base_url="http://testserver", database_url="sqlite://")
    with TestClient(create_app(settings, engine), base_url="http://testserver") as client:
        yield FormWorld(pair, client, engine)


def test_the_form_asks_about_the_recommendations_to_the_partys_own_level(forms):
    ids = forms.pair.recommendations
    html = forms.client.get(forms.form("anna")).text
    assert "Empfehlungen der Runde „Runde eins“" in html
    assert "Kommunale Datenplattformen aufbauen." in html and "Bürgerbeteiligung digital ermöglichen." in html
    assert "Förderprogramme bündeln." not in html and "Verworfen." not in html
    for key in ("kommunen-1", "kommunen-2"):
        for status in ("not_started", "in_progress", "implemented", "not_pursued"):
            assert f'name="{status_key(ids[key])}" id="f-{status_key(ids[key])}-{status}" value="{status}"' in html
        assert f'name="{reason_key(ids[key])}"' in html
    assert "nicht begonnen" in html and "in Umsetzung" in html and "nicht weiterverfolgt" in html
    ids_in_page = set(re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    assert ids_in_page <= labelled, ids_in_page - labelled
    # the Land is asked about the Länder's recommendation, in its person's language
    english = forms.client.get(forms.form("eva")).text
    assert "Recommendations of the round “Round one”" in english and "Bundle funding programmes." in english
    assert "Build municipal data platforms." not in english
    # civil society is asked about none, and a round that follows none up asks nothing
    assert "Runde eins" not in forms.client.get(forms.form("finn")).text
    with Session(forms.engine) as session:
        session.get(Round, forms.pair.second_id).previous_round_id = None
        session.commit()
    assert "Empfehlungen der Runde" not in forms.client.get(forms.form("anna")).text


def test_opening_the_form_changes_nothing(forms):
    for _ in range(2):
        assert forms.client.get(forms.form("anna")).status_code == 200
    assert forms.rows() == []


def test_a_submission_without_statements_is_refused_beside_each_field_and_nothing_typed_is_lost(forms):
    ids = forms.pair.recommendations
    first, second = ids["kommunen-1"], ids["kommunen-2"]
    typed = {**SELF_ASSESSMENT, status_key(first): "not_pursued", reason_key(second): "Wir <b>prüfen</b> das."}
    refused = forms.post("anna", typed, action="submit")
    assert refused.status_code == 422
    html = refused.text
    assert f'<p class="error" id="e-{reason_key(first)}">Bitte geben Sie an, warum die Empfehlung' in html
    assert f'<p class="error" id="e-{status_key(second)}">Bitte geben Sie an, was aus dieser Empfehlung' in html
    summary = html[html.index('id="errors"') : html.index("</div>", html.index('id="errors"'))]
    assert f'href="#f-{reason_key(first)}"' in summary and f'href="#f-{status_key(second)}-not_started"' in summary
    assert f'id="f-{status_key(first)}-not_pursued" value="not_pursued" checked' in html
    assert ">Wir &lt;b&gt;prüfen&lt;/b&gt; das.</textarea>" in html
    assert 'value="2" checked' in html  # the questionnaire's answers too
    assert forms.rows() == []


def test_a_draft_keeps_the_statements_and_a_submission_keeps_them_as_its_version(forms):
    ids = forms.pair.recommendations
    first, second = ids["kommunen-1"], ids["kommunen-2"]
    draft = forms.post("anna", {status_key(first): "not_pursued"})  # no reason yet: a draft may wait for it
    assert draft.status_code == 303
    assert forms.rows() == [(first, 0, "not_pursued", None)]
    page = forms.client.get(forms.form("anna")).text
    assert f'id="f-{status_key(first)}-not_pursued" value="not_pursued" checked' in page
    complete = {**SELF_ASSESSMENT, status_key(first): "not_pursued", reason_key(first): "Kein Personal.",
                status_key(second): "in_progress"}  # fmt: skip
    assert forms.post("anna", complete, action="submit").status_code == 303
    with Session(forms.engine) as session:  # the receipt lists the statements after the answers
        receipt = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "submission_receipt")).one()
        text = " ".join(message_text(receipt.payload).split())
    assert "Empfehlungen der Runde „Runde eins“" in text
    assert "Kommunale Datenplattformen aufbauen.: nicht weiterverfolgt: Kein Personal." in text
    assert forms.rows() == [
        (first, 0, "not_pursued", "Kein Personal."), (first, 1, "not_pursued", "Kein Personal."),
        (second, 0, "in_progress", None), (second, 1, "in_progress", None),
    ]  # fmt: skip
    changed = forms.post("anna", {**complete, status_key(second): "implemented"})
    assert changed.status_code == 303
    assert "noch nicht abgesendet" in forms.client.get(forms.form("anna")).text
    mine = forms.client.get(f"{forms.form('anna')}/my-data?lang=de").text  # the right of access shows them
    mine = mine[mine.index("Was aus den Empfehlungen der vorigen Runde geworden ist") :]
    assert "<dt>Kommunale Datenplattformen aufbauen.</dt><dd>nicht weiterverfolgt: Kein Personal.</dd>" in mine
    assert "<dt>Bürgerbeteiligung digital ermöglichen.</dt><dd>umgesetzt</dd>" in mine  # as the form holds it now
    with Session(forms.engine) as session:
        deadline = get_round(session, forms.pair.second_id).submission_deadline
    with freeze_time(deadline + timedelta(minutes=1)):
        closed = forms.client.get(forms.form("anna")).text
        assert '<p class="answer">in Umsetzung</p>' in closed  # as submitted, not the later draft
        assert "Kein Personal." in closed and 'name="' + status_key(second) + '"' not in closed
        late = forms.post("anna", {**complete, status_key(second): "not_started"})
        assert late.status_code in (409, 410)
    assert (second, 0, "implemented", None) in forms.rows() and (second, 1, "in_progress", None) in forms.rows()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database
def test_the_coordinators_dashboard_counts_the_statuses_reported_so_far(forms):
    from tests.support.console import console_client
    from tests.support.staff import COORDINATOR, round_staff

    ids = forms.pair.recommendations
    first, second = ids["kommunen-1"], ids["kommunen-2"]
    statements = {**SELF_ASSESSMENT, status_key(first): "implemented", status_key(second): "not_pursued",
                  reason_key(second): "Kein Personal."}  # fmt: skip
    assert forms.post("anna", statements, action="submit").status_code == 303
    assert forms.post("ben", {status_key(ids["kommunen-1"]): "in_progress"}).status_code == 303  # a draft: not counted
    round_staff(forms.engine, forms.pair.second.slug)
    with console_client(forms.engine, language="de", logged_in_as=COORDINATOR) as client:
        page = client.get(f"/console/rounds/{forms.pair.second.slug}").text
    section = page[page.index("Was aus den Empfehlungen der Runde „Runde eins“ geworden ist") :]
    section = section[: section.index("</table>", section.index("<caption>Kommunen</caption>"))]
    assert "<caption>Länder</caption>" in section
    row = section[section.index("1. Kommunale Datenplattformen aufbauen.") :].split("</tr>")[0]
    assert re.findall(r">(\d+)</td>", row) == ["0", "0", "1", "0", "0"]  # not started … not pursued, no statement
    row = section[section.index("2. Bürgerbeteiligung digital ermöglichen.") :].split("</tr>")[0]
    assert re.findall(r">(\d+)</td>", row) == ["0", "0", "0", "1", "0"]
    assert "Kein Personal." not in section  # the reasons are the report's


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database
def test_the_section_passes_axe_at_both_widths_with_and_without_errors(forms, chromium, database_url):
    from portal.background import PortalThread
    from tests.support.browser import WIDTHS, axe_violations, check_widths, require_axe

    script = require_axe()
    first = forms.pair.recommendations["kommunen-1"]
    long_reason = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen" * 3  # one word wider than a phone
    assert forms.post("anna", {status_key(first): "not_pursued", reason_key(first): long_reason}).status_code == 303
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    with PortalThread(create_app(settings, forms.engine)) as portal, chromium.connect() as browser:
        url = f"http://127.0.0.1:{portal.port}{forms.form('anna')}"
        found = check_widths(browser, url, script, "follow-up")
        width, height = WIDTHS["phone"]
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        page.goto(url)
        page.get_by_role("button", name="Absenden").click()
        page.wait_for_load_state()
        assert page.locator("p.error").count() > 1  # the questionnaire's and the follow-up's
        assert page.locator(f"[id='e-{status_key(forms.pair.recommendations['kommunen-2'])}']").count() == 1
        with_errors = axe_violations(page, script)
        phone_width = page.evaluate("document.documentElement.scrollWidth")
    assert {name: violations for name, (violations, _) in found.items() if violations} == {}
    assert with_errors == []
    assert found["phone"][1] <= WIDTHS["phone"][0] and phone_width <= width


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database
def test_the_dashboards_follow_up_passes_axe_at_both_widths(forms, chromium, database_url):
    from tests.support.browser import WIDTHS, axe_violations, require_axe
    from tests.support.console import console_in_browser
    from tests.support.staff import COORDINATOR, PASSWORD, round_staff

    script = require_axe()
    round_staff(forms.engine, forms.pair.second.slug)
    found = {}
    with console_in_browser(forms.engine, chromium) as (base, browser):
        for (width_name, (width, height)), language in zip(WIDTHS.items(), ("en", "de"), strict=True):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{base}/console/login?lang={language}")
            page.fill("#email", COORDINATOR)
            page.fill("#password", PASSWORD)
            page.click("form[action='/console/login'] button[type=submit]")
            page.wait_for_url(f"{base}/console")
            page.goto(f"{base}/console/rounds/{forms.pair.second.slug}")
            assert page.locator("caption", has_text="Kommunen" if language == "de" else "Municipalities").count() == 1
            found[width_name] = axe_violations(page, script), page.evaluate("document.documentElement.scrollWidth")
            context.close()
    assert found["desktop"][0] == [] and found["phone"][0] == []
    assert found["phone"][1] <= WIDTHS["phone"][0]
