"""The console's recommendations pages without Prefect: the list with both texts and the evidence, the draft
report, the page that asks before deciding, the edit form that keeps what was typed, and who may do what.

The coordinator operations are recorded here, not run (tests/workflows/test_console_recommendations.py runs
them as flows)."""

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from markupsafe import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from config.translations import N_
from review_model.refusals import Reason, Refused
from review_model.tables import Recommendation, Round
from review_model.vocabulary import ActionLevel, RecommendationStatus, StaffRole, Stage
from tests.support.answers import HOSTILE
from tests.support.console import RecordedActions, console_client
from tests.support.staff import COORDINATOR, OBSERVER, console_post, form_csrf, log_in, round_staff, staff_member
from tests.support.staged_rounds import StagedRound, bring_round_to, round_in_stage

ONE_DATABASE = "the pages and actions of the console; their queries and operations are tested on both databases"
ROUND = "/console/rounds/staged-round"
PAGE = f"{ROUND}/recommendations"
# Every peer writes the same comment beside one rating: the recommendation on mobility quotes it.
REVIEW_COMMENTS = {"mobilitaet.teilhabe/comment": f"Kaum Beteiligung {HOSTILE}"}


@pytest.fixture
def drafted(engine: Engine) -> StagedRound:
    """A round in its drafting stage with its drafts, a coordinator and an observer named for it."""
    staged = round_in_stage(engine, Stage.drafting, review_comments=REVIEW_COMMENTS)
    round_staff(engine, staged.slug)
    return staged


def recommendations(engine: Engine) -> list[Recommendation]:
    with Session(engine) as session:
        return list(session.exec(select(Recommendation).order_by(col(Recommendation.id))).all())


def quoted(engine: Engine) -> Recommendation:
    """The recommendation whose evidence quotes the reviewers' comment."""
    return next(r for r in recommendations(engine) if r.evidence.get("quotes"))


def shown(text: str | None) -> str:
    """A text as a page shows it (escaped)."""
    return str(escape(text or ""))


def main_of(page: str) -> str:
    return page.split('<main id="main">')[1]


def test_the_list_shows_each_recommendation_by_level_with_both_texts_and_its_evidence(
    engine: Engine, drafted: StagedRound, actions: RecordedActions
):
    stored = recommendations(engine)
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        page = client.get(PAGE)
    assert page.status_code == 200
    main = main_of(page.text)
    # By action level in the report's order, then by priority.
    levels = re.findall(r'<h2 id="level-(\w+)">', main)
    assert levels == [level.value for level in ActionLevel if any(r.action_level is level for r in stored)]
    for r in stored:
        assert f'id="rec-{r.id}"' in main and shown(r.text_de) in main and shown(r.text_en) in main
    drafts = sum(r.status is RecommendationStatus.draft for r in stored)
    assert f"{drafts} drafts wait for a decision; 0 approved." in main
    # The evidence: the parties that met the rule with their figures, the items, the reviewers' words (as text).
    with_quote = quoted(engine)
    article = main.split(f'id="rec-{with_quote.id}"')[1].split("</article>")[0]
    assert f"{with_quote.evidence['count']} of {with_quote.evidence['total']} organisations" in article
    assert "Stadt Auenburg (" in article and "Points concerned:" in article
    assert "„Kaum Beteiligung &lt;script&gt;" in article and "<script>" not in main
    assert "A peer reviewer on" in article and "/comment" not in article  # named as the questionnaire names it
    # Choosing, deciding after a second page, editing; and the draft report to read first.
    assert f'name="ids" value="{with_quote.id}"' in article
    assert f'href="{PAGE}/{with_quote.id}/edit"' in article
    assert f'action="{PAGE}/decide"' in main and 'method="get"' in main
    assert f'href="{ROUND}/draft-report?lang=de"' in main and f'href="{ROUND}/draft-report?lang=en"' in main
    assert f'href="{PAGE}" aria-current="page"' in page.text  # in the round's navigation
    assert actions.calls == []


