"""The accessibility statement's settings: a round file's `accessibility:` block, validated and stored as given,
and the statement a page shows: the round's values over the installation's over the defaults."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session

from config.paths import EXAMPLES_DIR
from review_model.accessibility import (
    SHIPPED_STATEMENT_DATE,
    StatementContact,
    StatementSettings,
    read_statement_file,
    statement_for,
)
from review_model.round_file import RoundFile, RoundFileError
from review_model.rounds import create_round_from_file, find_round
from review_model.yaml_documents import DocumentError

NOW = datetime(2027, 1, 10, 9, 30, tzinfo=UTC)
COORDINATOR = StatementContact(name="Geschäftsstelle", email="gs@peer-review.example")
INSTALLATION = StatementSettings.model_validate({
    "status": "full",
    "prepared_on": "2027-01-15",
    "contact": {"name": "Team Barrierefreiheit", "email": "barrierefreiheit@amt.example"},
    "method": {"de": "Prüfung durch eine Prüfstelle.", "en": "Audit by a test lab."},
})  # fmt: skip


def round_document(**overrides: object) -> dict[str, object]:
    return {
        "slug": "fruehjahr-2027",
        "title": {"de": "Frühjahrsrunde 2027"},
        "questionnaire": "smart-city-self-assessment",
        "coordinator": {"name": "Geschäftsstelle", "email": "gs@peer-review.example"},
        "deadlines": {"submission": "2027-02-15", "review": "2027-03-15", "comment": "2027-04-15"},
        **overrides,
    }


def write_round(tmp_path: Path, document: dict[str, object]) -> Path:
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def create(session: Session, path: Path) -> None:
    create_round_from_file(session, path, now=NOW, default_time_zone="Europe/Berlin", default_language="de",
                           actor="test")  # fmt: skip


def test_a_round_files_block_is_stored_with_the_keys_it_gives(engine, tmp_path: Path):
    block = {"contact": {"name": "Runde", "email": "runde@peer-review.example"}, "reviewed_on": "2027-02-01"}
    path = write_round(tmp_path, round_document(accessibility=block))
    with Session(engine) as session:
        create(session, path)
        session.commit()
    with Session(engine) as session:
        stored = find_round(session, "fruehjahr-2027").accessibility
    assert stored == {"contact": {"name": "Runde", "email": "runde@peer-review.example"}, "reviewed_on": "2027-02-01"}


def test_a_round_file_without_the_block_stores_nothing(engine, tmp_path: Path):
    with Session(engine) as session:
        create(session, write_round(tmp_path, round_document()))
        session.commit()
        assert find_round(session, "fruehjahr-2027").accessibility == {}


@pytest.mark.parametrize(
    ("block", "where"),
    [
        ({"contact": {"name": "Team", "email": "no address"}}, "accessibility.contact.email"),
        ({"status": "mostly"}, "accessibility.status"),
        ({"contact": {"name": "Team", "email": "t@amt.example", "phone": "call me"}}, "accessibility.contact.phone"),
        ({"barriers": [{"content": {"de": "Karte"}}]}, "accessibility.barriers.0.reason"),
        ({"enforcement": {"name": {"de": "Stelle"}, "url": "not a url"}}, "accessibility.enforcement.url"),
        ({"contacts": {}}, "accessibility.contacts"),
    ],
)
def test_a_block_that_cannot_be_used_refuses_the_round_file_with_the_line(engine, tmp_path, block, where):
    path = write_round(tmp_path, round_document(accessibility=block))
    with Session(engine) as session, pytest.raises(RoundFileError) as refused:
        create(session, path)
    assert where in str(refused.value) and "round.yaml:" in str(refused.value)


def test_the_example_round_files_commented_block_is_valid():
    text = (EXAMPLES_DIR / "round.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = lines.index("# accessibility:")
    block = [line[2:] for line in lines[start:] if line.startswith("# ")]
    example = yaml.safe_load("\n".join(block))
    document = {**yaml.safe_load(text), **example}
    spec = RoundFile.model_validate(document)
    assert spec.accessibility is not None and spec.accessibility.contact is not None
    assert set(StatementSettings.model_fields) == set(example["accessibility"])  # every key is shown


def test_a_rounds_values_win_over_the_installations_and_the_installations_over_the_defaults():
    round_block = {"contact": {"name": "Runde", "email": "runde@peer-review.example"}, "status": "partial"}
    statement = statement_for(INSTALLATION, round_block, COORDINATOR)
    assert statement.contact is not None and statement.contact.name == "Runde"
    assert statement.status == "partial" and not statement.contact_is_coordinator
    assert statement.prepared_on == date(2027, 1, 15) and statement.method is not None  # from the installation
    assert statement.enforcement is None and statement.barriers is None  # the portal's defaults stand


def test_without_a_contact_a_round_names_its_coordinator_and_other_pages_none():
    on_a_rounds_page = statement_for(None, {}, COORDINATOR)
    assert on_a_rounds_page.contact == COORDINATOR and on_a_rounds_page.contact_is_coordinator
    elsewhere = statement_for(None)
    assert elsewhere.contact is None and not elsewhere.contact_is_coordinator
    assert elsewhere.status == "partial" and elsewhere.prepared_on == SHIPPED_STATEMENT_DATE
    installation = statement_for(INSTALLATION, {}, COORDINATOR)
    assert installation.contact is not None and installation.contact.name == "Team Barrierefreiheit"


def test_the_installations_file_is_read_and_checked(tmp_path: Path):
    path = tmp_path / "statement.yaml"
    path.write_text("status: none\ncontact: {name: Team, email: team@amt.example}\n", encoding="utf-8")
    assert read_statement_file(path).status == "none"
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(DocumentError) as refused:
        read_statement_file(path)
    assert "a statement file is a mapping" in str(refused.value)
