"""The console's assignment pages without Prefect: the assignment per reviewed party (organisation, kind,
Land, the affinity in words) and per reviewer (load against the bounds), the swap form with those who may be
put on, a refused swap shown with each rule's reason in the staff member's language, the page that asks
before confirming, and who may do what.

The coordinator operations are recorded here, not run (tests/workflows/test_console_assignment.py runs them
as flows)."""

import re

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from config.translations import N_
from portal.console import paging
from review_model import clock
from review_model.refusals import Reason
from review_model.round_assignment import AssignmentRefused, propose_assignment
from review_model.tables import Participant, ReviewAssignment, ReviewPreference, Round
from review_model.vocabulary import StaffRole, Stage
from tests.support.console import RecordedActions, console_client
from tests.support.staff import COORDINATOR, OBSERVER, console_post, form_csrf, round_staff, staff_member
from tests.support.staged_rounds import StagedRound, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/staged-round"
PAGE = f"{ROUND}/assignment"


@pytest.fixture
def proposed(engine: Engine) -> StagedRound:
    """A round in its assignment stage, its proposal made after Anna and Ben declared fields of action and Ben
    asked to review Elbstein; a coordinator and an observer named for it."""
    staged = round_in_stage(engine, Stage.assignment)
    with Session(engine) as session:
        people = {p.email.split("@")[0]: p for p in session.exec(select(Participant)).all()}
        people["anna"].expertise = ["mobilitaet", "energie"]
        people["ben"].expertise = ["mobilitaet", "verwaltung"]
        people["cara"].expertise = ["mobilitaet"]
        session.add(ReviewPreference(participant_id=people["ben"].id, organisation_id=people["cara"].organisation_id))
        session.commit()
        propose_assignment(session, session.exec(select(Round)).one(), clock.now())
        session.commit()
    round_staff(engine, staged.slug)
    return staged


def pairs(engine: Engine) -> set[tuple[int, int]]:
    with Session(engine) as session:
        return {(a.submission_id, a.reviewer_enrolment_id) for a in session.exec(select(ReviewAssignment)).all()}


def reviewers_of(engine: Engine, staged: StagedRound, who: str) -> list[str]:
    """The local parts of the reviewers of `who`'s self-assessment."""
    by_enrolment = {p.enrolment_id: name for name, p in staged.people.items()}
    return sorted(by_enrolment[r] for s, r in pairs(engine) if s == staged[who].submission_id)


def test_the_assignment_per_party_and_per_reviewer_in_english(engine: Engine, proposed: StagedRound):
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "<h1>Reviewer assignment</h1>" in text
    # Dora's Talbach is the one district: she fits no town's party, and reviews none.
    assert "Proposed, not confirmed yet: 8 reviews, 4 reviewed parties, 3 reviewers with reviews." in text
    for organisation, kind, land in (("Stadt Auenburg", "Municipality", "Bayern"),
                                     ("Landkreis Talbach", "Region/district", "Baden-Württemberg")):  # fmt: skip
        assert f'{organisation} <span class="meta">({kind}, {land})</span></h3>' in text
    elbstein = text.split('Stadt Elbstein <span class="meta">')[1].split("</table>")[0]
    assert (  # Ben shares one of the two fields he and Cara declared, is of her kind, and asked for Elbstein
        '<th scope="row" data-column="Reviewer">Ben Hansen</th> <td data-column="Organisation">Hansestadt Nordhaven'
        '</td> <td data-column="Kind">Municipality</td> <td data-column="Land">Schleswig-Holstein</td> '
        '<td data-column="Affinity"><strong>0.70</strong>: 1 of 2 fields of action in common (mobilitaet); same '
        "kind of organisation; asked to review this organisation</td>"
    ) in elbstein
    talbach = text.split('Landkreis Talbach <span class="meta">')[1].split("</table>")[0]
    assert talbach.count("<strong>0.00</strong>: no field of action in common (of ") == 2
    assert talbach.count("declared); another kind of organisation</td>") == 2
    dora = text.split('data-column="Reviewer">Dora Roth</th>')[1].split("</tr>")[0]
    assert '<td data-column="Reviews" class="number">0</td> <td data-column="Bounds">0 to 4</td>' in dora
    assert text.count('data-column="Bounds">0 to 4</td>') == 4  # the round's bounds
    assert "(outside its bounds)" not in text
    assert f'href="{PAGE}/confirm"' in text
    assert f'href="{PAGE}/swap?submission={proposed["anna"].submission_id}"' in text


