"""The report's section "What became of the recommendations of the round …", on a hand-made pair of rounds: the
first published with recommendations to the municipalities and the federal states, the second following it up."""

import io
import json

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from reports.contents import assemble_report
from reports.documents import render_report
from reports.raw_data import write_raw_data
from review_model import clock
from review_model.follow_up import FollowUpEntry, follow_up_questions, save_follow_ups
from review_model.questionnaire import Questionnaire
from review_model.rounds import get_round
from review_model.submissions import submit_answers
from review_model.tables import Enrolment, Organisation, Participant, Round
from review_model.vocabulary import FollowUpStatus, Stage
from tests.support.answers import HOSTILE
from tests.support.follow_up_rounds import FollowUpPair, follow_up_pair
from tests.support.staged_rounds import bring_round_to
from tests.support.stored_answers import stored_answers

IMPLEMENTED, NOT_PURSUED = FollowUpStatus.implemented, FollowUpStatus.not_pursued


def _statements(pair: FollowUpPair) -> dict[str, dict[int, FollowUpEntry]]:
    k1, k2, land = (pair.recommendations[key] for key in ("kommunen-1", "kommunen-2", "laender-1"))
    return {
        "anna": {k1: FollowUpEntry(IMPLEMENTED), k2: FollowUpEntry(NOT_PURSUED, f"Kein Personal. {HOSTILE}")},
        "ben": {k1: FollowUpEntry(IMPLEMENTED), k2: FollowUpEntry(FollowUpStatus.in_progress)},
        "cara": {k1: FollowUpEntry(FollowUpStatus.not_started), k2: FollowUpEntry(NOT_PURSUED, "Zu teuer.")},
        "dora": {k1: FollowUpEntry(IMPLEMENTED), k2: FollowUpEntry(FollowUpStatus.in_progress)},
        "eva": {land: FollowUpEntry(NOT_PURSUED, "No budget this term.")},
        "finn": {},
    }


def _followed_up(engine) -> FollowUpPair:
    """Every party of the second round submits its self-assessment with its statements; the round is then
    reviewed and consolidated, its recommendations drafted."""
    pair = follow_up_pair(engine)
    with Session(engine) as session:
        round_ = get_round(session, pair.second_id)
        answers = stored_answers(Questionnaire.model_validate(round_.questionnaire_snapshot), 2)
        for who, entries in _statements(pair).items():
            enrolment = session.get(Enrolment, pair.second[who].enrolment_id)
            kind = session.get(Organisation, session.get(Participant, enrolment.participant_id).organisation_id).kind
            submission = submit_answers(session, round_, enrolment, answers, clock.now())
            questions = follow_up_questions(session, round_, kind)
            if questions is not None:
                save_follow_ups(session, round_, submission, questions.recommendations, entries, clock.now(),
                                submit=True)  # fmt: skip
        session.commit()
    bring_round_to(engine, pair.second_id, Stage.drafting, submitted=[])
    return pair


