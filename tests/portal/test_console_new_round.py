"""Creating a round in the console from its round file and participants file: checked as `spr round create`
checks them, every problem of both files named with its file, line and field, and nothing stored on any."""

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.app import MAX_BODY_BYTES
from review_model.participant_import import read_participants_file
from review_model.tables import AuditEvent, Enrolment, Organisation, Participant, Round, RoundStaff
from review_model.vocabulary import StaffRole, Stage
from tests.conftest import EXAMPLES
from tests.support.console import console_client, console_in_browser, windows_at_every_width
from tests.support.hostile_files import DEFAULTS, HOSTILE_ROUND_FILES, ROUND
from tests.support.staff import COORDINATOR, OBSERVER, form_csrf, staff_member
from tests.support.staged_rounds import round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
EXAMPLE_ROUND = (EXAMPLES / "round.yaml").read_bytes()
EXAMPLE_PEOPLE = (EXAMPLES / "participants.csv").read_bytes()
HEADER = "email,name,organisation,organisation_kind,state,language,roles\n"


@pytest.fixture
def coordinator(engine: Engine) -> Iterator[TestClient]:
    """A coordinator logged in, named for no round yet, reading English."""
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    with console_client(engine, logged_in_as=COORDINATOR) as client:
        yield client


def upload(
    client: TestClient,
    round_file: bytes | None,
    people: bytes | None = None,
    *,
    names: tuple[str, str] = ("round.yaml", "participants.csv"),
) -> Response:
    """Send the form of /console/rounds/new as a browser does, with the files chosen (None: left empty)."""
    page = client.get("/console/rounds/new")
    empty = ("", b"", "application/octet-stream")  # what a browser sends for a file input left empty
    files = {
        "round_file": (names[0], round_file, "application/yaml") if round_file is not None else empty,
        "participants_file": (names[1], people, "text/csv") if people is not None else empty,
    }
    return client.post("/console/rounds/new", data={"csrf": form_csrf(page.text)}, files=files,
                       follow_redirects=False)  # fmt: skip


def problems_on(page: str) -> list[str]:
    """The problems the page lists, each as `file:line: field: problem` (as the command prints them)."""
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td></tr>",
                      page, re.S)  # fmt: skip
    listed = []
    for file, line, field, message in (tuple(html.unescape(cell) for cell in row) for row in rows):
        field = "" if field == "–" else f"{field}: "
        listed.append(f"{file}:{line}: {field}{message}")
    return listed


def stored_counts(engine: Engine) -> tuple[int, int, int, int]:
    """(rounds, participants, organisations, enrolments) in the store."""
    with Session(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Round, Participant, Organisation, Enrolment)
        )


def test_the_example_round_is_created_from_its_files_with_every_participant(engine: Engine, coordinator: TestClient):
    people = len(read_participants_file(EXAMPLES / "participants.csv"))
    assert 'href="/console/rounds/new"' in coordinator.get("/console").text
    answer = upload(coordinator, EXAMPLE_ROUND, EXAMPLE_PEOPLE)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/rounds/beispielrunde"
    dashboard = coordinator.get(answer.headers["location"])
    assert f"Round beispielrunde created in the draft stage, with {people} participants enrolled." in dashboard.text
    assert "Next: check it, then launch it." in dashboard.text
    assert 'href="/console/rounds/beispielrunde/launch"' in dashboard.text
    with Session(engine) as session:
        round_ = session.exec(select(Round)).one()
        assert round_.stage is Stage.draft and round_.questionnaire_id == "smart-city-self-assessment"
        enrolled = session.exec(select(func.count()).select_from(Enrolment)).one()
        named = set(session.exec(select(RoundStaff.email)).all())
        events = {event.action: event for event in session.exec(select(AuditEvent))}
    assert enrolled == people
    assert named == {COORDINATOR, "geschaeftsstelle@peer-review.example"}  # the creator, and the file's coordinator
    assert events["round created"].actor == f"{COORDINATOR} (console)"
    assert events["round created"].details["file"] == "round.yaml"
    assert events["participants imported"].actor == f"{COORDINATOR} (console)"
    assert events["participants imported"].details["enrolled"] == people
    assert events["staff named for round"].details == {"email": COORDINATOR}
    assert "beispielrunde" in coordinator.get("/console").text  # named for it: the coordinator runs it


