from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlmodel import Session, select

from review_model.round_file import RoundFileError, resolve_deadline
from review_model.rounds import RoundExists, create_round_from_file, find_round
from review_model.tables import AuditEvent, Round
from review_model.vocabulary import Language, Stage
from review_model.yaml_documents import DocumentError, read_yaml_document
from tests.support.hostile_files import HOSTILE_ROUND_FILES

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 10, 9, 30, tzinfo=UTC)


def round_document(**overrides):
    document = {
        "slug": "fruehjahr-2027",
        "title": {"de": "Frühjahrsrunde 2027", "en": "Spring round 2027"},
        "questionnaire": "smart-city-self-assessment",
        "coordinator": {"name": "Geschäftsstelle", "email": "Stelle@Peer-Review.example"},
        "deadlines": {"submission": "2027-02-15", "review": "2027-03-15T12:00", "comment": "P70D"},
    }
    document.update(overrides)
    return document


def write_round(tmp_path: Path, document: dict, name: str = "round.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def create(session: Session, path: Path, now: datetime = NOW):
    return create_round_from_file(
        session, path, now=now, default_time_zone="Europe/Berlin", default_language="de", actor="test"
    )


def test_deadline_forms_resolve_in_the_round_time_zone():
    at = time(18, 0)
    assert resolve_deadline(date(2027, 3, 15), NOW, BERLIN, at) == datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
    # summer time: 18:00 in Berlin is 16:00 UTC
    assert resolve_deadline(date(2027, 7, 1), NOW, BERLIN, at) == datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    assert resolve_deadline(datetime(2027, 3, 15, 12, 0), NOW, BERLIN, at) == datetime(2027, 3, 15, 11, 0, tzinfo=UTC)
    aware = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    assert resolve_deadline(aware, NOW, BERLIN, at) == aware
    assert resolve_deadline(timedelta(days=21), NOW, BERLIN, at) == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)


def test_a_round_is_created_in_draft_with_a_questionnaire_snapshot(engine, tmp_path):
    path = write_round(tmp_path, round_document())
    with Session(engine) as session:
        creation = create(session, path)
        session.commit()
        assert creation.created
    with Session(engine) as session:
        round_ = find_round(session, "fruehjahr-2027")
        assert round_.stage is Stage.draft
        assert round_.language is Language.de
        assert round_.coordinator_email == "stelle@peer-review.example"
        assert round_.submission_deadline == datetime(2027, 2, 15, 22, 59, tzinfo=UTC)  # 23:59 in Berlin
        assert round_.review_deadline == datetime(2027, 3, 15, 11, 0, tzinfo=UTC)
        assert round_.comment_deadline == datetime(2027, 3, 21, 22, 59, tzinfo=UTC)
        assert round_.reminder_days_before == [7, 3, 1]
        assert round_.retention is None
        assert round_.questionnaire_snapshot["id"] == "smart-city-self-assessment"
        assert find_round(session, str(round_.id)).id == round_.id
        assert round_.handover_keeps_first_link is False  # a form handed to a colleague revokes the first link
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.round_id == round_.id)).all()
        assert actions == ["round created"]


def test_the_handover_rule_is_copied_to_the_round(engine, tmp_path):
    path = write_round(tmp_path, round_document(handover={"keep_first_link": True}))
    with Session(engine) as session:
        assert create(session, path).round.handover_keeps_first_link is True


def test_creating_the_same_file_again_changes_nothing_but_another_file_is_refused(engine, tmp_path):
    path = write_round(tmp_path, round_document())
    with Session(engine) as session:
        first = create(session, path)
        session.commit()
        again = create(session, path, now=NOW + timedelta(days=1))
        assert not again.created and again.round.id == first.round.id
        changed = write_round(tmp_path, round_document(title={"de": "Andere Runde"}), "other.yaml")
        with pytest.raises(RoundExists, match="exists already, created from a different file"):
            create(session, changed)
        assert len(session.exec(select(Round)).all()) == 1


