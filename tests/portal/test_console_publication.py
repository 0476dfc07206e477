"""The console's right of reply and publication pages without Prefect: who has replied and when, the planned
date, the page that says what publishing sends to whom before it runs, the published files, and who may do
what. The operation is recorded here, not run (tests/workflows/test_console_publication.py runs it)."""

import io
import re
from datetime import timedelta

from freezegun import freeze_time
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from review_model import clock
from review_model.tables import Enrolment, Participant, Round
from review_model.vocabulary import Stage
from tests.support.console import RecordedActions, console_client
from tests.support.staff import COORDINATOR, OBSERVER, console_post, form_csrf, round_staff
from tests.support.staged_rounds import bring_round_to, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
SITE = "https://peer-review.example"
ROUND = "/console/rounds/staged-round"
PAGE = f"{ROUND}/publication"
EVERYONE_REPLIED = {"anna": "Wir widersprechen.", "ben": "", "cara": "Danke.", "dora": ""}


def main_of(page: str) -> str:
    return page.split('<main id="main">')[1]


def row_of(main: str, organisation: str) -> str:
    return main.split(organisation)[1].split("</tr>")[0]


def plan_publication(engine: Engine, round_id: int, days: int) -> None:
    with Session(engine) as session:
        round_ = session.get(Round, round_id)
        round_.publication_at = round_.comment_deadline + timedelta(days=days)
        session.commit()


def test_the_page_shows_who_has_replied_and_when(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.comment, replies={"anna": "Wir widersprechen.", "ben": ""})
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    main = main_of(page.text)
    assert "The reviewed parties may reply until" in main
    assert "none: the report is published when the right of reply ends" in main
    assert "2 reviewed parties have sent their reply; 2 have not." in main
    year = str(clock.now().year)
    assert "Reply sent" in row_of(main, "Stadt Auenburg") and year in row_of(main, "Stadt Auenburg")
    assert "Said it has nothing to add" in row_of(main, "Hansestadt Nordhaven")
    assert "No reply" in row_of(main, "Stadt Elbstein") and "–" in row_of(main, "Stadt Elbstein")
    assert "No reply" in row_of(main, "Landkreis Talbach")
    assert re.search(r'<td data-column="Reply">', main) and '<th scope="col">Reviewed party</th>' in main
    assert f'href="{ROUND}/publish"' in main and f'href="{ROUND}/draft-report?lang=en"' in main
    assert f'href="{PAGE}" aria-current="page"' in page.text
    assert actions.calls == []


def test_the_page_in_german(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.comment, replies={"anna": "Wir widersprechen."})
    round_staff(engine, staged.slug)
    plan_publication(engine, staged.round_id, days=3)
    with console_client(
        engine, actions=actions, language="de", logged_in_as=COORDINATOR, public_base_url=SITE
    ) as client:
        main = main_of(client.get(PAGE).text)
    assert "<h1>Stellungnahme und Veröffentlichung</h1>" in main
    assert "1 begutachtete Organisation hat ihre Stellungnahme gesendet; 3 noch nicht." in main
    assert "Stellungnahme gesendet" in row_of(main, "Stadt Auenburg")
    assert "Keine Stellungnahme" in row_of(main, "Stadt Elbstein")
    assert "Geplante Veröffentlichung" in main and "Bericht jetzt veröffentlichen …" in main


def test_publishing_while_parties_may_still_reply_is_refused_with_every_reason(
    engine: Engine, actions: RecordedActions
):
    staged = round_in_stage(engine, Stage.comment, replies={"anna": "Wir widersprechen."})
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        asking = main_of(client.get(f"{ROUND}/publish").text)
        assert "the right of reply runs until" in asking
        assert "3 reviewed parties have not replied yet" in asking and "<button" not in asking
        refused = console_post(client, f"{ROUND}/publish", page_path=PAGE)
        assert refused.status_code == 303 and refused.headers["location"] == PAGE
        notice = client.get(PAGE).text
        assert "the right of reply runs until" in notice and "notice-error" in notice
    assert actions.calls == []