def test_the_assignment_in_german(engine: Engine, proposed: StagedRound):
    with console_client(engine, actions=RecordedActions(), language="de", logged_in_as=COORDINATOR) as client:
        text = " ".join(client.get(PAGE).text.split())
    assert "<h1>Zuordnung der Gutachtenden</h1>" in text
    assert "Vorgeschlagen, noch nicht bestätigt: 8 Gutachten, 4 begutachtete Organisationen, 3 gutachtende " \
           "Personen mit Gutachten." in text  # fmt: skip
    assert "(Kommune, Bayern)" in text and "(Region/Landkreis, Baden-Württemberg)" in text
    assert "<strong>0,70</strong>: 1 von 2 Handlungsfeldern gemeinsam (mobilitaet); gleiche Art von Organisation; " \
           "hat gebeten, diese Organisation zu begutachten" in text  # fmt: skip
    assert "andere Art von Organisation" in text and ">0 bis 4</td>" in text
    assert "Je begutachteter Organisation" in text and "Je gutachtender Person" in text


def test_a_load_outside_its_bounds_is_marked(engine: Engine, proposed: StagedRound):
    with Session(engine) as session:
        session.exec(select(Round)).one().max_reviews_per_reviewer = 1  # changed since the proposal
        session.commit()
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        text = client.get(PAGE).text
    assert text.count("(outside its bounds)") == 3 and text.count(">0 to 1</td>") == 4  # Dora has none


def test_long_lists_come_a_page_at_a_time(engine: Engine, proposed: StagedRound, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        first = client.get(PAGE).text
        second = client.get(f"{PAGE}?parties=2&reviewers=2").text
    assert "Rows 1 to 3 of 4 (page 1 of 2)" in first and f'href="{PAGE}?parties=2#parties"' in first
    assert first.count("<h3 ") == 3 and second.count("<h3 ") == 1
    assert "Rows 4 to 4 of 4 (page 2 of 2)" in second and "?reviewers=2&amp;parties=1#parties" in second
    assert "Stadt Elbstein <span" not in first and "Stadt Elbstein <span" in second  # by name, the last party


def test_the_swap_form_offers_those_who_may_review_the_party(engine: Engine, proposed: StagedRound):
    anna = proposed["anna"]
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        page = client.get(f"{PAGE}/swap?submission={anna.submission_id}")
        unknown = client.get(f"{PAGE}/swap?submission=999999")
    assert page.status_code == 200 and unknown.status_code == 404
    remove = re.search(r'<select id="remove".*?</select>', page.text, re.S).group(0)
    add = re.search(r'<select id="add".*?</select>', page.text, re.S).group(0)
    on = reviewers_of(engine, proposed, "anna")
    assert sorted(re.findall(r"<option value=\"(\d+)\"", remove)) == sorted(
        str(participant_id(engine, proposed[who].email)) for who in on
    )
    # Four reviewers: Anna (her own), the two on her party already (Ben and Cara), and Dora, who is offered.
    assert on == ["ben", "cara"]
    assert re.findall(r"<option value=\"(\d+)\"", add) == [str(participant_id(engine, proposed["dora"].email))]
    assert ">Dora Roth (Landkreis Talbach, Region/district, Baden-Württemberg) – 0 reviews, 0 to 4</option>" in add


def participant_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Participant.id).where(Participant.email == email)).one()


def test_a_refused_swap_names_each_rule_in_the_staff_members_language(engine: Engine, proposed: StagedRound):
    reasons = [Reason(N_("own organisation: {reviewer} belongs to {submission}"), reviewer="anna@auenburg.example",
                      submission="Stadt Auenburg"),
               Reason(N_("max_load: {reviewer} would have {load} reviews, at most {most}"),
                      reviewer="anna@auenburg.example", load=5, most=4)]  # fmt: skip
    actions = RecordedActions(refusals={"swap_reviewer": AssignmentRefused(reasons)})
    anna, removed = proposed["anna"], reviewers_of(engine, proposed, "anna")[0]
    swap = f"{PAGE}/swap?submission={anna.submission_id}"
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        refused = console_post(client, f"{PAGE}/swap", swap, submission=str(anna.submission_id),
                               remove=str(participant_id(engine, proposed[removed].email)),
                               add=str(participant_id(engine, anna.email)))  # fmt: skip
    assert refused.status_code == 422
    text = refused.text
    assert "eigene Organisation: anna@auenburg.example gehört zu Stadt Auenburg" in text
    assert "max_load: anna@auenburg.example hätte 5 Begutachtungen, höchstens 4" in text
    assert "Nichts wurde geändert" in text
    # what was chosen stays chosen
    assert f'<option value="{participant_id(engine, proposed[removed].email)}" selected>' in text
    assert actions.calls[0][1][:5] == (proposed.round_id, "staged-round", anna.submission_id,
                                       participant_id(engine, proposed[removed].email),
                                       participant_id(engine, anna.email))  # fmt: skip


