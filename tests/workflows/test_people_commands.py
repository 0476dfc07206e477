"""`spr participants list`, `spr participants resend-link` and `spr round message`, run as a coordinator runs them:
the flows on the session's Prefect API, the messages delivered to the development SMTP server."""

import email
import email.policy

from sqlmodel import select
from typer.testing import CliRunner

from config.settings import get_settings
from review_model import clock
from review_model.reminder_opt_out import stop_reminders
from review_model.store import session_scope
from review_model.tables import Enrolment, Participant
from review_model.vocabulary import Stage
from tests.support.commands import configure
from tests.support.messages import text_of
from tests.support.round_world import PUBLIC_BASE_URL
from tests.support.staged_rounds import bring_round_to
from workflows.cli import app, coordination

runner = CliRunner()


def spr(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def flat(output: str) -> str:
    return " ".join(output.split())


def test_the_list_says_the_filter_in_words_counts_and_shows_only_whom_it_picks(round_world, configured, monkeypatch):
    world = round_world
    configure(monkeypatch, world)
    bring_round_to(world.engine, world.round_id, Stage.submission, submitted=["anna"])
    listed = spr("participants", "list", "fruehjahr-2027", "--role", "respondent", "--state", "not-submitted",
                 "--land", "BY", "--land", "Sachsen")  # fmt: skip
    assert listed.exit_code == 0, listed.output
    output = flat(listed.output)
    assert "Respondents in Bayern or Sachsen who have not submitted" in output
    assert "Cara Wolf" in output and "Anna Keller" not in output and "Ben Hansen" not in output
    assert "invited, not submitted" in output and listed.output.rstrip().endswith("1 person in fruehjahr-2027")

    with session_scope(world.engine) as session:  # Cara stops her reminders with the link in one
        cara = session.exec(select(Enrolment).join(Participant).where(Participant.email == "cara@elbstein.example"))
        stop_reminders(session, cara.one(), clock.now())
    stopped = spr("participants", "list", "fruehjahr-2027", "--state", "opted-out")
    assert stopped.exit_code == 0, stopped.output
    assert "Cara Wolf" in stopped.output and "stopped reminders" in flat(stopped.output)
    assert stopped.output.rstrip().endswith("1 person in fruehjahr-2027")

    everyone = spr("participants", "list", "fruehjahr-2027", "--limit", "2", "--offset", "1")
    assert everyone.exit_code == 0 and "Everyone" in everyone.output
    assert everyone.output.rstrip().endswith("4 people in fruehjahr-2027 (shown: 2–3)")
    searched = spr("participants", "list", "fruehjahr-2027", "--search", "talbach", "--kind", "Landkreis")
    assert "Dora Roth" in searched.output and "1 person in fruehjahr-2027" in searched.output

    monkeypatch.setenv("SPR_LANGUAGE", "de")
    get_settings.cache_clear()
    german = spr("participants", "list", "fruehjahr-2027", "--role", "respondent", "--state", "submitted")
    assert "Befragte, die eingereicht haben" in flat(german.output) and "1 Person in fruehjahr-2027" in german.output
    monkeypatch.delenv("SPR_LANGUAGE")
    get_settings.cache_clear()

    too_long = spr("participants", "list", "fruehjahr-2027", "--search", "x" * 201)
    assert too_long.exit_code == 2 and "at most 200 characters, not 201" in flat(too_long.output)
    wrong = spr("participants", "list", "fruehjahr-2027", "--state", "asleep")
    assert wrong.exit_code == 2
    assert "'asleep' is none of not-invited, invited, opened" in flat(wrong.output)


def test_the_message_command_shows_whom_how_many_and_the_message_then_asks_and_sends_once(
    round_world, configured, monkeypatch, tmp_path
):
    world = round_world
    configure(monkeypatch, world)
    staged = bring_round_to(world.engine, world.round_id, Stage.submission, submitted=["anna"])
    german, english = tmp_path / "de.txt", tmp_path / "en.txt"
    german.write_text("die Frist bleibt.\nBitte einreichen.", encoding="utf-8")
    english.write_text("the deadline stays.\nPlease submit.", encoding="utf-8")
    command = ["round", "message", "fruehjahr-2027", "--subject", "Hinweis zur Frist", "--body-file", str(german),
               "--subject-en", "A note on the deadline", "--body-en-file", str(english),
               "--state", "not-submitted"]  # fmt: skip

    unattended = spr(*command)
    assert unattended.exit_code == 1 and "not sent: confirm with --yes" in unattended.output
    output = flat(unattended.output)
    assert "To: people who have not submitted — 3 recipients" in output
    assert "As Dora Roth reads it (German): Subject: Hinweis zur Frist" in output
    assert "As Ben Hansen reads it (English): Subject: A note on the deadline" in output
    assert f"{PUBLIC_BASE_URL}/a/…" in output and staged["dora"].form not in output
    assert world.received() == []

    monkeypatch.setattr(coordination, "stdin_is_terminal", lambda: True)
    declined = spr(*command, input="n\n")
    assert declined.exit_code == 1 and "not sent; nothing changed" in declined.output
    sent = spr(*command, input="y\n")
    assert sent.exit_code == 0, sent.output
    assert "Send this message to 3 people in fruehjahr-2027?" in sent.output
    assert "Message queued for 3 people in fruehjahr-2027." in sent.output
    received = {m.recipients[0].split("@")[0]: m for m in world.received("Hinweis") + world.received("A note")}
    assert sorted(received) == ["ben", "cara", "dora"]
    assert f"{PUBLIC_BASE_URL}{staged['ben'].form}" in text_of(received["ben"])
    parsed = email.message_from_bytes(received["ben"].data, policy=email.policy.default)
    assert parsed["Subject"] == "A note on the deadline" and parsed.defects == []

    again = spr(*command, "--yes")
    assert again.exit_code == 0
    assert "Message queued for 0 people in fruehjahr-2027. 3 had it from an earlier send" in flat(again.output)
    assert len(world.received("Hinweis") + world.received("A note")) == 3

    empty = spr("round", "message", "fruehjahr-2027", "--subject", "Nur ein Betreff", "--yes")
    assert empty.exit_code == 1 and "the German message has no text" in empty.output
    nobody = spr(*command[:-2], "--state", "replied", "--yes")
    assert nobody.exit_code == 1 and "nobody in round fruehjahr-2027 matches the filter" in flat(nobody.output)


def test_resend_link_sends_the_same_link_again_and_says_why_it_cannot(round_world, configured, monkeypatch):
    world = round_world
    configure(monkeypatch, world)
    staged = bring_round_to(world.engine, world.round_id, Stage.submission)
    resent = spr("participants", "resend-link", "fruehjahr-2027", "Ben@Nordhaven.example")
    assert resent.exit_code == 0, resent.output
    assert (
        "Ben Hansen <Ben@Nordhaven.example>: their personal link of fruehjahr-2027 queued again (invitation)."
        in flat(resent.output)
    )
    (invitation,) = world.received("Invitation")
    assert list(invitation.recipients) == ["ben@nordhaven.example"]
    assert f"{PUBLIC_BASE_URL}{staged['ben'].form}" in text_of(invitation)

    stranger = spr("participants", "resend-link", "fruehjahr-2027", "x@nowhere.example")
    assert stranger.exit_code == 1 and "x@nowhere.example takes no part in fruehjahr-2027" in stranger.output
    assert spr("participants", "revoke-link", "fruehjahr-2027", "ben@nordhaven.example", "--reason", "x").exit_code == 0
    revoked = spr("participants", "resend-link", "fruehjahr-2027", "ben@nordhaven.example")
    assert revoked.exit_code == 1 and "a revoked link is not sent again" in flat(revoked.output)
    assert len(world.received("Invitation")) == 1


def test_the_consoles_flows_queue_failed_messages_again_and_refuse_a_swap_with_its_reasons(engine, configured):
    import pytest
    from sqlmodel import Session, select

    from notifications.outbox import enqueue_messages
    from review_model import clock
    from review_model.round_assignment import AssignmentRefused
    from review_model.tables import OutboxMessage, ReviewAssignment
    from review_model.vocabulary import OutboxState
    from tests.support.outgoing_mail import invitation_for
    from tests.support.staged_rounds import round_in_stage
    from workflows.flows import retry_failed_messages_flow, swap_reviewer_flow

    staged = round_in_stage(engine, Stage.assignment, parties=4, reviewers_per_party=1)
    with Session(engine) as session:
        enqueue_messages(session, [invitation_for(1)], clock.now())
        failed = session.exec(select(OutboxMessage)).one()
        failed.state = OutboxState.failed
        failed_id = failed.id
        submission = session.exec(select(ReviewAssignment.submission_id)).first()
        session.commit()
    assert retry_failed_messages_flow(None, "coordinator (console: ada)").ids == (failed_id,)
    with pytest.raises(AssignmentRefused) as refused:
        swap_reviewer_flow(staged.round_id, staged.slug, submission, 999_998, 999_999, "coordinator (console: ada)")
    assert refused.value.reasons == [
        "participant 999998 takes no part in staged-round",
        "participant 999999 takes no part in staged-round",
    ]