def test_the_list_in_german(engine: Engine, drafted: StagedRound, actions: RecordedActions):
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        main = main_of(client.get(PAGE).text)
    assert "<h1>Empfehlungen</h1>" in main
    assert "Entwurfsbericht auf Deutsch" in main and "Belege" in main
    assert ">Länder <" in main and "Priorität 1" in main and "Entwurf" in main
    assert "Ausgewählte freigeben…" in main and "Ausgewählte ablehnen…" in main


def test_deciding_asks_first_with_the_chosen_listed_then_runs_the_operation(
    engine: Engine, drafted: StagedRound, actions: RecordedActions
):
    first, second = recommendations(engine)[:2]
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        asking = client.get(f"{PAGE}/decide", params={"ids": [first.id, second.id], "decision": "reject"})
        assert asking.status_code == 200
        main = main_of(asking.text)
        assert "These 2 recommendations are rejected" in main
        assert f'<th scope="row" data-column="Recommendation">Recommendation {first.id}</th>' in main
        assert shown(second.text_en) in main
        assert "Reject 2 recommendations" in main
        assert f'name="ids" value="{first.id},{second.id}"' in main and 'name="decision" value="reject"' in main
        assert actions.calls == []  # asking changes nothing
        assert all(r.status is RecommendationStatus.draft for r in recommendations(engine))

        decided = client.post(f"{PAGE}/decide", data={"csrf": form_csrf(asking.text), "ids": f"{first.id},{second.id}",
                                                      "decision": "reject"}, follow_redirects=False)  # fmt: skip
        assert decided.status_code == 303 and decided.headers["location"] == PAGE
        assert "Decided." in client.get(PAGE).text
    with Session(engine) as session:
        round_id = session.exec(select(Round.id)).one()
    assert actions.calls == [
        ("decide_recommendations",
         (round_id, "staged-round", [first.id, second.id], False, f"{COORDINATOR} (console)", "en"), {})
    ]  # fmt: skip


def test_a_decision_is_refused_with_every_reason_when_nothing_or_an_unknown_recommendation_is_chosen(
    engine: Engine, drafted: StagedRound, actions: RecordedActions
):
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        nothing = main_of(client.get(f"{PAGE}/decide").text)
        assert "Choose whether to approve or to reject" in nothing and "Choose at least one recommendation" in nothing
        assert "<button" not in nothing
        unknown = main_of(client.get(f"{PAGE}/decide", params={"ids": ["999", "998"], "decision": "approve"}).text)
        assert "The round has no recommendations 998, 999." in unknown and "<button" not in unknown
        refused = console_post(client, f"{PAGE}/decide", page_path=PAGE, ids="999", decision="approve")
        assert refused.status_code == 303
        assert "The round has no recommendation 999." in client.get(PAGE).text
    assert actions.calls == []


def test_an_edit_refused_keeps_everything_typed_and_names_every_reason(
    engine: Engine, drafted: StagedRound, actions: RecordedActions
):
    target = quoted(engine)
    edit = f"{PAGE}/{target.id}/edit"
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        form = client.get(edit)
        assert form.status_code == 200
        assert f">{shown(target.text_de)}</textarea>" in form.text
        assert 'name="text_de" lang="de"' in form.text and 'name="text_en" lang="en"' in form.text
        assert 'id="priority-1" name="priority" value="1" checked' in form.text or target.priority != 1
        assert 'name="remove_quote" value="1"' in form.text and 'for="remove_quote-1"' in form.text
        typed = "Neuer englischer Text, der nicht verloren gehen darf <b>"
        refused = client.post(edit, data={"csrf": form_csrf(form.text), "text_de": "  ", "text_en": typed,
                                          "priority": "7", "remove_quote": ["1", "9"]})  # fmt: skip
    assert refused.status_code == 422
    main = main_of(refused.text)
    reasons = main.split('id="reasons"')[1].split("</div>")[0]
    assert "The German text cannot be empty" in reasons
    assert "Choose a priority: 1 (highest), 2 or 3." in reasons
    assert "The recommendation has 1 quote; there is no quote 9." in reasons
    assert "Neuer englischer Text, der nicht verloren gehen darf &lt;b&gt;</textarea>" in main
    assert 'aria-invalid="true" aria-describedby="text_de-error"' in main
    assert 'value="1" checked' in main  # the quote ticked to leave out stays ticked
    assert actions.calls == []
    assert quoted(engine).text_de == target.text_de