def test_deadlines_out_of_order_or_in_the_past_are_refused_with_the_reason(engine, tmp_path):
    document = round_document(deadlines={"submission": "2027-03-15", "review": "2027-03-01", "comment": "2027-01-01"})
    path = write_round(tmp_path, document)
    with Session(engine) as session, pytest.raises(RoundFileError) as caught:
        create(session, path)
    messages = str(caught.value)
    assert "deadlines.comment: 2027-01-01 23:59 CET is in the past (now: 2027-01-10 10:30 CET)" in messages
    assert "deadlines.review: 2027-03-01 23:59 CET must come after deadlines.submission (2027-03-15 23:59 CET)" in (
        messages
    )
    assert "round.yaml:" in messages
    with Session(engine) as session:
        assert session.exec(select(Round)).all() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"slug": "Frühjahr 2027"}, "slug: String should match pattern"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"deadlines": {"submission": "soon", "review": "P1D", "comment": "P2D"}}, "'soon' is not a date"),
        ({"deadlines": {"submission": "P0D", "review": "P1D", "comment": "P2D"}}, "must be a positive duration"),
        ({"reminders": {"days_before": [3, 3]}}, "each day may appear once"),
        ({"assignment": {"min_load": 5, "max_load": 2}}, "min_load 5 is greater than max_load 2"),
        ({"colour": "blue"}, "colour: unknown field"),
        ({"handover": {"keep_first_link": "sometimes"}}, "handover.keep_first_link: Input should be a valid boolean"),
        ({"handover": {"keep_link": True}}, "handover.keep_link: unknown field"),
        ({"questionnaire": "missing-one"}, "no such questionnaire file or shipped id"),
        ({"previous_round": "herbst-2026"}, "no round 'herbst-2026'"),
        ({"retention": "2 years"}, "retention: '2 years' is not an ISO 8601 duration"),
    ],
)
def test_invalid_round_files_say_what_and_where(engine, tmp_path, change, expected):
    path = write_round(tmp_path, round_document(**change))
    with Session(engine) as session, pytest.raises(DocumentError, match=r"round\.yaml") as caught:
        create(session, path)
    assert expected in str(caught.value)


def test_a_questionnaire_file_beside_the_round_file_is_found_and_its_problems_reported(engine, tmp_path):
    (tmp_path / "own.yaml").write_text("id: own\ntitle: {de: Eigen}\nsections: []\n", encoding="utf-8")
    path = write_round(tmp_path, round_document(questionnaire="own.yaml"))
    with Session(engine) as session, pytest.raises(RoundFileError) as caught:
        create(session, path)
    assert "own.yaml" in str(caught.value) and "sections" in str(caught.value)


@pytest.mark.parametrize("hostile", HOSTILE_ROUND_FILES, ids=lambda hostile: hostile.name)
def test_hostile_round_files_are_refused_with_file_line_and_key_and_create_nothing(engine, tmp_path, hostile):
    path = hostile.write(tmp_path)
    with Session(engine) as session, pytest.raises(DocumentError) as caught:
        create(session, path)
    assert hostile.refused(str(caught.value)), str(caught.value)
    with Session(engine) as session:
        assert session.exec(select(Round)).all() == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [*a]\n", "round.yaml:1: a.0: an alias refers to a collection that contains it"),
        ("a: " + "[" * 60 + "]" * 60 + "\n", "nested more than 40 levels deep"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 40 levels deep"),
        ("a: 1\nb: !!binary aGVsbG8=\n", "round.yaml:2: b: the tag !!binary is not allowed"),
        ("a: 1\nb: !local x\n", "round.yaml:2: b: the tag !local is not allowed"),
        ("a: 1\nb: x\x00y\n", "round.yaml:2: contains the control character U+0000 (at character 5)"),
        ('a: 1\nb: "x\\e[2J"\n', "round.yaml:2: b: contains the control character U+001B (at character 2)"),
        ("a: 1\nb: Stadt\u202egrubnelreF\n", "round.yaml:2: b: contains the control character U+202E"),
        ('title: {de: "a\\x9bb"}\n', "round.yaml:1: title.de: contains the control character U+009B (at character 2)"),
    ],
)
def test_yaml_beyond_plain_text_is_refused_with_its_line(tmp_path, text, expected):
    path = tmp_path / "round.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        read_yaml_document(path)
    assert expected in str(caught.value)


