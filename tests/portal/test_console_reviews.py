"""The console's reviews page without Prefect: progress per reviewed party and per reviewer, those behind
first, a page at a time; the pages that ask before reminding one reviewer or every reviewer with reviews open,
with the exact count; no reminder once the deadline has passed; and who may do what.

The coordinator operations are recorded here, not run (tests/workflows/test_console_assignment.py runs them
as flows)."""

import re
from collections import Counter
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.console import paging
from review_model import clock
from review_model.reminder_opt_out import stop_reminders
from review_model.tables import Enrolment, Participant, ReviewAssignment, Round
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import RecordedActions, console_client
from tests.support.staff import COORDINATOR, OBSERVER, console_post, form_csrf, round_staff, staff_member
from tests.support.staged_rounds import StagedRound, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/staged-round"
PAGE = f"{ROUND}/reviews"


@pytest.fixture
def reviewing(engine: Engine) -> StagedRound:
    """A round in its review stage in which Anna has submitted her reviews and nobody else; a coordinator and an
    observer named for it."""
    staged = round_in_stage(engine, Stage.review, reviewed=["anna"])
    round_staff(engine, staged.slug)
    return staged


def loads(engine: Engine) -> Counter[str]:
    """The reviews asked of each reviewer, by the local part of their address."""
    with Session(engine) as session:
        emails = session.exec(
            select(Participant.email)
            .join(Enrolment, Enrolment.participant_id == Participant.id)
            .join(ReviewAssignment, ReviewAssignment.reviewer_enrolment_id == Enrolment.id)
        ).all()
    return Counter(email.split("@")[0] for email in emails)


def participant_id(engine: Engine, who: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Participant.id).where(Participant.email.startswith(f"{who}@"))).one()


def row_names(text: str, heading: str) -> list[str]:
    """The row headings of the table after `heading`, in order."""
    table = text.split(heading, 1)[1].split("</table>")[0]
    return re.findall(r'<th scope="row"[^>]*>([^<(]+?)\s*(?:<|\()', table)


def test_the_reviews_per_party_and_per_reviewer_those_behind_first(engine: Engine, reviewing: StagedRound):
    asked = loads(engine)
    behind = sorted(who for who in asked if who != "anna")
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "<h1>Reviews</h1>" in text
    open_ = sum(asked.values()) - asked["anna"]
    assert f"{sum(asked.values())} asked for, {asked['anna']} submitted, {open_} open, 0 late" in text
    # By reviewer: those with open reviews first (by name), then Anna, who is done.
    names = [reviewing[who].name for who in behind] + ["Anna Keller"]
    assert row_names(text, 'id="reviewers"') == names
    assert sorted(row_names(text, 'id="parties"')) == sorted(
        person.organisation for person in reviewing.people.values()
    )
    for who in behind:
        assert f'href="{PAGE}/remind/{participant_id(engine, who)}"' in text
    assert f'href="{PAGE}/remind/{participant_id(engine, "anna")}"' not in text
    assert f"Remind all {len(behind)} reviewers with open reviews…" in text
    assert "never reminded" in text


def test_a_reviewer_reminded_only_of_their_self_assessment_is_never_reminded_to_review(
    engine: Engine, reviewing: StagedRound
):
    who = next(who for who in sorted(loads(engine)) if who != "anna")
    with Session(engine) as session:
        enrolment = session.get(Enrolment, reviewing[who].enrolment_id)
        enrolment.reminders_sent, enrolment.last_reminded_at = 1, clock.now() - timedelta(days=20)
        session.commit()
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        text = " ".join(client.get(PAGE).text.split())
    row = text.split(f">{reviewing[who].name}")[1].split("</tr>")[0]
    assert "never reminded" in row and "reminders to review" not in row


def test_the_reviews_in_german(engine: Engine, reviewing: StagedRound):
    with console_client(engine, actions=RecordedActions(), language="de", logged_in_as=COORDINATOR) as client:
        text = " ".join(client.get(PAGE).text.split())
    assert "<h1>Gutachten</h1>" in text and "Je begutachteter Organisation" in text and "Je gutachtender Person" in text
    assert "nie erinnert" in text and "Begutachtungsfrist" in text
    assert re.search(r"Alle \d Gutachtenden mit offenen Gutachten erinnern…", text)


def test_reminding_one_reviewer_asks_first_and_names_them(engine: Engine, reviewing: StagedRound):
    actions = RecordedActions()
    ben, asked = participant_id(engine, "ben"), loads(engine)["ben"]
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        asking = client.get(f"{PAGE}/remind/{ben}")
        assert actions.calls == []  # asking changes nothing
        text = " ".join(asking.text.split())
        assert "<h1>Remind Ben Hansen now</h1>" in text
        assert f"A reminder goes out now to Ben Hansen (Hansestadt Nordhaven), listing their {asked} open" in text
        done = console_post(client, f"{PAGE}/remind/{ben}")
        assert done.status_code == 303 and done.headers["location"] == PAGE
        assert "Reminded." in client.get(PAGE).text
    assert actions.calls == [
        ("remind", (reviewing.round_id, "staged-round", ben, f"{COORDINATOR} (console)", "en"), {})
    ]


def test_someone_who_is_done_or_reviews_nothing_is_not_reminded(engine: Engine, reviewing: StagedRound):
    actions = RecordedActions()
    anna = participant_id(engine, "anna")
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        assert "Anna Keller has no review open." in client.get(f"{PAGE}/remind/{anna}").text
        assert "Nobody of that number reviews in this round." in client.get(f"{PAGE}/remind/999999").text
        refused = console_post(client, f"{PAGE}/remind/{anna}", PAGE)
        assert refused.status_code == 303
        assert "Anna Keller has no review open." in client.get(PAGE).text  # the notice
    assert actions.calls == []


