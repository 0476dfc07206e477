"""The console's assignment and review actions run as the coordinator operations and their flow runs, as
`spr assignment swap`, `spr assignment confirm` and `spr round remind` do: a swap refused for a rule names it
in the staff member's language and changes nothing, a swap accepted is made and confirmed again, confirming
opens the review stage with one request per reviewer, reminding one reviewer or all with open reviews queues
exactly the reminders the page counted; an observer changes nothing."""

from datetime import timedelta

from prefect.client.orchestration import get_client
from sqlmodel import Session, col, select

from notifications.message_kinds import ReviewReminder, ReviewRequest
from review_model import clock
from review_model.tables import (
    AuditEvent,
    ConflictDeclaration,
    Enrolment,
    OutboxMessage,
    Participant,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import AssignmentOrigin, Stage
from tests.support.console import flow_console
from tests.support.round_world import COORDINATOR, RoundWorld
from tests.support.staff import OBSERVER, console_post, form_csrf
from tests.support.staged_rounds import bring_round_to

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/fruehjahr-2027"
ASSIGNMENT = f"{ROUND}/assignment"
EMAIL_DOMAINS = {"ben": "nordhaven.example", "cara": "elbstein.example", "dora": "talbach.example"}


def people(world: RoundWorld) -> dict[str, tuple[int, int]]:
    """(participant id, enrolment id) by the local part of each person's address."""
    with Session(world.engine) as session:
        rows = session.exec(
            select(Participant.email, Participant.id, Enrolment.id).join(
                Enrolment, col(Enrolment.participant_id) == Participant.id
            )
        ).all()
    return {email.split("@")[0]: (person, enrolment) for email, person, enrolment in rows}


def assignments(world: RoundWorld) -> list[ReviewAssignment]:
    with Session(world.engine) as session:
        return list(session.exec(select(ReviewAssignment).order_by(col(ReviewAssignment.id))).all())


def submission_of(world: RoundWorld, who: str) -> tuple[int, list[str]]:
    """The submission of `who`'s self-assessment and the local parts of its reviewers."""
    by_enrolment = {enrolment: name for name, (_person, enrolment) in people(world).items()}
    with Session(world.engine) as session:
        submission = session.exec(select(Submission.id).where(Submission.enrolment_id == people(world)[who][1])).one()
    return submission, sorted(by_enrolment[a.reviewer_enrolment_id] for a in assignments(world)
                              if a.submission_id == submission)  # fmt: skip


def queued(world: RoundWorld, kind: str) -> int:
    with Session(world.engine) as session:
        return len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


def test_a_swap_refused_for_a_rule_names_it_in_german_and_changes_nothing(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.assignment, reviewers_per_party=2)
    submission, on = submission_of(world, "anna")
    before = [(a.submission_id, a.reviewer_enrolment_id) for a in assignments(world)]
    ids = people(world)
    with flow_console(world, language="de", logged_in_as=COORDINATOR) as client:
        swap = {"submission": str(submission), "remove": str(ids[on[0]][0]), "add": str(ids["anna"][0])}
        refused = console_post(client, f"{ASSIGNMENT}/swap", f"{ASSIGNMENT}/swap?submission={submission}", **swap)
    assert refused.status_code == 422
    text = " ".join(refused.text.split())
    assert "Nichts wurde geändert" in text
    assert "eigene Organisation: anna@auenburg.example gehört zu Stadt Auenburg" in text
    assert [(a.submission_id, a.reviewer_enrolment_id) for a in assignments(world)] == before


def test_a_swap_is_made_and_then_the_assignment_is_confirmed_with_one_request_per_reviewer(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.assignment, reviewers_per_party=2)
    submission, on = submission_of(world, "anna")
    left = ({"ben", "cara", "dora"} - set(on)).pop()  # the one reviewer not on Anna's party yet
    ids = people(world)
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        form = client.get(f"{ASSIGNMENT}/swap?submission={submission}").text
        assert f'<option value="{ids[left][0]}">' in form  # offered
        swap = {"submission": str(submission), "remove": str(ids[on[0]][0]), "add": str(ids[left][0])}
        swapped = console_post(client, f"{ASSIGNMENT}/swap", f"{ASSIGNMENT}/swap?submission={submission}", **swap)
        assert swapped.status_code == 303 and swapped.headers["location"] == ASSIGNMENT
        page = " ".join(client.get(ASSIGNMENT).text.split())
        assert f"{left}@" in page and "instead of" in page and "confirm the assignment again" in page
        assert submission_of(world, "anna")[1] == sorted([on[1], left])
        manual = [a for a in assignments(world) if a.origin is AssignmentOrigin.manual]
        assert [(a.submission_id, a.reviewer_enrolment_id) for a in manual] == [(submission, ids[left][1])]

        reviewers = len({a.reviewer_enrolment_id for a in assignments(world)})
        asking = " ".join(client.get(f"{ASSIGNMENT}/confirm").text.split())
        assert f"The assignment asks 8 reviews of {reviewers} reviewers, for 4 reviewed parties." in asking
        assert f"{reviewers} review requests go out" in asking
        confirmed = console_post(client, f"{ASSIGNMENT}/confirm")
        assert confirmed.status_code == 303 and confirmed.headers["location"] == ASSIGNMENT
        assert "The assignment is confirmed: 8 reviews." in client.get(ASSIGNMENT).text
    assert all(a.confirmed_at is not None for a in assignments(world))
    with Session(world.engine) as session:
        assert session.exec(select(Round.stage)).one() is Stage.review
        events = {(e.action, e.actor) for e in session.exec(select(AuditEvent))}
    assert ("reviewer swapped", f"{COORDINATOR} (console)") in events
    assert ("assignment confirmed", f"{COORDINATOR} (console)") in events
    assert queued(world, ReviewRequest.kind) == reviewers  # one request each, as the page said
    with get_client(sync_client=True) as prefect:
        names = [run.name for run in prefect.read_flow_runs()]
    assert any(name.startswith("Round fruehjahr-2027 · reviewer of submission") for name in names)
    assert any("review assignments confirmed" in name and f"{COORDINATOR} (console)" in name for name in names)


def test_a_confirmation_refused_names_each_rule_broken_in_german(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.assignment, reviewers_per_party=2)
    _submission, on = submission_of(world, "anna")
    with Session(world.engine) as session:  # a conflict of interest declared since the proposal
        auenburg = session.exec(select(Participant.organisation_id).where(Participant.id == people(world)["anna"][0]))
        session.add(ConflictDeclaration(participant_id=people(world)[on[0]][0], organisation_id=auenburg.one()))
        session.commit()
    with flow_console(world, language="de", logged_in_as=COORDINATOR) as client:
        refused = console_post(client, f"{ASSIGNMENT}/confirm")
        assert refused.status_code == 303 and refused.headers["location"] == ASSIGNMENT
        text = " ".join(client.get(ASSIGNMENT).text.split())
    assert (f"erklärter Interessenkonflikt: {on[0]}@{EMAIL_DOMAINS[on[0]]} hat einen Interessenkonflikt mit Stadt "
            "Auenburg erklärt") in text  # fmt: skip
    assert all(a.confirmed_at is None for a in assignments(world))
    with Session(world.engine) as session:
        assert session.exec(select(Round.stage)).one() is Stage.assignment


def test_reminding_one_reviewer_and_every_reviewer_with_open_reviews(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.review, reviewed=["anna"])
    ids = people(world)
    try:
        with flow_console(world, logged_in_as=COORDINATOR) as client:
            one = console_post(client, f"{ROUND}/reviews/remind/{ids['ben'][0]}")
            assert one.status_code == 303 and one.headers["location"] == f"{ROUND}/reviews"
            assert "1 reminder queued (peer review stage)." in client.get(f"{ROUND}/reviews").text
            assert queued(world, ReviewReminder.kind) == 1
            # A second later: a reminder on demand goes out once per moment (Ben's would be the same one again).
            clock.travel_to(clock.now() + timedelta(seconds=1))
            asking = " ".join(client.get(f"{ROUND}/reviews/remind").text.split())
            assert "A reminder goes out now to each of 3 reviewers" in asking  # everyone but Anna, who is done
            every = console_post(client, f"{ROUND}/reviews/remind")
            assert every.status_code == 303
            assert "3 reminders queued (peer review stage)." in client.get(f"{ROUND}/reviews").text
            page = client.get(f"{ROUND}/reviews").text
    finally:
        clock.back_to_real_time()
    assert queued(world, ReviewReminder.kind) == 4
    ben = page.split("Ben Hansen")[1].split("</tr>")[0]
    assert "2 reminders to review; last reminded on" in ben


def test_an_observer_changes_nothing(world: RoundWorld):
    bring_round_to(world.engine, world.round_id, Stage.assignment, reviewers_per_party=2)
    submission, on = submission_of(world, "anna")
    before = [(a.submission_id, a.reviewer_enrolment_id, a.confirmed_at) for a in assignments(world)]
    with flow_console(world, logged_in_as=OBSERVER) as client:
        csrf = form_csrf(client.get(ASSIGNMENT).text)
        swap = {"csrf": csrf, "submission": str(submission), "remove": str(people(world)[on[0]][0]), "add": "1"}
        assert client.post(f"{ASSIGNMENT}/swap", data=swap, follow_redirects=False).status_code == 403
        assert client.post(f"{ASSIGNMENT}/confirm", data={"csrf": csrf}, follow_redirects=False).status_code == 403
        assert client.post(f"{ROUND}/reviews/remind", data={"csrf": csrf}, follow_redirects=False).status_code == 403
    assert [(a.submission_id, a.reviewer_enrolment_id, a.confirmed_at) for a in assignments(world)] == before
    with Session(world.engine) as session:
        assert session.exec(select(Round.stage)).one() is Stage.assignment
