import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from review_model.participant_import import (
    MAX_FILE_BYTES,
    ParticipantImportError,
    import_participants,
    parse_participants,
    read_participants_file,
)
from review_model.rounds import create_round_from_file
from review_model.tables import ConflictDeclaration, Enrolment, Organisation, Participant
from review_model.vocabulary import FederalState, Language, OrganisationKind, Stage
from tests.conftest import EXAMPLES

HEADER = "email,name,organisation,organisation_kind,state,language,roles,expertise,conflicts\n"
GOOD = (
    HEADER
    + "anna@auenburg.example,Anna Keller,Stadt Auenburg,Kommune,BY,de,respondent;reviewer,mobilitaet,\n"
    + "ben@talbach.example,Ben Roth,Landkreis Talbach,Landkreis,Baden-Württemberg,en,reviewer,,Stadt Auenburg\n"
    + "cara@urbanet.example,Cara Lin,Urbanet GmbH,unternehmen,,,,verwaltung;it_kommunikation,\n"
)


@pytest.fixture
def round_(engine):
    with Session(engine, expire_on_commit=False) as session:
        creation = create_round_from_file(
            session,
            EXAMPLES / "round.yaml",
            now=datetime.now(UTC),
            default_time_zone="Europe/Berlin",
            default_language="de",
            actor="test",
        )
        session.commit()
        return creation.round


def errors_of(text: str | bytes) -> list[str]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(ParticipantImportError) as caught:
        parse_participants(raw, "people.csv")
    return [str(error) for error in caught.value.errors]


def test_rows_are_read_with_aliases_defaults_and_lists():
    anna, ben, cara = parse_participants(GOOD.encode())
    assert (anna.email, anna.organisation_kind, anna.state, anna.language) == (
        "anna@auenburg.example", OrganisationKind.kommune, FederalState.BY, Language.de
    )  # fmt: skip
    assert (ben.organisation_kind, ben.state, ben.is_respondent, ben.is_reviewer) == (
        OrganisationKind.region, FederalState.BW, False, True
    )  # fmt: skip
    assert ben.conflicts == ("Stadt Auenburg",)
    assert (cara.language, cara.is_respondent, cara.is_reviewer) == (None, True, True)
    assert cara.expertise == ("verwaltung", "it_kommunikation")


def test_semicolon_separated_files_with_a_byte_order_mark_are_read():
    text = GOOD.replace(",", "|").replace(";", ",").replace("|", ";")
    rows = parse_participants(b"\xef\xbb\xbf" + text.encode())
    assert [row.email for row in rows] == ["anna@auenburg.example", "ben@talbach.example", "cara@urbanet.example"]
    assert rows[0].is_respondent and rows[0].is_reviewer


def test_every_bad_row_is_listed_with_its_line_and_reason():
    text = (
        HEADER
        + "not-an-email,Anna,Stadt A,Kommune,,de,,,\n"
        + "b@x.example,Ben,Stadt B,Dorfverein,,de,,,\n"
        + "c@x.example,Cara,Stadt C,Kommune,,fr,,,\n"
        + "d@x.example,Dora,Stadt D,Kommune,Atlantis,de,,,\n"
        + "e@x.example,Emil,Stadt E,Kommune,,de,author,,\n"
        + "B@X.example,Ben Again,Stadt B2,Kommune,,de,,,\n"
        + "f@x.example,,Stadt F,Kommune,,de,,,\n"
        + "g@x.example,Gina,Stadt B2,Land,,de,,,\n"
        + "h@x.example,Hans,Stadt H\n"
    )
    assert errors_of(text) == [
        "line 2: bad email 'not-an-email': An email address must have an @-sign.",
        "line 3: unknown organisation kind 'Dorfverein' (known: bund, land, kommune, region, unternehmen, "
        "wissenschaft, zivilgesellschaft)",
        "line 4: unknown language 'fr' (known: de, en)",
        "line 5: unknown federal state 'Atlantis' (use a code such as BY or a name such as Bayern)",
        "line 6: unknown role(s) author (known: respondent, reviewer, decision-maker)",
        "line 8: name is empty",
        "line 9: organisation 'Stadt B2' is Land here but Kommune on line 7",
        "line 10: has 3 fields, the header has 9",
    ]


