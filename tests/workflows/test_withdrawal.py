"""Withdrawing a person from a round: their links open nothing, nothing is asked of them again, no stage waits
for them, and what they submitted stays. The coordinator's action without Prefect, and the command."""

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from review_model.early_close import left_out_by_closing
from review_model.rounds import round_progress
from review_model.tables import (
    AuditEvent,
    Enrolment,
    Finding,
    OutboxMessage,
    Participant,
    PublishedReport,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.tokens import issue_link
from review_model.vocabulary import OutboxState, Stage, TokenPurpose, WorkStatus
from review_model.withdrawal import WithdrawalRefused
from tests.support.answers import SELF_ASSESSMENT, csrf_of, open_right_of_reply, reply, review_all
from tests.support.answers import submit as submit_form
from tests.support.messages import REVIEW_LINK, kinds_by_recipient, link_in, text_of
from tests.support.round_world import RoundWorld
from tests.support.staged_rounds import bring_round_to
from workflows.coordinator_actions import close_stage_now, revoke_links, withdraw_participant
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage
from workflows.stages.reminding import remind_waiting
from workflows.stages.submission import extend_submission_deadline

runner = CliRunner()
REASON = "Der Landkreis ist aus der Runde ausgetreten"


def launch(world: RoundWorld) -> None:
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)


def person(world: RoundWorld, local: str) -> int:
    """The participant id of the person whose address begins with `local`."""
    with Session(world.engine) as session:
        return session.exec(select(Participant.id).where(col(Participant.email).startswith(local))).one()


def enrolment_of(world: RoundWorld, local: str) -> Enrolment:
    with Session(world.engine) as session:
        return session.exec(select(Enrolment).join(Participant).where(col(Participant.email).startswith(local))).one()


def invitation_link(world: RoundWorld, local: str) -> str:
    return link_in(next(m for m in world.received() if m.recipients[0].startswith(local)))


def withdraw(world: RoundWorld, local: str, reason: str = REASON):
    return withdraw_participant(world.context, world.round_id, person(world, local), "coordinator", reason)


def submission_deadline(world: RoundWorld):
    with Session(world.engine) as session:
        return session.get(Round, world.round_id).submission_deadline


def test_a_withdrawn_persons_links_open_what_a_revoked_link_opens_and_the_history_says_who_and_why(round_world):
    world = round_world
    launch(world)
    dora, ben = invitation_link(world, "dora"), invitation_link(world, "ben")
    assert world.portal.get(dora).status_code == 200

    withdrawn = withdraw(world, "dora", f"  {REASON} ")
    assert withdrawn.links_revoked == 1 and withdrawn.withdrawal.self_assessment is None
    assert withdrawn.withdrawal.roles == ("respondent", "reviewer")
    revoke_links(world.context, world.round_id, person(world, "ben"), "coordinator", "forwarded")
    page, revoked = world.portal.get(dora), world.portal.get(ben)
    assert page.status_code == revoked.status_code == 404 and page.text == revoked.text
    assert world.portal.post(dora, data={"csrf": "-", "action": "submit"}).status_code == 404

    enrolment = enrolment_of(world, "dora")
    assert enrolment.withdrawn_at is not None and enrolment.withdrawn_by == "coordinator"
    assert enrolment.withdrawal_reason == REASON
    with Session(world.engine, expire_on_commit=False) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "participant withdrawn")).one()
        # A link issued for her by mistake later opens nothing either.
        expires = enrolment.created_at + timedelta(days=90)
        issued = issue_link(session, world.context.secret, round_id=world.round_id, enrolment_id=enrolment.id,
                            purpose=TokenPurpose.self_assessment, expires_at=expires)  # fmt: skip
        session.commit()
    assert event.actor == "coordinator" and event.details["reason"] == REASON
    assert event.details["participant"] == person(world, "dora") and event.details["links"] == 1
    assert "dora" not in str(event.details).lower()  # the person by id: the history keeps no more than needed
    assert world.portal.get(f"/a/{issued.token}").status_code == 404


def test_withdrawing_twice_a_stranger_or_in_a_published_round_is_refused_with_every_reason(round_world):
    world = round_world
    dora = person(world, "dora")
    withdraw(world, "dora")
    with pytest.raises(WithdrawalRefused) as twice:
        withdraw(world, "dora", "noch einmal")
    assert len(twice.value.reasons) == 1
    assert f"participant {dora} was withdrawn from fruehjahr-2027 already, on " in twice.value.reasons[0]
    assert twice.value.reasons[0].endswith("UTC by coordinator")

    with Session(world.engine) as session:
        session.get(Round, world.round_id).stage = Stage.published
        session.commit()
    with pytest.raises(WithdrawalRefused) as refused:
        withdraw_participant(world.context, world.round_id, 999_999, "coordinator", " ")
    assert refused.value.reasons == [
        "round fruehjahr-2027 is published: who took part is in its report and stays so",
        "participant 999999 takes no part in fruehjahr-2027",
        "say why (--reason): the round's history keeps who withdrew whom and why",
    ]
    with pytest.raises(WithdrawalRefused, match="is published"):
        withdraw(world, "anna")
    with Session(world.engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "participant withdrawn")).all()) == 1
        assert session.exec(select(Enrolment).where(col(Enrolment.withdrawn_at).is_not(None))).one().id == (
            enrolment_of(world, "dora").id
        )