def test_a_yaml_file_is_refused_by_its_size_before_it_is_read(tmp_path):
    path = tmp_path / "round.yaml"
    path.write_text("# padding\n" * 2**20, encoding="utf-8")  # 10 MiB of comments
    with pytest.raises(DocumentError, match=r"round\.yaml: is larger than 1\.0 MiB \(10\.0 MiB\)"):
        read_yaml_document(path)
    with pytest.raises(DocumentError, match=r"is not a regular file \(it is a folder\)"):
        read_yaml_document(tmp_path)


def test_a_round_may_ask_that_publication_wait_for_the_adoption(engine, tmp_path):
    with Session(engine) as session:
        assert not create(session, write_round(tmp_path, round_document())).round.adoption_required
    with Session(engine) as session:
        document = round_document(slug="mit-verabschiedung", adoption={"required": True})
        assert create(session, write_round(tmp_path, document, "other.yaml")).round.adoption_required


def test_the_retention_period_is_kept_as_written_in_capitals(engine, tmp_path):
    with Session(engine) as session:
        created = create(session, write_round(tmp_path, round_document(retention=" p2y")))
        assert created.round.retention == "P2Y"


def test_a_coordinator_name_is_one_line(engine, tmp_path):
    document = round_document(coordinator={"name": "Stelle\nBcc: alle@x.example", "email": "s@x.example"})
    with Session(engine) as session, pytest.raises(RoundFileError, match=r"coordinator\.name: must be one line"):
        create(session, write_round(tmp_path, document))


def test_a_round_file_sent_as_bytes_is_read_as_the_file_but_names_only_shipped_questionnaires(engine, tmp_path):
    from review_model.refusals import Reason
    from review_model.rounds import create_round_from_upload

    def upload(session: Session, raw: bytes):
        return create_round_from_upload(session, raw, "runde.yaml", now=NOW, default_time_zone="Europe/Berlin",
                                        default_language="de", actor="test")  # fmt: skip

    path = write_round(tmp_path, round_document())
    with Session(engine) as session:
        first = upload(session, path.read_bytes())
        session.commit()
        assert first.created and first.round.questionnaire_id == "smart-city-self-assessment"
        assert not create(session, path).created  # the same file, whichever way it came
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "round created")).all()
        assert [event.details["file"] for event in events] == ["runde.yaml"]
    (tmp_path / "own.yaml").write_bytes((tmp_path / "round.yaml").read_bytes())
    for reference, said in (
        (str(tmp_path / "own.yaml"), "is a file path: a round file sent through the console cannot name"),
        ("own.yaml", "is a file path"),
        ("../questionnaires/spr-status", "is a file path"),
        ("stadt-check", "no questionnaire stadt-check ships with spr (shipped: smart-city-self-assessment, spr-"),
    ):
        document = write_round(tmp_path, round_document(slug="anders", questionnaire=reference), "other.yaml")
        with Session(engine) as session, pytest.raises(RoundFileError) as caught:
            upload(session, document.read_bytes())
        [problem] = caught.value.problems
        assert problem.path == ("questionnaire",) and problem.line == 5 and said in problem.message
        assert isinstance(problem.message, Reason)  # shown in the staff member's language
    with Session(engine) as session:
        assert len(session.exec(select(Round)).all()) == 1


def test_the_slug_new_is_kept_for_the_consoles_page_that_creates_rounds(engine, tmp_path):
    path = write_round(tmp_path, round_document(slug="new"))
    with Session(engine) as session, pytest.raises(RoundFileError) as caught:
        create(session, path)
    assert "round.yaml:1: slug: 'new' is reserved for a page of the console" in str(caught.value)