def test_a_participants_file_with_two_bad_rows_names_both_and_creates_nothing(engine: Engine, coordinator: TestClient):
    rows = EXAMPLE_PEOPLE.decode().splitlines(keepends=True)
    rows[2] = rows[2].replace("@", " at ", 1)  # line 3: no email address
    rows[4] = rows[4].replace(",Land,", ",Landesamt,", 1)  # line 5: no kind of organisation
    answer = upload(coordinator, EXAMPLE_ROUND, "".join(rows).encode(), names=("runde.yaml", "leute.csv"))
    assert answer.status_code == 400
    listed = problems_on(answer.text)
    assert len(listed) == 2, listed
    assert listed[0].startswith("leute.csv:3: email: bad email 'jonas.berger at bmdi.example'")
    assert listed[1].startswith("leute.csv:5: organisation_kind: unknown organisation kind 'Landesamt'")
    assert "Nothing was created: 2 problems were found." in answer.text
    assert stored_counts(engine) == (0, 0, 0, 0)
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(col(AuditEvent.round_id).is_not(None))).all() == []


def test_a_row_that_conflicts_with_the_store_creates_no_round_either(engine: Engine, coordinator: TestClient):
    """Checked only against the store (an organisation registered with another kind): the round goes too."""
    round_in_stage(engine, Stage.draft, slug="earlier", parties=1)  # registers Stadt Auenburg, a Kommune
    with Session(engine) as session:
        auenburg = session.exec(select(Organisation)).one().name
    people = f"{HEADER}neu@auenburg.example,Neu,{auenburg},Land,BY,de,respondent\n".encode()
    before = stored_counts(engine)
    answer = upload(coordinator, EXAMPLE_ROUND.replace(b"participants: participants.csv\n", b""), people)
    assert answer.status_code == 400
    [problem] = problems_on(answer.text)
    assert problem.startswith(f"participants.csv:2: organisation: organisation '{auenburg}' is registered as")
    assert stored_counts(engine) == before


def test_problems_of_both_files_are_named_together(engine: Engine, coordinator: TestClient):
    round_file = EXAMPLE_ROUND.replace(b"max_load: 4", b"max_load: 0")
    people = f"{HEADER}ok@x.example,Ok,Org,Bund,,de,respondent\nkaputt,Kaputt,Org,Bund,,fr,respondent\n".encode()
    listed = problems_on(upload(coordinator, round_file, people).text)
    assert any(p.startswith("round.yaml:28: assignment.max_load: Input should be greater than or equal to 1")
               for p in listed), listed  # fmt: skip
    assert any(p.startswith("participants.csv:3: email: bad email 'kaputt'") for p in listed), listed
    assert any(p.startswith("participants.csv:3: language: unknown language 'fr'") for p in listed), listed
    assert stored_counts(engine) == (0, 0, 0, 0)


def test_the_deadlines_are_checked_as_the_command_checks_them(engine: Engine, coordinator: TestClient):
    round_file = EXAMPLE_ROUND.replace(b"review: P42D", b"review: P7D")
    listed = problems_on(upload(coordinator, round_file, EXAMPLE_PEOPLE).text)
    assert len(listed) == 1 and listed[0].startswith("round.yaml:16: deadlines.review: "), listed
    assert "must come after deadlines.submission" in listed[0]
    assert stored_counts(engine) == (0, 0, 0, 0)


