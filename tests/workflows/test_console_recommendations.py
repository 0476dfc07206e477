"""Recommendations edited, approved and rejected from the console run as the operations and flow runs of
`spr recommendations`: the store changes, the audit trail names the staff member, Prefect shows the runs, and
the right of reply opens once no draft is left."""

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import Session, col, select

from review_model.tables import AuditEvent, Recommendation, Round
from review_model.vocabulary import RecommendationStatus, Stage
from tests.support.console import flow_console
from tests.support.round_world import COORDINATOR, RoundWorld
from tests.support.staff import console_post, form_csrf
from tests.support.staged_rounds import bring_round_to
from workflows.console_actions import FlowActions
from workflows.coordinator_actions import ActionRefused
from workflows.prefect_server import PrefectApi

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
PAGE = "/console/rounds/fruehjahr-2027/recommendations"
ACTOR = f"{COORDINATOR} (console)"


@pytest.fixture
def world(world: RoundWorld) -> RoundWorld:
    """The round in its drafting stage, with the drafts its findings call for, and its staff."""
    bring_round_to(world.engine, world.round_id, Stage.drafting)
    return world


def stored(world: RoundWorld) -> list[Recommendation]:
    with Session(world.engine) as session:
        return list(session.exec(select(Recommendation).order_by(col(Recommendation.id))).all())


def flow_run_names() -> list[str]:
    with get_client(sync_client=True) as prefect:
        return [run.name for run in prefect.read_flow_runs()]


def test_a_coordinator_edits_approves_and_rejects_from_the_console(world: RoundWorld):
    drafts = stored(world)
    assert len(drafts) >= 3
    first, second, *rest = drafts
    edit = f"{PAGE}/{first.id}/edit"
    with flow_console(world, logged_in_as=COORDINATOR) as client:
        typed = {"text_de": "Neue Fassung\r\nZweite Zeile", "text_en": first.text_en or "", "priority": "3"}
        saved = client.post(edit, data={"csrf": form_csrf(client.get(edit).text), **typed}, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == PAGE
        page = client.get(PAGE).text
        assert f"Recommendation {first.id} edited (German text changed; English text is unchanged; priority" in page

        approved = console_post(client, f"{PAGE}/decide", page_path=PAGE, ids=f"{first.id},{second.id}",
                                decision="approve")  # fmt: skip
        assert approved.status_code == 303 and approved.headers["location"] == PAGE
        assert "2 recommendations approved." in client.get(PAGE).text
        with Session(world.engine) as session:
            assert session.exec(select(Round.stage)).one() is Stage.drafting  # drafts are left

        # An approved one edited goes back to draft, and says so.
        again = client.post(edit, data={"csrf": form_csrf(client.get(edit).text), "text_de": "Dritte Fassung",
                                        "text_en": "", "priority": "3"}, follow_redirects=False)  # fmt: skip
        assert again.status_code == 303
        assert "approve it again" in client.get(PAGE).text

        ids = ",".join(str(r.id) for r in [first, *rest])
        rejected = console_post(client, f"{PAGE}/decide", page_path=PAGE, ids=ids, decision="reject")
        assert rejected.status_code == 303
        page = client.get(PAGE).text
        assert f"{len(rest) + 1} recommendations rejected." in page
        assert "Round advanced here" in page  # no draft is left: the right of reply opened
    after = {r.id: r for r in stored(world)}
    assert (after[first.id].text_de, after[first.id].text_en, after[first.id].priority) == ("Dritte Fassung", None, 3)
    assert after[first.id].status is RecommendationStatus.rejected and after[first.id].decided_by == ACTOR
    assert after[second.id].status is RecommendationStatus.approved
    with Session(world.engine) as session:
        assert session.exec(select(Round.stage)).one() is Stage.comment
        events = session.exec(select(AuditEvent).where(AuditEvent.actor == ACTOR)).all()
        edited = [e for e in events if e.action == "recommendation edited"]
        assert len(edited) == 2 and edited[0].details["after"]["text_de"] == "Neue Fassung\nZweite Zeile"
    names = flow_run_names()
    assert any(f"recommendation {first.id} edited (by {ACTOR})" in name for name in names)
    assert any(f"recommendation {first.id} back to draft (by {ACTOR})" in name for name in names)
    assert any(f"2 recommendation(s) approved: {first.id}, {second.id} (by {ACTOR})" in name for name in names)


def test_what_the_edit_did_is_said_in_the_staff_members_language(world: RoundWorld):
    target = stored(world)[0]
    edit = f"{PAGE}/{target.id}/edit"
    with flow_console(world, language="de", logged_in_as=COORDINATOR) as client:
        typed = {"text_de": target.text_de, "text_en": "A new English wording", "priority": str(target.priority)}
        page = client.post(edit, data={"csrf": form_csrf(client.get(edit).text), **typed}).text  # the notice: once
        assert f"Empfehlung {target.id} bearbeitet (deutscher Text unverändert; englischer Text geändert)." in page
        unchanged = client.post(edit, data={"csrf": form_csrf(client.get(edit).text), **typed})
        assert f"Empfehlung {target.id}: nichts geändert." in unchanged.text


def test_the_operation_refuses_what_the_flow_refuses_with_every_reason(world: RoundWorld):
    target = stored(world)[0]
    actions = FlowActions(PrefectApi(None))
    with pytest.raises(ActionRefused) as refused:
        actions.edit_recommendation(world.round_id, "fruehjahr-2027", target.id, ACTOR, "en", de=" ",
                                    remove_quotes=[5])  # fmt: skip
    no_quote, empty = refused.value.reasons
    assert "there is no quote 5" in no_quote and "German text cannot be empty" in empty
    assert stored(world)[0].text_de == target.text_de