def test_messages_still_queued_for_a_withdrawn_person_are_dropped_but_the_receipts_of_what_they_sent(round_world):
    world = round_world
    launch(world)  # the invitations are delivered
    assert remind_waiting(world.context, world.round_id, "dora@talbach.example").queued == 1  # not yet delivered
    submit_form(world, invitation_link(world, "dora"))  # her receipt is queued too
    withdrawn = withdraw(world, "dora")
    assert withdrawn.messages_dropped == 1
    with Session(world.engine) as session:
        queued = session.exec(
            select(OutboxMessage.kind).where(col(OutboxMessage.recipient_email).startswith("dora"),
                                             OutboxMessage.state == OutboxState.queued)
        ).all()  # fmt: skip
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "participant withdrawn")).one()
    assert queued == ["submission_receipt"] and event.details["messages_dropped"] == 1


def test_nobody_withdrawn_is_invited_and_the_invitation_stage_does_not_wait_for_them(round_world):
    world = round_world
    withdrawn = withdraw(world, "dora")  # before launch: she was never invited
    assert withdrawn.links_revoked == 0
    launch(world)
    assert sorted(m.recipients[0].split("@")[0] for m in world.received()) == ["anna", "ben", "cara"]
    with Session(world.engine) as session:
        assert session.get(Round, world.round_id).stage is Stage.submission
        progress = round_progress(session, world.round_id)
    assert (progress.respondents, progress.invited) == (3, 3)


def test_reminders_and_a_moved_deadline_skip_a_withdrawn_respondent(round_world):
    world = round_world
    deadline = submission_deadline(world)
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        launch(world)
        withdraw(world, "dora")
        before = kinds_by_recipient(world)
        assert remind_waiting(world.context, world.round_id).queued == 3
        assert remind_waiting(world.context, world.round_id, "dora@talbach.example").queued == 0
        frozen.move_to(deadline - timedelta(days=3) + timedelta(hours=1))  # the second reminder time has passed
        assert advance_round(world.context, world.round_id).reminders == 3
        extension = extend_submission_deadline(world.context, world.round_id, deadline + timedelta(days=2), "test")
        assert extension.told == 3
        added = kinds_by_recipient(world) - before
    assert added == {
        **{(local, "reminder"): 2 for local in ("anna", "ben", "cara")},
        **{(local, "deadline_extended"): 1 for local in ("anna", "ben", "cara")},
    }


def test_the_submission_stage_closes_when_the_only_missing_self_assessment_is_a_withdrawn_ones(round_world):
    world = round_world
    with Session(world.engine) as session:  # three organisations left: two reviewers for each
        session.get(Round, world.round_id).reviewers_per_submission = 2
        session.get(Enrolment, enrolment_of(world, "dora").id).min_reviews = 2  # were she a reviewer still
        session.commit()
    with freeze_time(submission_deadline(world) - timedelta(days=10), real_asyncio=True):
        launch(world)
        for local in ("anna", "ben", "cara"):
            submit_form(world, invitation_link(world, local))
        dora = invitation_link(world, "dora")
        saved = world.portal.post(dora, data={"csrf": csrf_of(world.portal.get(dora).text), "action": "save",
                                              **SELF_ASSESSMENT}, follow_redirects=False)  # fmt: skip
        assert saved.status_code == 303
        assert advance_round(world.context, world.round_id).stage_after is Stage.submission  # it waits for Dora
        with Session(world.engine) as session:
            assert [p.name for p in left_out_by_closing(session, session.get(Round, world.round_id))] == ["Dora Roth"]

        withdrawn = withdraw(world, "dora")
        assert withdrawn.withdrawal.self_assessment is WorkStatus.draft
        with Session(world.engine) as session:
            assert left_out_by_closing(session, session.get(Round, world.round_id)) == []
            progress = round_progress(session, world.round_id)
        assert (progress.respondents, progress.invited, progress.submitted) == (3, 3, 3)
        before = kinds_by_recipient(world)
        assert advance_round(world.context, world.round_id).stage_after is Stage.assignment
    dora_enrolment = enrolment_of(world, "dora").id
    with Session(world.engine) as session:
        draft = session.exec(select(Submission).where(Submission.enrolment_id == dora_enrolment)).one()
        assignments = session.exec(select(ReviewAssignment)).all()
    assert draft.status is WorkStatus.draft and draft.answers  # kept in the store, never reviewed
    assert len(assignments) == 6 and draft.id not in {a.submission_id for a in assignments}
    assert dora_enrolment not in {a.reviewer_enrolment_id for a in assignments}  # nor asked to review
    assert not any(local == "dora" for local, _ in kinds_by_recipient(world) - before)  # nor told the stage closed


