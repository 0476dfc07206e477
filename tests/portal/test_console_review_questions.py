"""The console's reviews page counts the questions reviewers asked each reviewed party, and how many of them
the party answered."""

import re

from sqlalchemy.engine import Engine

from portal.console.history_words import action_in_words, details_in_words
from review_model.questions import QUESTION_ANSWERED, QUESTION_ASKED
from review_model.vocabulary import Stage
from tests.support.console import RecordedActions, console_client
from tests.support.review_questions import ask_every_party
from tests.support.staff import COORDINATOR, round_staff
from tests.support.staged_rounds import round_in_stage

ONE_DATABASE = "a console page over a query that tests/review_model/test_questions.py runs on both databases"
PAGE = "/console/rounds/staged-round/reviews"


def test_the_reviews_page_counts_each_partys_questions_asked_and_answered(engine: Engine):
    staged = round_in_stage(engine, Stage.review, parties=3, reviewers_per_party=2)
    round_staff(engine, staged.slug)
    asked = ask_every_party(engine, staged.round_id, answered=False)
    with console_client(engine, actions=RecordedActions(), logged_in_as=COORDINATOR) as client:
        text = " ".join(client.get(PAGE).text.split())
        assert f"{asked} asked, 0 answered" in text
        row = re.search(r"Stadt Auenburg</th>(.*?)</tr>", text).group(1)
        assert re.search(r'data-column="Questions asked" class="number">2</td>', row)
        assert re.search(r'data-column="Questions answered" class="number"><strong>0</strong></td>', row)
    with console_client(engine, actions=RecordedActions(), language="de", logged_in_as=COORDINATOR) as client:
        assert f"{asked} gestellt, 0 beantwortet" in " ".join(client.get(PAGE).text.split())


def test_the_history_words_the_questions_in_both_languages():
    assert action_in_words(QUESTION_ASKED, "de") == "Frage an eine begutachtete Organisation gestellt"
    assert action_in_words(QUESTION_ANSWERED, "en") == "Question answered by the reviewed party"
    details = details_in_words({"question": 4, "submission": 2, "changed": True}, "Europe/Berlin", "de")
    assert details == [("Frage (Nummer)", "4"), ("Einreichung (Nummer)", "2"), ("Antwort geändert", "ja")]