def test_reminding_every_reviewer_with_open_reviews_gives_the_exact_count(engine: Engine, reviewing: StagedRound):
    actions = RecordedActions()
    asked = loads(engine)
    behind = [who for who in asked if who != "anna"]
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        text = " ".join(client.get(f"{PAGE}/remind").text.split())
        reviews = sum(asked[who] for who in behind)
        assert (f"Jetzt geht eine Erinnerung an jede von {len(behind)} gutachtenden Personen mit zusammen {reviews} "
                "offenen Gutachten") in text  # fmt: skip
        assert console_post(client, f"{PAGE}/remind").status_code == 303
    assert actions.calls == [
        ("remind", (reviewing.round_id, "staged-round", None, f"{COORDINATOR} (console)", "de"), {})
    ]


def test_after_the_review_deadline_the_late_come_first_and_nobody_is_reminded(engine: Engine, reviewing):
    actions = RecordedActions()
    asked = loads(engine)
    with Session(engine) as session:
        deadline = session.exec(select(Round.review_deadline)).one()
    ben = participant_id(engine, "ben")
    with (
        freeze_time(deadline + timedelta(minutes=1)),
        console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client,
    ):
        text = " ".join(client.get(PAGE).text.split())
        late = sum(asked.values()) - asked["anna"]
        assert f"{sum(asked.values())} asked for, {asked['anna']} submitted, {late} open, {late} late" in text
        assert "(passed)" in text and "the open reviews are late" in text
        assert row_names(text, 'id="reviewers"')[-1] == "Anna Keller"  # the one not late, last
        assert f"<strong>{asked['ben']}</strong>" in text.split("Ben Hansen")[1].split("</tr>")[0]
        assert "/remind" not in text.split("<main")[1]  # no reminder offered
        reason = "The review deadline has passed: the review form takes no more reviews"
        assert reason in client.get(f"{PAGE}/remind").text
        assert reason in client.get(f"{PAGE}/remind/{ben}").text
        assert console_post(client, f"{PAGE}/remind/{ben}", PAGE).status_code == 303
        assert console_post(client, f"{PAGE}/remind", PAGE).status_code == 303
        assert reason in client.get(PAGE).text
    assert actions.calls == []


def test_long_lists_come_a_page_at_a_time(engine: Engine, reviewing: StagedRound, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        first = client.get(PAGE).text
        last = client.get(f"{PAGE}?reviewers=99").text
    reviewers = len(loads(engine))
    assert len(row_names(first, 'id="reviewers"')) == 1 and f"Rows 1 to 1 of {reviewers}" in first
    assert f'href="{PAGE}?reviewers=2#reviewers"' in first and f'href="{PAGE}?parties=2#parties"' in first
    assert row_names(last, 'id="reviewers"') == ["Anna Keller"]  # past the end: the last page
    assert f"Rows {reviewers} to {reviewers} of {reviewers}" in last


def test_an_observer_reads_the_reviews_but_reminds_nobody(engine: Engine, reviewing: StagedRound):
    actions = RecordedActions()
    ben = participant_id(engine, "ben")
    with console_client(engine, actions=actions, logged_in_as=OBSERVER) as client:
        page = client.get(PAGE)
        assert page.status_code == 200 and "Ben Hansen" in page.text and f"{PAGE}/remind" not in page.text
        csrf = form_csrf(page.text)  # the logout form's: a valid token of the observer's session
        one = client.post(f"{PAGE}/remind/{ben}", data={"csrf": csrf}, follow_redirects=False)
        every = client.post(f"{PAGE}/remind", data={"csrf": csrf}, follow_redirects=False)
    assert one.status_code == 403 and every.status_code == 403
    assert actions.calls == []


def test_before_the_review_stage_no_review_is_asked_for(engine: Engine):
    staged = round_in_stage(engine, Stage.assignment)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        text = client.get(PAGE).text
        remind = client.get(f"{PAGE}/remind").text
    assert "No review is asked for yet" in text
    assert "Reviewers are reminded in the peer review stage; the round is in the reviewer assignment stage." in remind


def test_a_reviewer_who_stopped_their_reminders_is_shown_so_and_left_out_of_reminders(
    engine: Engine, reviewing: StagedRound
):
    actions = RecordedActions()
    asked = loads(engine)
    ben = participant_id(engine, "ben")
    with Session(engine) as session:
        stop_reminders(session, session.exec(select(Enrolment).where(Enrolment.participant_id == ben)).one(),
                       clock.now())  # fmt: skip
        session.commit()
    behind = [who for who in asked if who not in ("anna", "ben")]
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        page = " ".join(client.get(PAGE).text.split())
        assert 'Ben Hansen <span class="meta">(Hansestadt Nordhaven, stopped reminders)</span>' in page
        assert f"{PAGE}/remind/{ben}" not in page
        one = client.get(f"{PAGE}/remind/{ben}").text
        assert "Ben Hansen stopped their reminders of this round: no reminder goes to them." in one
        everyone = " ".join(client.get(f"{PAGE}/remind").text.split())
        assert len(behind) == 1 and "A reminder goes out now to 1 reviewer with" in everyone
        assert "1 reviewer with open reviews is left out: they stopped their reminders." in everyone
        refused = console_post(client, f"{PAGE}/remind/{ben}", PAGE)
        assert refused.status_code == 303
    assert actions.calls == []