def test_duplicate_emails_are_found_case_insensitively():
    text = HEADER + "a@x.example,A,Org,Bund,,,,,\n" + "A@X.EXAMPLE,A2,Org,Bund,,,,,\n"
    assert errors_of(text) == ["line 3: duplicate email a@x.example (first on line 2)"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"email,name\na@x.example,A\n", "line 1: missing required column(s): organisation, organisation_kind"),
        (HEADER.encode(), "the file has a header but no participants"),
        ("email,name,organisation,organisation_kind\nä@x,Ä,Ö,Bund\n".encode("latin-1"), "not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
        (b"%PDF-1.4\x00binary", "not a CSV file (it contains binary data)"),
        (b'{"participants": []}', "missing required column(s)"),
        (HEADER.replace("conflicts", "email").encode(), "line 1: column 'email' appears twice"),
    ],
)
def test_files_that_are_not_participant_csv_are_refused(raw, expected):
    assert any(expected in error for error in errors_of(raw))


def test_a_good_file_imports_every_row_and_importing_it_again_changes_nothing(engine, round_):
    rows = parse_participants(GOOD.encode())
    with Session(engine) as session:
        summary = import_participants(session, round_, rows, "people.csv")
        session.commit()
    assert (summary.participants_created, summary.organisations_created, summary.enrolled) == (3, 3, 3)
    assert summary.conflicts_added == 1
    with Session(engine) as session:
        again = import_participants(session, round_, rows, "people.csv")
        session.commit()
    assert not again.changed and again.participants_unchanged == 3
    with Session(engine) as session:
        people = {p.email: p for p in session.exec(select(Participant)).all()}
        assert people["cara@urbanet.example"].language is Language.de  # the round's language
        assert people["ben@talbach.example"].language is Language.en
        enrolments = session.exec(select(Enrolment).where(Enrolment.round_id == round_.id)).all()
        assert sorted((e.is_respondent, e.is_reviewer) for e in enrolments) == [
            (False, True), (True, True), (True, True)
        ]  # fmt: skip
        [conflict] = session.exec(select(ConflictDeclaration)).all()
        auenburg = session.exec(select(Organisation).where(Organisation.name == "Stadt Auenburg")).one()
        assert conflict.organisation_id == auenburg.id


def test_a_changed_row_updates_the_person_and_roles(engine, round_):
    with Session(engine) as session:
        import_participants(session, round_, parse_participants(GOOD.encode()), "people.csv")
        session.commit()
    changed = GOOD.replace("Anna Keller,", "Anna Keller-Ruf,").replace("BY,de,respondent;reviewer", "BY,en,reviewer")
    with Session(engine) as session:
        summary = import_participants(session, round_, parse_participants(changed.encode()), "people.csv")
        session.commit()
    assert (summary.participants_updated, summary.enrolments_updated, summary.participants_unchanged) == (1, 1, 2)
    with Session(engine) as session:
        anna = session.exec(select(Participant).where(Participant.email == "anna@auenburg.example")).one()
        assert (anna.name, anna.language) == ("Anna Keller-Ruf", Language.en)
        assert anna.updated_at is not None and anna.updated_at.tzinfo is not None


def test_disagreements_with_the_store_import_nothing(engine, round_):
    with Session(engine) as session:
        import_participants(session, round_, parse_participants(GOOD.encode()), "people.csv")
        session.commit()
    text = (
        HEADER.replace("conflicts", "conflicts,preferences")
        + "new@x.example,New Person,Stadt Auenburg,Land,BY,de,,,,\n"
        + "other@x.example,Other,Neue Stadt,Kommune,,de,,,Nirgendwo e. V.,Atlantis\n"
    )
    with Session(engine) as session:
        with pytest.raises(ParticipantImportError) as caught:
            import_participants(session, round_, parse_participants(text.encode()), "people.csv")
        session.rollback()
    assert [str(e) for e in caught.value.errors] == [
        "line 2: organisation 'Stadt Auenburg' is registered as Kommune (BY), not Land (BY)",
        "line 3: conflict with unknown organisation(s): Nirgendwo e. V.",
        "line 3: preference with unknown organisation(s): Atlantis",
    ]
    with Session(engine) as session:
        assert len(session.exec(select(Participant)).all()) == 3
        assert session.exec(select(Organisation).where(Organisation.name == "Neue Stadt")).first() is None