def test_the_report_says_what_became_of_each_recommendation_per_level_and_nothing_without_a_previous_round(engine):
    pair = _followed_up(engine)
    with Session(engine) as session:
        report = assemble_report(session, pair.second_id, "de")
        follow_up = report.follow_up
        assert follow_up is not None and follow_up.previous_round == "Runde eins"
        assert list(follow_up.levels) == ["laender", "kommunen"]  # in the order of action levels
        first, second = follow_up.levels["kommunen"]
        # not started, in progress, implemented, not pursued
        assert (first.number, first.counts, first.without_statement) == (1, (1, 0, 3, 0), 0)
        assert second.counts == (0, 2, 0, 2) and second.text == "Bürgerbeteiligung digital ermöglichen."
        assert second.reasons == (("Stadt Auenburg", f"Kein Personal. {HOSTILE}"), ("Stadt Elbstein", "Zu teuer."))
        [land] = follow_up.levels["laender"]
        assert land.counts == (0, 0, 0, 1) and land.reasons == (("Land Hessen", "No budget this term."),)

        german = render_report(session, pair.second_id, "html", "de").content.decode()
        english = render_report(session, pair.second_id, "html", "en").content.decode()
        scores = json.loads(render_report(session, pair.second_id, "json", "en").content)
    start = german.index('<section id="follow-up"')
    section = german[start : german.index("</section>", start)]
    assert "Was aus den Empfehlungen der Runde „Runde eins“ geworden ist" in section
    assert "<h4>Kommunen</h4>" in section and "<h4>Länder</h4>" in section
    assert "1. Kommunale Datenplattformen aufbauen.</th>" in section
    assert '<th scope="col" class="num">nicht weiterverfolgt</th>' in section
    assert "Warum Empfehlung 2 nicht weiterverfolgt wird:" in section
    assert "<strong>Stadt Elbstein</strong>: Zu teuer." in section
    assert "&lt;script&gt;" in section and "<script>" not in section
    assert 'href="#follow-up"' in german  # listed in the contents
    english_section = english[english.index('<section id="follow-up"') :]
    assert 'What became of the recommendations of the round "Round one"' in english_section
    assert "1. Build municipal data platforms.</th>" in english_section
    assert '<th scope="col" class="num">not pursued</th>' in english_section
    assert "<strong>Land Hessen</strong>: No budget this term." in english_section
    by_text = {entry["recommendation"]: entry for entry in scores["follow_up"]}
    assert by_text["Bundle funding programmes."]["statuses"]["not_pursued"] == 1
    assert by_text["Bundle funding programmes."]["not_pursued"] == [
        {"organisation": "Land Hessen", "reason": "No budget this term."}
    ]

    # the coordinator's raw data workbook has a sheet of every statement
    out = io.BytesIO()
    with Session(engine) as session:
        write_raw_data(session, pair.second_id, "de", out)
    sheet = load_workbook(io.BytesIO(out.getvalue()))["Nachverfolgung"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][3:] == ["Handlungsebene", "Empfehlung", "Status", "Begründung"]
    assert len(rows) == 1 + 9  # three municipalities and a district with two each, the Land with one
    land = rows[3]  # by organisation: Hansestadt Nordhaven's two rows come first
    assert [land[0], land[1], *land[3:]] == [
        "Land Hessen", "Land", "Länder", "Förderprogramme bündeln.", "nicht weiterverfolgt", "No budget this term.",
    ]  # fmt: skip

    # the same round, had it followed up no earlier round (one build of the rounds serves both: it takes seconds)
    with Session(engine) as session:
        session.get(Round, pair.second_id).previous_round_id = None
        session.commit()
        assert assemble_report(session, pair.second_id, "en").follow_up is None
        html = render_report(session, pair.second_id, "html", "en").content.decode()
        scores = json.loads(render_report(session, pair.second_id, "json", "en").content)
    assert 'id="follow-up"' not in html and "What became of" not in html
    assert "follow_up" not in scores
    out = io.BytesIO()
    with Session(engine) as session:
        write_raw_data(session, pair.second_id, "en", out)
    assert "Follow-up" not in load_workbook(io.BytesIO(out.getvalue())).sheetnames


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database
def test_the_section_passes_axe_at_both_widths_and_widens_no_page(engine, chromium, database_url):
    from tests.support.browser import WIDTHS, axe_violations, require_axe

    script = require_axe()
    pair = _followed_up(engine)
    with Session(engine) as session:
        html = render_report(session, pair.second_id, "html", "de").content.decode()
    found = {}
    with chromium.connect() as browser:
        for name, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_content(html)
            assert page.locator("#follow-up table").count() == 2
            violations, wide = axe_violations(page, script), page.evaluate("document.documentElement.scrollWidth")
            page.evaluate("document.getElementById('follow-up').remove()")
            found[name] = violations, wide, page.evaluate("document.documentElement.scrollWidth")
            context.close()
    assert found["desktop"][0] == [] and found["phone"][0] == []
    # the report's own width at a phone's is not this section's doing: without it, the page is as wide
    assert found["phone"][1] == found["phone"][2] and found["desktop"][1] == found["desktop"][2] == WIDTHS["desktop"][0]