def test_a_withdrawn_reviewers_open_reviews_are_not_waited_for_and_her_self_assessment_is_still_reviewed(
    round_world,
):
    world = round_world
    with freeze_time(submission_deadline(world) - timedelta(days=10), real_asyncio=True):
        launch(world)
        for message in world.received():
            submit_form(world, link_in(message))
        advance_round(world.context, world.round_id)
        with Session(world.engine) as session:
            for assignment in session.exec(select(ReviewAssignment)).all():
                assignment.confirmed_at = assignment.created_at
            session.commit()
        advance_round(world.context, world.round_id)
        requests = [m for m in world.received() if REVIEW_LINK.search(text_of(m))]
        for request in requests:
            if not request.recipients[0].startswith("dora"):
                for path in REVIEW_LINK.findall(text_of(request)):
                    review_all(world, path)
        assert advance_round(world.context, world.round_id).stage_after is Stage.review  # Dora's 3 are missing

        withdrawn = withdraw(world, "dora")
        assert withdrawn.withdrawal.self_assessment is WorkStatus.submitted
        assert withdrawn.withdrawal.reviews_open == ("Hansestadt Nordhaven", "Stadt Auenburg", "Stadt Elbstein")
        assert withdrawn.links_revoked == 4  # her self-assessment and her three reviews
        with Session(world.engine) as session:
            assert left_out_by_closing(session, session.get(Round, world.round_id)) == []
            progress = round_progress(session, world.round_id)
        assert (progress.reviews_due, progress.reviews_submitted) == (9, 9)
        before = kinds_by_recipient(world)
        assert advance_round(world.context, world.round_id).stage_after is Stage.drafting
    assert not any(local == "dora" for local, _ in kinds_by_recipient(world) - before)
    dora_enrolment = enrolment_of(world, "dora").id
    with Session(world.engine) as session:
        hers = session.exec(select(Submission.id).where(Submission.enrolment_id == dora_enrolment)).one()
        assert session.exec(select(Finding).where(Finding.submission_id == hers)).first() is not None


def test_a_withdrawn_party_is_not_asked_to_reply_nor_waited_for_nor_sent_the_report(round_world):
    world = round_world
    with freeze_time(submission_deadline(world) - timedelta(days=10), real_asyncio=True):
        bring_round_to(world.engine, world.round_id, Stage.drafting)
        withdraw(world, "dora")
        links = open_right_of_reply(world)
        assert set(links) == {"anna", "ben", "cara"}
        for link in links.values():
            reply(world, link, "")
        with Session(world.engine) as session:
            progress = round_progress(session, world.round_id)
        assert (progress.replies_pending, progress.replies_sent) == (0, 3)
        closed = close_stage_now(world.context, world.round_id, "coordinator", publish_now=True)
        assert closed.after is Stage.published
    sent = kinds_by_recipient(world)
    assert {local for local, kind in sent if kind == "report_published"} == {"anna", "ben", "cara"}
    assert not any(local == "dora" for local, kind in sent if kind in ("comment_invitation", "reply_reminder"))
    with Session(world.engine) as session:
        report = session.exec(
            select(PublishedReport).where(PublishedReport.format == "html", PublishedReport.language == "de")
        ).one()
    assert "Landkreis Talbach" in report.content.decode()  # her submitted self-assessment stays in the report