def test_an_edit_runs_the_operation_with_what_was_typed(engine: Engine, drafted: StagedRound, actions: RecordedActions):
    target = quoted(engine)
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        edit = f"{PAGE}/{target.id}/edit"
        saved = client.post(edit, data={"csrf": form_csrf(client.get(edit).text), "text_de": "Zeile eins\r\nZeile zwei",
                                        "text_en": "", "priority": "3", "remove_quote": "1"},
                            follow_redirects=False)  # fmt: skip
        assert saved.status_code == 303 and saved.headers["location"] == PAGE
        assert "Edited." in client.get(PAGE).text
    [(name, args, kwargs)] = actions.calls
    assert name == "edit_recommendation" and args[2:] == (target.id, f"{COORDINATOR} (console)", "de")
    assert kwargs == {"de": "Zeile eins\nZeile zwei", "en": "", "priority": 3, "remove_quotes": [1]}


def test_an_approved_recommendation_says_it_goes_back_to_draft_when_edited(engine: Engine, drafted: StagedRound,
                                                                          actions: RecordedActions):  # fmt: skip
    target = recommendations(engine)[0]
    with Session(engine) as session:
        session.get(Recommendation, target.id).status = RecommendationStatus.approved
        session.commit()
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        form = client.get(f"{PAGE}/{target.id}/edit").text
    assert "This recommendation is approved. Once changed, it goes back to draft" in form


def test_after_the_drafting_stage_the_recommendations_are_read_only(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.comment)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    target = recommendations(engine)[0]
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        main = main_of(client.get(PAGE).text)
        assert "here they can only be read" in main and 'name="ids"' not in main and "/edit" not in main
        assert "approved" in main
        edit = main_of(client.get(f"{PAGE}/{target.id}/edit").text)
        assert "Recommendations are changed in the drafting of recommendations stage; the round is in the right " \
               "of reply stage." in edit and "<textarea" not in edit  # fmt: skip
        asking = main_of(client.get(f"{PAGE}/decide", params={"ids": [target.id]}).text)
        assert "approved or rejected in the drafting of recommendations stage" in asking and "<button" not in asking
        refused = console_post(client, f"{PAGE}/{target.id}/edit", page_path=PAGE, text_de="Neu", text_en="",
                               priority="1")  # fmt: skip
        assert refused.status_code == 422 and "Recommendations are changed in the" in refused.text
        assert ">Neu</textarea>" in refused.text  # what was typed is still there
    assert actions.calls == []


def test_an_observer_reads_everything_and_every_post_is_refused(
    engine: Engine, drafted: StagedRound, actions: RecordedActions
):
    target = quoted(engine)
    with console_client(engine, actions=actions, logged_in_as=OBSERVER) as client:
        main = main_of(client.get(PAGE).text)
        assert shown(target.text_de) in main and 'name="ids"' not in main and "/edit" not in main
        assert "not change anything" in main
        assert client.get(f"{ROUND}/draft-report").status_code == 200
        edit = client.get(f"{PAGE}/{target.id}/edit")
        assert edit.status_code == 200 and "<textarea" not in edit.text
        csrf = form_csrf(edit.text)  # the logout form's: a valid token of this session
        decided = client.post(f"{PAGE}/decide", data={"csrf": csrf, "ids": str(target.id), "decision": "approve"})
        edited = client.post(f"{PAGE}/{target.id}/edit", data={"csrf": csrf, "text_de": "Neu", "priority": "1"})
    assert decided.status_code == 403 and edited.status_code == 403
    assert actions.calls == []
    assert quoted(engine).text_de == target.text_de


def test_a_recommendation_of_another_round_is_not_found(engine: Engine, drafted: StagedRound, actions: RecordedActions):
    other = round_in_stage(engine, Stage.drafting, slug="other-round")
    with Session(engine) as session:
        foreign = session.exec(select(Recommendation.id).where(Recommendation.round_id == other.round_id)).first()
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        assert client.get(f"{PAGE}/{foreign}/edit").status_code == 404
        assert client.get("/console/rounds/other-round/recommendations").status_code == 404  # not named for it
        refused = console_post(client, f"{PAGE}/{foreign}/edit", page_path=PAGE, text_de="Neu", priority="1")
        assert refused.status_code == 404
    assert actions.calls == []