def test_publishing_now_says_what_is_sent_to_whom_then_closes_the_stage_with_publish_now(
    engine: Engine, actions: RecordedActions
):
    staged = round_in_stage(engine, Stage.comment, replies=EVERYONE_REPLIED)
    round_staff(engine, staged.slug)
    plan_publication(engine, staged.round_id, days=10)
    with Session(engine) as session:  # Dora's address bounced: she gets nothing
        dora = session.exec(select(Participant.id).where(Participant.email == "dora@talbach.example")).one()
        session.exec(select(Enrolment).where(Enrolment.participant_id == dora)).one().bounced_at = clock.now()
        session.commit()
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        asking = client.get(f"{ROUND}/publish")
        main = main_of(asking.text)
        assert "An email with the report&#39;s link goes to 3 people" in main
        assert "(3 respondents, 3 reviewers, 0 decision-makers;" in main
        assert "1 person of the round gets no email: their address bounced." in main
        assert "https://peer-review.example/reports/staged-round" in main
        assert "the right of reply ends now instead of on" in main
        assert "published now instead of on its planned date" in main
        assert "approved recommendations are published with it" in main
        assert "Publish and send the report&#39;s link" in main
        assert actions.calls == []  # asking changes nothing

        done = client.post(f"{ROUND}/publish", data={"csrf": form_csrf(asking.text)}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == PAGE
        assert "Closed." in client.get(PAGE).text
    assert actions.calls == [
        ("close_stage", (staged.round_id, "staged-round", f"{COORDINATOR} (console)", "en"), {"publish_now": True})
    ]


def test_the_confirming_page_in_german(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.comment, replies=EVERYONE_REPLIED)
    round_staff(engine, staged.slug)
    with console_client(
        engine, actions=actions, language="de", logged_in_as=COORDINATOR, public_base_url=SITE
    ) as client:
        main = main_of(client.get(f"{ROUND}/publish").text)
    assert "Eine E-Mail mit dem Link zum Bericht geht an 4 Personen" in main
    assert "Veröffentlichen und den Link zum Bericht senden" in main


def test_after_the_right_of_reply_the_report_waits_for_its_date_and_can_be_published_now(
    engine: Engine, actions: RecordedActions
):
    staged = round_in_stage(engine, Stage.comment, replies={"anna": "Wir widersprechen."})
    round_staff(engine, staged.slug)
    plan_publication(engine, staged.round_id, days=10)
    with Session(engine) as session:
        deadline = session.get(Round, staged.round_id).comment_deadline
    with (
        freeze_time(deadline + timedelta(days=1)),
        console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client,
    ):
        main = main_of(client.get(PAGE).text)
        assert "The right of reply has ended; the report waits for its planned publication on" in main
        asking = client.get(f"{ROUND}/publish")
        assert "published now instead of on its planned date" in asking.text
        assert "ends now instead of" not in asking.text  # it has ended already
        client.post(f"{ROUND}/publish", data={"csrf": form_csrf(asking.text)})
    assert [name for name, _args, _kwargs in actions.calls] == ["close_stage"]


def test_before_the_right_of_reply_nothing_is_published(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.drafting)
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        main = main_of(client.get(PAGE).text)
        assert "The right of reply opens once every drafted recommendation is approved or rejected" in main
        assert f"{ROUND}/publish" not in main
        asking = main_of(client.get(f"{ROUND}/publish").text)
        assert "The report is published after the right of reply" in asking and "<button" not in asking
        console_post(client, f"{ROUND}/publish", page_path=PAGE)
    assert actions.calls == []


def test_once_published_the_page_links_the_published_files(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.comment, replies=EVERYONE_REPLIED)
    bring_round_to(engine, staged.round_id, Stage.published)
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        main = main_of(client.get(PAGE).text)
        assert "The report was published on" in main and f"{ROUND}/publish" not in main
        for href in (
            "/reports/staged-round/report.html?lang=de",
            "/reports/staged-round/report.html?lang=en",
            "/reports/staged-round/scores.csv?lang=de",
            "/reports/staged-round/scores.json?lang=en",
        ):
            assert f'href="{href}"' in main
            assert client.get(href).status_code == 200  # fmt: skip
        assert "report.pdf" not in main  # the factory publishes without the PDF, as a large round does
        asking = main_of(client.get(f"{ROUND}/publish").text)
        assert "The report is published already." in asking and "<button" not in asking


def test_an_observer_reads_the_page_and_cannot_publish(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.comment, replies=EVERYONE_REPLIED)
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=OBSERVER, public_base_url=SITE) as client:
        assert "Reply sent" in client.get(PAGE).text
        asking = client.get(f"{ROUND}/publish")
        assert "not change anything" in asking.text and '<button type="submit">Publish' not in asking.text
        assert client.post(f"{ROUND}/publish", data={"csrf": form_csrf(asking.text)}).status_code == 403
    assert actions.calls == []