def test_the_withdraw_command_says_what_happens_asks_first_and_the_round_lists_the_withdrawn(
    round_world, configured, monkeypatch
):
    from prefect.client.orchestration import get_client

    from tests.support.commands import configure
    from workflows.cli import app, coordination

    world = round_world
    configure(monkeypatch, world)
    launch(world)
    command = ["participants", "withdraw", "fruehjahr-2027", "Dora@Talbach.example", "--reason", REASON]

    unattended = runner.invoke(app, command)
    assert unattended.exit_code == 1 and "not withdrawn: confirm with --yes" in unattended.output
    assert ("Withdrawing Dora Roth <Dora@Talbach.example> (Landkreis Talbach; respondent, reviewer) from "
            "fruehjahr-2027, now in stage submission:") in unattended.output  # fmt: skip
    assert "  - their personal link opens nothing from now on" in unattended.output
    assert "  - they have not begun their self-assessment: it is no longer waited for" in unattended.output
    assert f"who withdrew them and why: “{REASON}”" in unattended.output
    monkeypatch.setattr(coordination, "stdin_is_terminal", lambda: True)
    declined = runner.invoke(app, command, input="n\n")
    assert declined.exit_code == 1 and "not withdrawn; nothing changed" in declined.output
    assert enrolment_of(world, "dora").withdrawn_at is None

    withdrawn = runner.invoke(app, command, input="y\n")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert (
        "Dora Roth (Dora@Talbach.example) withdrawn from fruehjahr-2027: 1 link revoked, 0 unsent messages dropped."
        in withdrawn.output
    )
    assert "Round advanced here (no Prefect server runs)" in withdrawn.output
    assert withdrawn.output.splitlines()[-1].startswith("Next: ")
    assert enrolment_of(world, "dora").withdrawn_by == "coordinator (command line)"
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    names = [run.name for run in runs]
    dora = person(world, "dora")
    # The reason is free text: the Prefect server records it as stars, the round's history keeps it.
    withdrawing = next(run for run in runs if run.name.startswith(f"Round fruehjahr-2027 · participant {dora} "))
    assert withdrawing.parameters["reason"] == "**********" and REASON not in str(withdrawing.parameters)
    assert enrolment_of(world, "dora").withdrawal_reason == REASON
    assert (
        f"Round fruehjahr-2027 · participant {dora} withdrawn, 1 link(s) revoked (by coordinator (command line))"
        in (names)
    )

    twice = runner.invoke(app, [*command, "--yes"])
    assert twice.exit_code == 1 and "Dora@Talbach.example was withdrawn from fruehjahr-2027 already" in twice.output
    stranger = runner.invoke(app, ["participants", "withdraw", "fruehjahr-2027", "x@nowhere.example", "--reason", ""])
    assert stranger.exit_code == 1
    assert "x@nowhere.example takes no part in fruehjahr-2027; say why (--reason)" in " ".join(stranger.output.split())

    status = runner.invoke(app, ["status", "fruehjahr-2027"], catch_exceptions=False)
    assert status.exit_code == 0 and "0 of 3 submitted" in status.output
    lines = [" ".join(line.split()) for line in status.output.splitlines()]
    assert "Withdrawn: 1 (counted only for what they submitted)" in lines
    assert any(line.startswith("│ Dora Roth │ Landkreis Talbach │") and REASON in line for line in lines)
    shown = runner.invoke(app, ["round", "show", "fruehjahr-2027"], catch_exceptions=False)
    assert shown.exit_code == 0 and "3 (3 respondents, 3 reviewers)" in shown.output
    assert "1 (listed below)" in shown.output and "Dora Roth" in shown.output


def test_a_proposal_made_before_a_reviewer_was_withdrawn_is_made_again_before_it_is_confirmed(round_world):
    from review_model import clock
    from review_model.round_assignment import propose_assignment
    from workflows.coordinator_actions import ActionRefused, confirm_round_assignment

    world = round_world
    with Session(world.engine) as session:  # with Dora gone, three organisations: two reviewers for each
        session.get(Round, world.round_id).reviewers_per_submission = 2
        session.get(Enrolment, enrolment_of(world, "dora").id).min_reviews = 2  # the proposal has her review two
        session.commit()
    with freeze_time(submission_deadline(world) - timedelta(days=10), real_asyncio=True):
        launch(world)
        for message in world.received():
            submit_form(world, link_in(message))
        assert advance_round(world.context, world.round_id).stage_after is Stage.assignment
        withdrawn = withdraw(world, "dora")
        assert len(withdrawn.withdrawal.proposed_reviews) == 2 and withdrawn.withdrawal.reviews_open == ()
        with pytest.raises(ActionRefused, match="names a submission or reviewer no longer in the round"):
            confirm_round_assignment(world.context, world.round_id, "coordinator")
        with Session(world.engine) as session:  # what `spr assignment compute` does
            propose_assignment(session, session.get(Round, world.round_id), clock.now())
            session.commit()
        assert confirm_round_assignment(world.context, world.round_id, "coordinator") == 8
    dora = enrolment_of(world, "dora").id
    with Session(world.engine) as session:
        assignments = session.exec(select(ReviewAssignment)).all()
        hers = session.exec(select(Submission.id).where(Submission.enrolment_id == dora)).one()
    assert dora not in {a.reviewer_enrolment_id for a in assignments}
    assert sum(a.submission_id == hers for a in assignments) == 2  # her submitted self-assessment is still reviewed