def test_the_draft_report_is_the_report_as_it_stands_for_staff_only(engine: Engine, drafted: StagedRound):
    with console_client(engine, actions=None) as client:
        assert client.get(f"{ROUND}/draft-report", follow_redirects=False).status_code == 303  # to the login
        log_in(client, COORDINATOR)
        english = client.get(f"{ROUND}/draft-report?lang=en")
        german = client.get(f"{ROUND}/draft-report?lang=de")
    assert english.status_code == 200 and german.status_code == 200
    assert english.headers["content-type"].startswith("text/html")
    assert 'lang="en"' in english.text and "Draft" in english.text
    assert 'lang="de"' in german.text and "Entwurf" in german.text
    # Its styles are inline (the console's policy forbids them), and a draft is never kept by a cache.
    assert "style-src 'unsafe-inline'" in english.headers["content-security-policy"]
    assert english.headers["cache-control"] == "no-store"
    # Only approved recommendations appear in it: none is approved yet.
    assert shown(recommendations(engine)[0].text_en) not in english.text


def test_the_draft_report_of_a_round_without_findings_or_already_published(engine: Engine):
    early = round_in_stage(engine, Stage.review, slug="early-round")
    staged = round_in_stage(engine, Stage.comment, replies={"anna": "Danke.", "ben": "", "cara": "", "dora": ""})
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[early.slug, staged.slug])
    with console_client(engine, actions=None, logged_in_as=COORDINATOR) as client:
        waiting = client.get("/console/rounds/early-round/draft-report")
        assert waiting.status_code == 404 and "The round has no findings yet" in waiting.text
        with Session(engine) as session:
            deadline = session.get(Round, staged.round_id).comment_deadline
        with freeze_time(deadline + timedelta(minutes=1)):
            bring_round_to(engine, staged.round_id, Stage.published)
        published = client.get(f"{ROUND}/draft-report?lang=en", follow_redirects=False)
        assert published.status_code == 303 and published.headers["location"] == "/reports/staged-round?lang=en"


def test_a_refusal_of_the_operation_is_shown_beside_the_form_with_what_was_typed(engine: Engine, drafted: StagedRound):
    # An operation that refuses what the page's own checks let through (the round moved on meanwhile).
    refusal = Refused([Reason(N_("no findings are consolidated yet")), "a reason worded by the operation"])
    actions = RecordedActions(refusals={"edit_recommendation": refusal})
    target = recommendations(engine)[0]
    edit = f"{PAGE}/{target.id}/edit"
    with console_client(engine, actions=actions, language="de", logged_in_as=COORDINATOR) as client:
        typed = {"text_de": "Meine neue Fassung", "text_en": "My new wording", "priority": "2"}
        refused = client.post(edit, data={"csrf": form_csrf(client.get(edit).text), **typed})
    assert refused.status_code == 422 and len(actions.calls) == 1
    reasons = main_of(refused.text).split('id="reasons"')[1].split("</div>")[0]
    assert "es sind noch keine Ergebnisse ausgewertet" in reasons  # a domain reason, in German
    assert "a reason worded by the operation" in reasons
    assert ">Meine neue Fassung</textarea>" in refused.text and ">My new wording</textarea>" in refused.text
    assert 'id="priority-2" name="priority" value="2" checked' in refused.text


def test_a_round_whose_findings_called_for_no_recommendation_says_so(engine: Engine, actions: RecordedActions):
    staged = round_in_stage(engine, Stage.drafting)
    staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=[staged.slug])
    with Session(engine) as session:
        for recommendation in session.exec(select(Recommendation)).all():
            session.delete(recommendation)
        session.commit()
    with console_client(engine, actions=actions, logged_in_as=COORDINATOR) as client:
        main = main_of(client.get(PAGE).text)
    assert "The round's findings called for no recommendation" in main and 'name="ids"' not in main