def test_a_swap_is_run_with_the_people_chosen_and_returns_to_the_assignment(engine: Engine, proposed: StagedRound):
    actions = RecordedActions()
    anna = proposed["anna"]
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        missing = console_post(client, f"{PAGE}/swap", f"{PAGE}/swap?submission={anna.submission_id}",
                               submission=str(anna.submission_id), remove="", add="")  # fmt: skip
        assert missing.status_code == 422 and actions.calls == []
        assert "Choose the reviewer to take off." in missing.text and "Choose the reviewer to put on." in missing.text
        done = console_post(client, f"{PAGE}/swap", f"{PAGE}/swap?submission={anna.submission_id}",
                            submission=str(anna.submission_id), remove="1", add="2")  # fmt: skip
        assert done.status_code == 303 and done.headers["location"] == PAGE
        assert "Swapped." in client.get(PAGE).text
    ((name, args, kwargs),) = actions.calls
    assert name == "swap_reviewer" and args == (proposed.round_id, "staged-round", anna.submission_id, 1, 2,
                                                f"{COORDINATOR} (console)", "en") and kwargs == {}  # fmt: skip


def test_confirming_asks_first_saying_how_many_requests_go_to_how_many_reviewers(engine: Engine, proposed):
    actions = RecordedActions()
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        asking = client.get(f"{PAGE}/confirm")
        assert actions.calls == []  # asking changes nothing
        text = " ".join(asking.text.split())
        assert "The assignment asks 8 reviews of 3 reviewers, for 4 reviewed parties." in text
        assert "3 review requests go out, one to each reviewer" in text
        confirmed = console_post(client, f"{PAGE}/confirm")
        assert confirmed.status_code == 303 and confirmed.headers["location"] == PAGE
    assert actions.calls == [("confirm_assignment", (proposed.round_id, "staged-round",
                                                     f"{COORDINATOR} (console)", "en"), {})]  # fmt: skip
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        text = " ".join(client.get(f"{PAGE}/confirm").text.split())
    assert "Die Zuordnung erbittet 8 Gutachten von 3 Gutachtenden für 4 begutachtete Organisationen." in text


def test_after_the_assignment_stage_nothing_is_swapped_or_confirmed(engine: Engine):
    staged = round_in_stage(engine, Stage.review)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        page = client.get(PAGE).text
        swap = client.get(f"{PAGE}/swap?submission={staged['anna'].submission_id}").text
        confirm = client.get(f"{PAGE}/confirm").text
    assert "Confirmed: 8 reviews" in " ".join(page.split()) and "/swap?" not in page and "/confirm" not in page
    stage = (
        "The assignment is changed and confirmed in the reviewer assignment stage; the round is in the peer "
        "review stage."
    )
    assert stage in swap and '<select id="add"' not in swap
    assert stage in confirm and f'<form method="post" action="{PAGE}/confirm"' not in confirm


def test_before_a_proposal_the_page_says_so(engine: Engine):
    staged = round_in_stage(engine, Stage.submission)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        text = client.get(PAGE).text
        confirm = client.get(f"{PAGE}/confirm").text
    assert "No reviewer is assigned yet." in text and "The round has no reviewer taking part." not in text
    assert "The assignment is changed and confirmed in the reviewer assignment stage" in confirm


def test_an_observer_reads_the_assignment_but_changes_nothing(engine: Engine, proposed: StagedRound):
    actions = RecordedActions()
    anna = proposed["anna"]
    with console_client(engine, actions=actions, logged_in_as=OBSERVER) as client:
        page = client.get(PAGE)
        assert page.status_code == 200 and "Stadt Auenburg" in page.text
        assert "/swap?" not in page.text and f'href="{PAGE}/confirm"' not in page.text
        form = client.get(f"{PAGE}/swap?submission={anna.submission_id}")
        assert form.status_code == 200 and f'<form method="post" action="{PAGE}/swap"' not in form.text
        csrf = form_csrf(page.text)  # the logout form's: a valid token of the observer's session
        swap = client.post(f"{PAGE}/swap", data={"csrf": csrf, "submission": str(anna.submission_id), "remove": "1",
                                                 "add": "2"}, follow_redirects=False)  # fmt: skip
        confirm = client.post(f"{PAGE}/confirm", data={"csrf": csrf}, follow_redirects=False)
    assert swap.status_code == 403 and confirm.status_code == 403
    assert actions.calls == []


def test_a_coordinator_of_another_round_does_not_see_it(engine: Engine, proposed: StagedRound):
    other = round_in_stage(engine, Stage.draft, slug="other-round")
    staff_member(engine, "andere@land.example", StaffRole.coordinator, rounds=[other.slug])
    with console_client(engine, actions=RecordedActions(), logged_in_as="andere@land.example") as client:
        assert client.get(PAGE).status_code == 404
        assert client.get(f"{PAGE}/swap?submission={proposed['anna'].submission_id}").status_code == 404
