"""A round that follows up an earlier one: its invitations announce the questions about the earlier
recommendations, and `spr round show` counts the statuses its parties reported."""

import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from config.settings import get_settings
from review_model import clock
from review_model.follow_up import FollowUpEntry, follow_up_questions, save_follow_ups
from review_model.personal_data import message_text
from review_model.rounds import get_round
from review_model.submissions import submit_answers
from review_model.tables import Enrolment, OutboxMessage
from review_model.vocabulary import FollowUpStatus, OrganisationKind
from tests.support.follow_up_rounds import follow_up_pair
from tests.support.staged_rounds import factory_context
from workflows.cli import app
from workflows.coordinator_actions import resend_link
from workflows.stages.invitation import invite

ONE_DATABASE = "what the command and the emails say; the counting is tested on both databases (tests/review_model)"


@pytest.fixture
def store(database_url, monkeypatch, tmp_path):
    """The test store as `spr` finds it (`round show` runs no flow, so no Prefect API is needed)."""
    monkeypatch.setenv("SPR_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_round_show_counts_the_reported_statuses_of_the_previous_rounds_recommendations(engine, store):
    pair = follow_up_pair(engine)
    k1, k2 = pair.recommendations["kommunen-1"], pair.recommendations["kommunen-2"]
    with Session(engine) as session:
        round_ = get_round(session, pair.second_id)
        questions = follow_up_questions(session, round_, OrganisationKind.kommune)
        submission = submit_answers(session, round_, session.get(Enrolment, pair.second["anna"].enrolment_id), {},
                                    clock.now())  # fmt: skip
        entries = {k1: FollowUpEntry(FollowUpStatus.implemented), k2: FollowUpEntry(FollowUpStatus.not_pursued, "–")}
        save_follow_ups(session, round_, submission, questions.recommendations, entries, clock.now(), submit=True)
        session.commit()
    shown = CliRunner().invoke(app, ["round", "show", "runde-zwei"])
    assert shown.exit_code == 0, shown.output
    assert "Follow-up of runde-eins" in shown.output
    assert "0 not started, 0 in progress, 1 implemented, 1 not pursued" in " ".join(shown.output.split())
    first = CliRunner().invoke(app, ["round", "show", "runde-eins"])
    assert first.exit_code == 0 and "Follow-up" not in first.output


def test_the_invitation_says_how_many_earlier_recommendations_the_form_asks_about(engine):
    pair = follow_up_pair(engine)
    people = {who: pair.second[who].enrolment_id for who in ("anna", "ben", "eva", "finn")}
    with Session(engine) as session:
        for enrolment_id in people.values():
            session.get(Enrolment, enrolment_id).invited_at = None  # as latecomers, invited now
        session.commit()
    assert invite(factory_context(engine), pair.second_id, list(people.values())) == 4
    with Session(engine) as session:
        texts = {
            message.recipient_email.split("@")[0]: message_text(message.payload)
            for message in session.exec(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).all()
        }
    assert "Der Fragebogen fragt auch, was aus den 2 Empfehlungen geworden ist, die die Runde „Runde eins“" in " ".join(
        texts["anna"].split()
    )
    assert 'The questionnaire also asks what has become of the recommendation the round "Round one" made' in " ".join(
        texts["eva"].split()
    )  # Ben is asked in English too, about the two to municipalities; Finn's civil society about none
    assert "2 recommendations" in " ".join(texts["ben"].split())
    assert "Fragebogen fragt auch" not in texts["finn"] and "\n\nSie können jederzeit" in texts["finn"]
    # the invitation sent again by the coordinator says the same
    with Session(engine) as session:
        anna = session.get(Enrolment, people["anna"]).participant_id
    assert resend_link(factory_context(engine), pair.second_id, anna, "test").queued == 1
    with Session(engine) as session:
        again = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "invitation", OutboxMessage.recipient_participant_id == anna)
            .order_by(col(OutboxMessage.id).desc())
        ).first()
        assert "fragt auch, was aus den 2 Empfehlungen" in " ".join(message_text(again.payload).split())
