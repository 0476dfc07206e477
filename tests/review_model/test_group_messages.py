"""The coordinator's message to a group: which language each reader gets, and the id of a send."""

import os
import subprocess
import sys

from review_model.group_messages import GroupMessageText
from review_model.people_filter import PeopleFilter, PersonState, Role
from review_model.vocabulary import FederalState, OrganisationKind

SEND_ID = """
from review_model.group_messages import GroupMessageText
from review_model.people_filter import PeopleFilter
people = PeopleFilter(roles={"respondent", "reviewer", "decision-maker"}, lands={"BY", "SN", "HB", "NW"},
                      kinds={"kommune", "region", "land"}, states={"bounced", "invited", "opened", "withdrawn"})
print(GroupMessageText.of("Betreff", "Text", None, None).send_id(7, people))
"""


def test_a_reader_gets_their_language_and_the_other_where_only_that_was_written():
    both = GroupMessageText.of(" Betreff ", "Text\r\nzwei", "Subject", "Text")
    assert both.languages == ("de", "en") and both.in_language("de") == ("Betreff", "Text\nzwei")
    assert both.language_for("en") == "en" and both.language_for("de") == "de"
    german = GroupMessageText.of("Betreff", "Text", "  ", None)
    assert german.languages == ("de",) and german.language_for("en") == "de"
    english = GroupMessageText.of(None, None, "Subject", "Text")
    assert english.language_for("de") == "en"


def test_the_id_of_a_send_is_the_same_in_every_process_and_changes_with_the_text_the_group_or_the_round():
    seeds = {
        subprocess.run([sys.executable, "-c", SEND_ID], env={**os.environ, "PYTHONHASHSEED": seed},
                       capture_output=True, text=True, check=True).stdout.strip()
        for seed in ("1", "2", "3", "4")
    }  # fmt: skip
    assert len(seeds) == 1  # a set's order differs between these processes; the id does not
    text = GroupMessageText.of("Betreff", "Text", None, None)
    people = PeopleFilter(roles={Role.respondent, Role.reviewer, Role.decision_maker},
                          lands={FederalState.BY, FederalState.SN, FederalState.HB, FederalState.NW},
                          kinds={OrganisationKind.kommune, OrganisationKind.region, OrganisationKind.land},
                          states={PersonState.bounced, PersonState.invited, PersonState.opened,
                                  PersonState.withdrawn})  # fmt: skip
    assert text.send_id(7, people) == seeds.pop()
    assert len({text.send_id(7, people), text.send_id(8, people), text.send_id(7, PeopleFilter()),
                GroupMessageText.of("Betreff", "Text.", None, None).send_id(7, people)}) == 4  # fmt: skip