def test_the_page_offers_the_raw_data_in_each_language_to_whoever_sees_the_round(
    engine: Engine, actions: RecordedActions
):
    staged = round_in_stage(engine, Stage.review, reviewed=["anna"])
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        main = main_of(client.get(PAGE).text)
        assert "it is not published" in main
        for language in ("de", "en"):
            assert f'href="{ROUND}/raw-data.xlsx?lang={language}"' in main
        workbook = client.get(f"{ROUND}/raw-data.xlsx?lang=en")
    assert workbook.status_code == 200 and workbook.headers["content-type"].startswith("application/vnd.openxml")
    assert 'filename="staged-round-raw-data-en.xlsx"' in workbook.headers["content-disposition"]
    assert workbook.headers["cache-control"] == "no-store"
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames == ["Self-assessments", "Comments", "Reviews", "Questions", "Review questions"]
    assert book["Reviews"].max_row > 1  # anna's reviews
    with console_client(engine, actions=actions, language="de", logged_in_as=OBSERVER, public_base_url=SITE) as client:
        german = client.get(f"{ROUND}/raw-data.xlsx")  # the console's language when none is asked for
    assert load_workbook(io.BytesIO(german.content)).sheetnames[0] == "Selbsteinschätzungen"
    with console_client(engine, actions=actions, public_base_url=SITE) as client:
        stranger = client.get(f"{ROUND}/raw-data.xlsx?lang=de", follow_redirects=False)
    assert stranger.status_code in (302, 303) and "/console/login" in stranger.headers["location"]


def test_the_adoption_is_recorded_from_the_publication_page_and_asked_for_first(
    engine: Engine, actions: RecordedActions
):
    from datetime import date

    staged = round_in_stage(engine, Stage.comment)
    with Session(engine) as session:
        session.get(Round, staged.round_id).adoption_required = True
        session.commit()
    round_staff(engine, staged.slug)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR, public_base_url=SITE) as client:
        main = main_of(client.get(PAGE).text)
        assert "Publication waits until the adoption of the results is recorded." in main
        assert f'href="{ROUND}/adopt"' in main
        asking = client.get(f"{ROUND}/adopt").text
        assert 'name="adopted_by"' in asking and 'type="date"' in asking and 'name="changes"' in asking
        assert "This round is published only once its adoption is recorded." in asking
        assert actions.calls == []  # asking changes nothing
        refused = console_post(client, f"{ROUND}/adopt", adopted_by="Plenum", adopted_on="gestern")
        assert refused.status_code == 303 and actions.calls == []
        assert "Give the day of the adoption as a date." in client.get(refused.headers["location"]).text
        done = console_post(client, f"{ROUND}/adopt", adopted_by="Plenum", adopted_on="2027-01-20",
                            changes="Empfehlung 2 umformuliert.")  # fmt: skip
        assert done.status_code == 303
    recorded = (staged.round_id, staged.slug, "Plenum", date(2027, 1, 20), "Empfehlung 2 umformuliert.")
    assert actions.calls == [("record_adoption", (*recorded, f"{COORDINATOR} (console)", "en"), {})]