def test_enrolment_is_refused_once_the_submission_stage_is_over(engine, round_):
    with Session(engine) as session:
        round_.stage = Stage.assignment
        with pytest.raises(ParticipantImportError, match="stage assignment: enrolment is closed"):
            import_participants(session, round_, parse_participants(GOOD.encode()), "people.csv")


def test_the_example_participants_file_is_valid_and_varied():
    rows = read_participants_file(EXAMPLES / "participants.csv")
    assert 25 <= len(rows) <= 40
    kinds = {row.organisation_kind for row in rows}
    assert kinds == set(OrganisationKind) - {OrganisationKind.bund} | {OrganisationKind.bund}
    assert sum(row.language is Language.en for row in rows) >= 3
    assert len({row.state for row in rows if row.organisation_kind is OrganisationKind.land}) >= 3


def test_a_file_that_cannot_be_read_is_reported(tmp_path: Path):
    with pytest.raises(ParticipantImportError, match="cannot be read"):
        read_participants_file(tmp_path / "missing.csv")


def test_decision_makers_only_receive_the_report(engine, round_):
    text = GOOD + "dora@bmwk.example,Dora Fink,Bundesministerium,Bund,,de,decision-maker,,\n"
    with Session(engine) as session:
        import_participants(session, round_, parse_participants(text.encode()), "people.csv")
        session.commit()
        dora = session.exec(select(Enrolment).join(Participant).where(Participant.email == "dora@bmwk.example")).one()
        assert (dora.is_respondent, dora.is_reviewer, dora.is_decision_maker) == (False, False, True)
    with pytest.raises(ParticipantImportError) as refused:
        parse_participants((HEADER + "x@y.example,X,Y,Bund,,de,chef,,\n").encode())
    assert "unknown role(s) chef (known: respondent, reviewer, decision-maker)" in str(refused.value.errors[0])


def test_control_characters_are_named_with_line_and_field():
    text = GOOD.replace("Anna Keller", "Anna\x00Keller").replace("Urbanet GmbH", "Urbanet\x1b[2J GmbH")
    assert errors_of(text) == [
        "line 2: name 'Anna\\x00Keller' contains the control character U+0000 (at character 5)",
        "line 4: organisation 'Urbanet\\x1b[2J GmbH' contains the control character U+001B (at character 8)",
    ]


@pytest.mark.parametrize("kind", ["device", "named pipe", "larger"])
def test_a_file_that_is_not_a_regular_file_or_too_large_is_refused_unread(tmp_path: Path, kind):
    if kind == "device":
        path = Path("/dev/zero")
    elif kind == "named pipe":
        path = tmp_path / "people.csv"
        os.mkfifo(path)
    else:
        path = tmp_path / "people.csv"
        path.write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ParticipantImportError, match=kind):
        read_participants_file(path)


def test_each_bad_field_names_its_column():
    text = (
        HEADER
        + "nicht-gueltig,Anna,Stadt A,Kommune,XY,fr,chef,,\n"
        + "b@x.example,,Stadt B,Behörde,,de,reviewer,,\n"
        + "c@x.example,C\x1bC,Stadt C,Kommune,,de,reviewer,,\n"
    )
    with pytest.raises(ParticipantImportError) as caught:
        parse_participants(text.encode())
    columns = [(error.line, error.column) for error in caught.value.errors]
    assert columns == [(2, "email"), (2, "state"), (2, "language"), (2, "roles"), (3, "name"),
                       (3, "organisation_kind"), (4, "name")]  # fmt: skip
    assert str(caught.value.errors[0]).startswith("line 2: bad email 'nicht-gueltig'")  # as the command prints it