@pytest.mark.parametrize("hostile", HOSTILE_ROUND_FILES, ids=lambda hostile: hostile.name)
def test_hostile_round_files_are_refused_with_line_and_key_and_create_nothing(engine: Engine, hostile):
    """The round files that once broke the command; one naming a questionnaire file (a device, a pipe) is
    refused before anything is opened: an uploaded file may not name files of this machine."""
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    with console_client(engine, logged_in_as=COORDINATOR) as client:
        answer = upload(client, (ROUND.format(**{**DEFAULTS, **hostile.fields}) + hostile.extra).encode())
    assert answer.status_code == 400
    listed = " ".join(problems_on(answer.text))
    if "questionnaire" in hostile.fields:
        assert f"round.yaml:3: questionnaire: {hostile.fields['questionnaire']} is a file path" in listed, listed
    else:
        assert hostile.refused(listed), listed
    assert stored_counts(engine) == (0, 0, 0, 0)


def test_a_questionnaire_file_named_by_path_cannot_be_used_and_the_page_says_so(engine: Engine):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    round_file = EXAMPLE_ROUND.replace(b"questionnaire: smart-city-self-assessment", b"questionnaire: fragen.yaml")
    for language, expected in (
        ("en", "fragen.yaml is a file path: a round file sent through the console cannot name a questionnaire"),
        ("de", "fragen.yaml ist ein Dateipfad: Eine über die Konsole gesendete Rundendatei kann keine"),
    ):
        with console_client(engine, language=language, logged_in_as=COORDINATOR) as client:
            answer = upload(client, round_file, EXAMPLE_PEOPLE)
        assert answer.status_code == 400
        assert expected in html.unescape(answer.text)
        assert "smart-city-self-assessment, spr-status" in html.unescape(answer.text)
    unknown = EXAMPLE_ROUND.replace(b"questionnaire: smart-city-self-assessment", b"questionnaire: stadt-check")
    with console_client(engine, logged_in_as=COORDINATOR) as client:
        listed = problems_on(upload(client, unknown, EXAMPLE_PEOPLE).text)
    assert listed[0].startswith("round.yaml:8: questionnaire: no questionnaire stadt-check ships with spr"), listed
    assert stored_counts(engine) == (0, 0, 0, 0)


def test_a_slug_that_exists_is_refused_as_the_command_refuses_it(engine: Engine, coordinator: TestClient):
    assert upload(coordinator, EXAMPLE_ROUND, EXAMPLE_PEOPLE).status_code == 303
    before = stored_counts(engine)
    again = upload(coordinator, EXAMPLE_ROUND, EXAMPLE_PEOPLE)
    assert again.status_code == 400
    assert "The round beispielrunde exists already, created from this same file: nothing was changed." in again.text
    changed = EXAMPLE_ROUND.replace(b"grace_hours: 24", b"grace_hours: 12")
    other = upload(coordinator, changed, EXAMPLE_PEOPLE)
    assert other.status_code == 400
    assert "A round with the slug beispielrunde exists already, created from another file on" in other.text
    assert stored_counts(engine) == before


def test_a_round_file_that_names_a_participants_file_needs_it(engine: Engine, coordinator: TestClient):
    answer = upload(coordinator, EXAMPLE_ROUND)
    assert answer.status_code == 400
    assert "The round file names the participants file participants.csv: send it along" in answer.text
    assert stored_counts(engine) == (0, 0, 0, 0)
    without = upload(coordinator, EXAMPLE_ROUND.replace(b"participants: participants.csv\n", b""))
    assert without.status_code == 303
    assert "with 0 participants enrolled" in coordinator.get(without.headers["location"]).text
    nothing = upload(coordinator, None)
    assert nothing.status_code == 400 and "Choose the round file (YAML) to send." in nothing.text
    assert stored_counts(engine)[0] == 1


