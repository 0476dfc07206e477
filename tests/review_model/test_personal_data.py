"""The right of access: everything the store holds about one person, and nothing about anyone else."""

import csv
import io
import json

import pytest
from sqlmodel import Session, select

from review_model.personal_data import (
    LINK_REMOVED,
    PERSONAL_DATA,
    UnknownPerson,
    participant_by_email,
    personal_data_of,
    without_links,
)
from review_model.personal_data_files import CSV_COLUMNS, personal_data_csv, personal_data_json
from review_model.tables import AccessToken, Participant, metadata
from tests.support.personal_data import ANNAS_KINDS, ANNAS_REPLY, TOKEN, annas_round


def test_the_export_holds_every_email_answer_version_review_and_reply_of_the_person(engine):
    world = annas_round(engine)
    with Session(engine) as session:
        data = personal_data_of(session, world.anna)
    assert (data.person.email, data.person.name, data.organisation.name) == (
        "anna@auenburg.example", "Anna Keller", "Stadt Auenburg")  # fmt: skip
    assert [r.round for r in data.rounds] == ["staged-round"] and data.rounds[0].roles == ["respondent", "reviewer"]
    assert data.rounds[0].time_zone == "Europe/Berlin" and data.rounds[0].invited_at is not None

    assert [m.kind for m in data.messages] == ANNAS_KINDS
    assert [m.state for m in data.messages] == ["sent"] * 3 + ["queued"] * 2 + ["failed"]
    for message in data.messages[:-1]:
        assert message.subject and message.text and "Anna Keller" in message.text
        assert LINK_REMOVED in message.text and not TOKEN.search(message.text), message.text
    assert "Selbsteinschätzung" in data.messages[0].text  # decoded as written
    assert data.messages[-1].text is None  # it could not be built: there is no text

    (answers,) = data.self_assessments
    assert answers.version == 3 and [v.version for v in answers.versions] == [1, 2, 3]
    assert answers.versions[0].answers != answers.versions[1].answers  # the second answered differently
    assert answers.answers == answers.versions[-1].answers and answers.reply_sent_at is not None
    assert sorted(r.reviewed_organisation for r in data.reviews) == sorted(world.staged["anna"].reviews)
    assert "Stadt Auenburg" not in {r.reviewed_organisation for r in data.reviews}
    assert all(r.status == "submitted" and r.answers for r in data.reviews)
    assert [(r.about, r.text) for r in data.replies] == [(None, ANNAS_REPLY)]
    assert {link.purpose for link in data.links} == {"self_assessment", "review", "reply"}
    assert [(c.organisation, c.note) for c in data.conflicts] == [
        ("Landkreis Talbach", "Kooperationsvertrag seit 2024")
    ]
    assert [p.organisation for p in data.review_preferences] == ["Stadt Elbstein"]
    assert [(e.action, e.by, e.details) for e in data.audit_events] == [
        ("reviewer swapped", "coordinator", {"reviewed": "Stadt Elbstein", "you_were": "removed"}),
        ("link sent again", "coordinator", {"kind": "invitation", "links": 1}),
    ]


def test_the_export_holds_no_link_secret_and_nobody_else_s_name_or_address(engine):
    world = annas_round(engine)
    with Session(engine) as session:
        data = personal_data_of(session, world.anna)
    for text in (personal_data_json(data), personal_data_csv(data)):
        assert not TOKEN.search(text)
        leaked = [value for value in world.secrets(engine) + world.others(engine) if value in text]
        assert leaked == []
        assert "kim@land.example" not in text  # the coordinator's name in the history stays out too
    # the others each have their own export, which holds their own address
    with Session(engine) as session:
        for person in session.exec(select(Participant).where(Participant.id != world.anna)):
            assert personal_data_of(session, person.id).person.email == person.email


def test_the_json_has_stable_keys_and_utc_times_and_the_csv_one_guarded_row_per_fact(engine):
    world = annas_round(engine)
    with Session(engine) as session:
        data = personal_data_of(session, world.anna)
    document = json.loads(personal_data_json(data))
    assert list(document) == ["exported_at", "person", "organisation", "rounds", "messages", "links",
                              "self_assessments", "reviews", "replies", "review_questions", "conflicts",
                              "review_preferences",
                              "audit_events"]  # fmt: skip
    assert document["exported_at"].endswith("Z") and document["messages"][0]["queued_at"].endswith("Z")
    assert document["rounds"][0]["time_zone"] == "Europe/Berlin"
    assert set(document["links"][0]) == {"round", "purpose", "reviewed_organisation", "created_at", "expires_at",
                                         "revoked_at", "last_used_at"}  # fmt: skip

    rows = list(csv.reader(io.StringIO(personal_data_csv(data))))
    assert tuple(rows[0]) == CSV_COLUMNS
    facts = {(section, field): (round_, value, at) for section, round_, field, value, at in rows[1:]}
    assert facts["person", "email"][1] == "anna@auenburg.example"
    invited = facts["rounds", "invited_at"]
    assert invited[1] == invited[2] == data.rounds[0].invited_at.isoformat().replace("+00:00", "Z")
    assert facts["replies", "text"] == ("staged-round", ANNAS_REPLY, facts["replies", "text"][2])
    assert facts["replies", "text"][2].endswith("Z")
    version_rows = [row for row in rows if row[0] == "self_assessments" and row[2].startswith("versions[2].answers.")]
    assert version_rows and {row[4] for row in version_rows} == {data.self_assessments[0].versions[1].submitted_at
                                                                 .isoformat().replace("+00:00", "Z")}  # fmt: skip


def test_a_formula_in_a_reply_is_written_as_text_in_the_csv(engine):
    world = annas_round(engine)
    with Session(engine) as session:
        data = personal_data_of(session, world.anna)
    hostile = data.model_copy(update={"replies": [data.replies[0].model_copy(update={"text": "=HYPERLINK(1)"})]})
    assert "'=HYPERLINK(1)" in personal_data_csv(hostile)


def test_an_unknown_or_erased_person_has_no_data(engine):
    world = annas_round(engine)
    with Session(engine) as session:
        assert participant_by_email(session, " Anna@Auenburg.example ").id == world.anna
        with pytest.raises(UnknownPerson):
            participant_by_email(session, "nobody@example.org")
        with pytest.raises(UnknownPerson):
            personal_data_of(session, 999_999)


def test_reading_the_data_changes_nothing(engine):
    world = annas_round(engine)
    with Session(engine) as session:
        before = [(a.id, a.last_used_at, a.revoked_at) for a in session.exec(select(AccessToken))]
        personal_data_of(session, world.anna)
        assert not session.new and not session.dirty and not session.deleted
    with Session(engine) as session:
        assert [(a.id, a.last_used_at, a.revoked_at) for a in session.exec(select(AccessToken))] == before


def test_links_lose_their_token_and_nothing_else():
    token = "A" * 43
    text = f"Ihr Link: https://spr.example.org/a/{token}\nund https://spr.example.org/reports/fruehjahr"
    assert without_links(text) == (
        f"Ihr Link: https://spr.example.org/a/{LINK_REMOVED}\nund https://spr.example.org/reports/fruehjahr"
    )


def test_the_inventory_names_real_tables_and_columns():
    for place in PERSONAL_DATA:
        table = metadata.tables[place.table]
        assert set(place.columns) <= set(table.columns.keys()), place.table
        assert place.found_by in table.columns, place.table
