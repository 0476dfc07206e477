"""A reason is its English sentence, and can be said again in another language with the same values."""

import pickle
from datetime import UTC, datetime

from config.translations import N_
from review_model.refusals import Reason, Refused, reason_in, reasons_in
from review_model.stage_rules import RoundProgress, transition_blockers
from review_model.vocabulary import Stage

DEADLINE_NOT_PASSED = N_("publication is planned for {when}")


def test_a_reason_is_the_english_sentence_filled_in():
    reason = Reason(DEADLINE_NOT_PASSED, when="2027-05-01 09:00 CEST")
    assert reason == "publication is planned for 2027-05-01 09:00 CEST"
    assert "; ".join([reason, "another"]) == "publication is planned for 2027-05-01 09:00 CEST; another"
    assert str(Refused([reason])) == "publication is planned for 2027-05-01 09:00 CEST"


def test_a_reason_in_german_keeps_its_values():
    reason = Reason(DEADLINE_NOT_PASSED, when="2027-05-01 09:00 CEST")
    assert reason.in_language("de") == "die Veröffentlichung ist für 2027-05-01 09:00 CEST geplant"
    assert reason_in("en", reason) == reason


def test_stages_among_the_values_are_named_by_their_label_in_german_and_as_stored_in_english():
    reason = Reason(N_("a round in stage {stage} can move only to {expected}, not to {target}"),
                    stage=Stage.draft, expected=Stage.invitation, target=Stage.review)  # fmt: skip
    assert reason == "a round in stage draft can move only to invitation, not to review"
    assert reason.in_language("en") == reason
    assert reason.in_language("de") == (
        "eine Runde in der Phase „Vorbereitung“ kann nur zu „Einladung“ wechseln, nicht zu „Peer Review“"
    )


def test_a_plain_string_reason_stays_as_it_is():
    assert reasons_in("de", ["a reason nobody marked"]) == ["a reason nobody marked"]
    assert Refused(["a reason nobody marked"]).in_language("de") == "a reason nobody marked"


def test_a_reason_survives_pickling_with_its_message_and_values():
    reason = Reason(N_("{who} takes no part in {slug}"), who=Reason(N_("participant {id}"), id=7), slug="r1")
    again = pickle.loads(pickle.dumps(reason))
    assert again == "participant 7 takes no part in r1"
    assert again.in_language("de") == "Teilnehmer:in 7 nimmt nicht an r1 teil"


def test_a_worded_refusal_keeps_its_wording_and_an_unworded_one_translates_its_reasons():
    blockers = transition_blockers(_Draft(), Stage.invitation, RoundProgress(respondents=0), NOW)
    assert Refused(blockers).in_language("de") == (
        "es sind keine Teilnehmenden eingetragen (importieren Sie zuerst Teilnehmende)"
    )
    assert Refused(blockers, "Schon übersetzt.").in_language("de") == "Schon übersetzt."


NOW = datetime(2027, 1, 1, tzinfo=UTC)


class _Draft:
    """A round in preparation with every deadline ahead (the stage rules read no more)."""

    stage = Stage.draft
    submission_deadline = review_deadline = comment_deadline = datetime(2027, 6, 1, tzinfo=UTC)
    consensus_deadline = publication_at = None
    late_grace_hours = 0
    time_zone = "Europe/Berlin"
