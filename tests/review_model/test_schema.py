"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, col, select

from review_model.schema_migrations import current_revision, head_revision, store_is_current, upgrade_store
from review_model.store import make_engine
from review_model.tables import Organisation, OutboxMessage, metadata
from review_model.vocabulary import OrganisationKind, OutboxState


def test_migrations_on_an_empty_database_give_exactly_the_models_schema(empty_database_url):
    engine = make_engine(empty_database_url)
    assert current_revision(engine) is None
    upgrade_store(engine)
    assert current_revision(engine) == head_revision()
    assert store_is_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert set(inspect(engine).get_table_names()) == {table.name for table in metadata.sorted_tables} | {
        "alembic_version"
    }
    upgrade_store(engine)  # a second upgrade is a no-op
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_every_migration_can_be_undone_and_redone(empty_database_url):
    from alembic import command

    from review_model.schema_migrations import alembic_config

    engine = make_engine(empty_database_url)
    upgrade_store(engine)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert inspect(engine).get_table_names() in ([], ["alembic_version"])
    upgrade_store(engine)
    assert store_is_current(engine)
    engine.dispose()


def test_timestamps_come_back_aware_in_utc(engine):
    plus_two = timezone(timedelta(hours=2))
    with Session(engine) as session:
        organisation = Organisation(name="Stadt Elbstein", kind=OrganisationKind.kommune)
        organisation.created_at = datetime(2027, 6, 1, 14, 30, tzinfo=plus_two)
        session.add(organisation)
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Organisation)).one()
        assert stored.created_at == datetime(2027, 6, 1, 12, 30, tzinfo=UTC)
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.kind is OrganisationKind.kommune


def test_naive_timestamps_are_refused(engine):
    with Session(engine) as session:
        organisation = Organisation(name="Stadt Naiv", kind=OrganisationKind.kommune)
        organisation.created_at = datetime(2027, 6, 1, 14, 30)
        session.add(organisation)
        with pytest.raises(StatementError, match="naive datetime"):
            session.commit()


def test_outbox_idempotency_keys_are_unique(engine):
    def message(number: int) -> OutboxMessage:
        return OutboxMessage(
            idempotency_key="round-1/invitation/7/invitation/0",
            message_id=f"<{number}@spr.example>",
            kind="invitation",
            recipient_email="a@x.example",
            subject="Einladung",
            payload=b"...",
            next_attempt_at=datetime.now(UTC),
        )

    with Session(engine) as session:
        session.add(message(1))
        session.commit()
        assert session.exec(select(OutboxMessage)).one().state is OutboxState.queued
        session.add(message(2))
        with pytest.raises(IntegrityError):
            session.commit()


def test_the_review_and_reply_reminder_counts_start_from_the_outbox(empty_database_url):
    """Migration 0008: review and reply reminders, counted from the outbox before, are counted on the enrolment
    from then on, starting from what the outbox holds."""
    from alembic import command

    from config.paths import EXAMPLES_DIR
    from review_model.participant_import import import_participants, read_participants_file
    from review_model.rounds import create_round_from_file
    from review_model.schema_migrations import alembic_config
    from review_model.store import session_scope
    from review_model.tables import Enrolment

    engine = make_engine(empty_database_url)
    upgrade_store(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        round_ = create_round_from_file(session, EXAMPLES_DIR / "round.yaml", now=now, actor="test",
                                        default_time_zone="Europe/Berlin", default_language="de").round  # fmt: skip
        import_participants(session, round_, read_participants_file(EXAMPLES_DIR / "participants.csv")[:3], "p.csv")
        first, second, third = session.exec(select(Enrolment).order_by(col(Enrolment.id))).all()
        sent = [(first, ["review_reminder", "review_reminder", "reply_reminder"]), (second, ["reminder"]), (third, [])]
        for enrolment, kinds in sent:
            for number, kind in enumerate(kinds):
                session.add(OutboxMessage(
                    round_id=round_.id, idempotency_key=f"{enrolment.id}/{kind}/{number}",
                    message_id=f"<{enrolment.id}.{kind}.{number}@spr.example>", kind=kind,
                    recipient_email="a@x.example", recipient_participant_id=enrolment.participant_id,
                    subject="Erinnerung", payload=b"...", next_attempt_at=now,
                ))  # fmt: skip
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    upgrade_store(engine)
    with Session(engine) as session:
        counts = [(e.review_reminders_sent, e.reply_reminders_sent)
                  for e in session.exec(select(Enrolment).order_by(col(Enrolment.id))).all()]  # fmt: skip
    assert counts == [(2, 1), (0, 0), (0, 0)]
    engine.dispose()