def test_hostile_participants_are_handled_as_the_command_handles_them(engine: Engine, coordinator: TestClient):
    """A formula-looking name is a name (spreadsheet exports escape it), markup is text; a NUL names its row."""
    formula = '"=HYPERLINK(""http://evil.example"",""Klick"")"'
    people = f"{HEADER}f@x.example,{formula},<script>alert(1)</script> GmbH,Unternehmen,,de,respondent\n"
    nul = people + "nul@x.example,Anna\x00Keller,Org,Bund,,de,reviewer\n"
    refused = upload(coordinator, EXAMPLE_ROUND, nul.encode())
    assert problems_on(refused.text) == [
        "participants.csv:3: name: name 'Anna\\x00Keller' contains the control character U+0000 (at character 5)"
    ]
    binary = upload(coordinator, b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff\xfeA\x00")
    assert problems_on(binary.text) == [
        "round.yaml:whole file: not UTF-8 text (invalid start byte at byte 0)",
        "participants.csv:whole file: not UTF-8 text (byte 0); save the file as CSV UTF-8",
    ]
    assert stored_counts(engine) == (0, 0, 0, 0)
    created = upload(coordinator, EXAMPLE_ROUND, people.encode())
    assert created.status_code == 303
    with Session(engine) as session:
        person = session.exec(select(Participant)).one()
        organisation = session.exec(select(Organisation)).one()
    assert person.name == '=HYPERLINK("http://evil.example","Klick")'
    assert organisation.name == "<script>alert(1)</script> GmbH"


def test_an_upload_of_ten_thousand_people_passes_but_the_participants_forms_keep_their_limit(
    engine: Engine, coordinator: TestClient
):
    people = HEADER + "".join(f"person{n}@gemeinde{n % 400}.example,Person Nummer {n},Gemeinde {n % 400},"
                              f"Kommune,NW,de,respondent;reviewer\n" for n in range(10_000))  # fmt: skip
    assert len(people) > MAX_BODY_BYTES
    answer = upload(coordinator, EXAMPLE_ROUND, people.encode())
    assert answer.status_code == 303, answer.text[:2000]
    assert stored_counts(engine)[3] == 10_000
    too_large = coordinator.post("/a/some-token", content=b"x" * (MAX_BODY_BYTES + 1),
                                 headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert too_large.status_code == 413
    huge = coordinator.post("/console/rounds/new?lang=en", content=b"x" * (20 * 1024 * 1024 + 1),
                            headers={"content-type": "multipart/form-data; boundary=x"})  # fmt: skip
    assert huge.status_code == 413 and "The files are larger than the console accepts (20 MiB together)" in huge.text


def test_observers_may_not_create_rounds(engine: Engine):
    staff_member(engine, OBSERVER, StaffRole.observer)
    with console_client(engine, logged_in_as=OBSERVER) as client:
        assert 'href="/console/rounds/new"' not in client.get("/console").text
        page = client.get("/console/rounds/new")
        assert page.status_code == 403 and "Only administrators and coordinators create rounds." in page.text
        token = form_csrf(client.get("/console").text)
        files = {"round_file": ("round.yaml", EXAMPLE_ROUND, "application/yaml")}
        answer = client.post("/console/rounds/new", data={"csrf": token}, files=files)
        assert answer.status_code == 403
    assert stored_counts(engine) == (0, 0, 0, 0)


def test_an_upload_without_the_sessions_token_or_from_another_site_creates_nothing(
    engine: Engine, coordinator: TestClient
):
    files = {"round_file": ("round.yaml", EXAMPLE_ROUND, "application/yaml"),
             "participants_file": ("participants.csv", EXAMPLE_PEOPLE, "text/csv")}  # fmt: skip
    assert coordinator.post("/console/rounds/new", data={"csrf": "forged"}, files=files).status_code == 403
    token = form_csrf(coordinator.get("/console/rounds/new").text)
    other_site = {"sec-fetch-site": "cross-site"}
    answer = coordinator.post("/console/rounds/new", data={"csrf": token}, files=files, headers=other_site)
    assert answer.status_code == 403
    assert stored_counts(engine) == (0, 0, 0, 0)


def test_the_slug_new_is_kept_for_the_page_itself(engine: Engine, coordinator: TestClient):
    listed = problems_on(upload(coordinator, EXAMPLE_ROUND.replace(b"slug: beispielrunde", b"slug: new")).text)
    assert listed[0].startswith("round.yaml:4: slug: Value error, 'new' is reserved") or listed[0].startswith(
        "round.yaml:4: slug: 'new' is reserved for a page of the console"
    ), listed


def test_the_page_speaks_german_and_english(engine: Engine):
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    rows = EXAMPLE_PEOPLE.decode().splitlines(keepends=True)
    rows[2] = rows[2].replace("@", " at ", 1)
    with console_client(engine, language="de", logged_in_as=COORDINATOR) as client:
        page = client.get("/console/rounds/new")
        assert "Runde anlegen" in page.text and 'enctype="multipart/form-data"' in page.text
        answer = upload(client, EXAMPLE_ROUND, "".join(rows).encode())
        assert "Nichts wurde angelegt: 1 Problem wurde gefunden." in answer.text
        assert '<th scope="col">Datei</th><th scope="col">Zeile</th>' in answer.text
        created = upload(client, EXAMPLE_ROUND, EXAMPLE_PEOPLE)
        dashboard = client.get(created.headers["location"]).text
        assert "Runde beispielrunde im Entwurf angelegt" in dashboard
    with console_client(engine, language="en", logged_in_as=COORDINATOR) as client:
        assert "Create a round" in client.get("/console/rounds/new").text
    with Session(engine) as session:
        assert session.exec(select(col(Round.slug))).all() == ["beispielrunde"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the pages, not the database
def test_the_page_and_its_problems_pass_axe_at_desktop_and_phone_width(engine: Engine, tmp_path, chromium,
                                                                       database_url):  # fmt: skip
    from tests.support.browser import require_axe
    from tests.support.staff import page_problems

    script = require_axe()
    staff_member(engine, COORDINATOR, StaffRole.coordinator)
    (tmp_path / "round.yaml").write_bytes(EXAMPLE_ROUND.replace(b"max_load: 4", b"max_load: 0"))
    rows = EXAMPLE_PEOPLE.decode().splitlines(keepends=True)
    rows[2] = rows[2].replace("@", " at ", 1)
    (tmp_path / "participants.csv").write_text("".join(rows), encoding="utf-8")
    found: dict[str, list[str]] = {}
    with console_in_browser(engine, chromium) as (base, browser):
        for name, width, page in windows_at_every_width(browser, base, COORDINATOR):
            page.goto(base + "/console/rounds/new")
            found[f"the form at {name}"] = page_problems(page, script, width)
            page.set_input_files("#round_file", str(tmp_path / "round.yaml"))
            page.set_input_files("#participants_file", str(tmp_path / "participants.csv"))
            page.click("form[enctype='multipart/form-data'] button[type=submit]")
            page.wait_for_selector("#errors")
            assert len(problems_on(page.content())) == 2
            found[f"the problems at {name}"] = page_problems(page, script, width)
    assert {page: problems for page, problems in found.items() if problems} == {}
    assert stored_counts(engine) == (0, 0, 0, 0)


def test_an_upload_touches_nothing_of_rounds_the_coordinator_is_not_named_for(engine: Engine, coordinator: TestClient):
    """A person is one record across rounds, and a round can follow up an earlier one: a coordinator's upload
    may change neither the people of another coordinator's round nor link to it, and learns nothing of it."""
    round_in_stage(engine, Stage.submission, slug="hidden-round")  # Anna Keller of Stadt Auenburg takes part
    mallory = HEADER + "anna@auenburg.example,Mallory Keller,Stadt Auenburg,Kommune,BY,de,respondent\n"
    round_file = EXAMPLE_ROUND.replace(b"participants: participants.csv\n", b"")
    page = upload(coordinator, round_file.replace(b"slug: beispielrunde", b"slug: neue-runde"), mallory.encode())
    assert "1 people in this file take part in rounds you are not named for" in html.unescape(page.text)
    following = round_file.replace(b"slug: beispielrunde", b"slug: folgerunde") + b"previous_round: hidden-round\n"
    assert "no round 'hidden-round'" in html.unescape(upload(coordinator, following).text)
    taken = upload(coordinator, round_file.replace(b"slug: beispielrunde", b"slug: hidden-round")).text
    assert "The slug hidden-round is taken" in taken and "created from another file on" not in taken
    with Session(engine) as session:
        assert session.exec(select(Participant.name).where(Participant.email == "anna@auenburg.example")).one() == (
            "Anna Keller"
        )
        assert session.exec(select(Round.slug)).all() == ["hidden-round"]
