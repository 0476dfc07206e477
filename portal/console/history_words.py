"""A round's history in words a coordinator reads: the actions the audit trail records (stored as English
phrases such as "reviewer swapped"), who took them, and their details, in the staff member's language.

The trail's actions are written where they happen (review_model, the stages, the coordinator operations);
these are the ones the code records today. An action not named here is shown as it is stored, so a new one
is never hidden, only not yet translated.
"""

from datetime import datetime
from typing import Any

from config.translations import N_, translate
from review_model.audit_trail import ASSIGNMENT_INFEASIBLE, ROUND_DRIVER
from review_model.moments import format_moment
from review_model.questions import QUESTION_ANSWERED, QUESTION_ASKED
from review_model.reminder_opt_out import REMINDERS_RESTARTED, REMINDERS_STOPPED

ACTIONS: dict[str, str] = {
    "round created": N_("Round created"),
    "participants imported": N_("Participants imported"),
    "round launched": N_("Round launched, invitations sent"),
    "submission stage opened": N_("Self-assessment opened"),
    "submission deadline extended": N_("Submission deadline extended"),
    "submission stage closed": N_("Self-assessment closed"),
    "assignment proposed": N_("Reviewer assignment proposed"),
    ASSIGNMENT_INFEASIBLE: N_("No reviewer assignment meets every rule"),
    "assignment confirmed": N_("Reviewer assignment confirmed"),
    "review stage opened": N_("Peer review opened"),
    "reviewer swapped": N_("Reviewer swapped"),
    QUESTION_ASKED: N_("Question asked of a reviewed party"),
    QUESTION_ANSWERED: N_("Question answered by the reviewed party"),
    "review stage closed": N_("Peer review closed"),
    "consensus stage opened": N_("Peer review closed, consensus among the reviewers opened"),
    "consensus stage closed": N_("Consensus among the reviewers closed"),
    "lead reviewer changed": N_("Lead reviewer changed"),
    "lead reviewers handed on": N_("Leads without a submitted review handed on to a reviewer who submitted"),
    "disputed items commented": N_("A reviewer commented on points to discuss"),
    "joint assessment submitted": N_("Joint assessment submitted by the lead reviewer"),
    "joint assessment answered": N_("Joint assessment endorsed or commented on"),
    "findings consolidated": N_("Findings consolidated"),
    "drafting stage opened": N_("Drafting of recommendations opened"),
    "recommendations drafted": N_("Recommendations drafted"),
    "recommendation edited": N_("Recommendation edited"),
    "recommendations approved": N_("Recommendations approved"),
    "recommendations rejected": N_("Recommendations rejected"),
    "comment stage opened": N_("Right of reply opened"),
    "comment deadline moved so the parties have time to reply": N_(
        "Reply deadline moved so the parties have time to reply"
    ),
    "comment stage closed": N_("Right of reply closed"),
    "report published": N_("Report published"),
    "report published without PDF": N_("Report published without PDF"),
    "adoption recorded": N_("Adoption of the results recorded"),
    "round archived": N_("Round archived: its retention period ran out"),
    "people of the round erased": N_("The round's people erased"),
    "person erased": N_("A person erased on request"),
    "form handed over": N_("Self-assessment handed over to a colleague"),
    "participant withdrawn": N_("Participant withdrawn"),
    "links revoked": N_("Personal links revoked"),
    REMINDERS_STOPPED: N_("Reminders stopped by the participant"),
    REMINDERS_RESTARTED: N_("Reminders started again by the participant"),
    "link sent again": N_("Personal link sent again"),
    "group message queued": N_("Message to a group queued"),
    "failed messages requeued": N_("Failed messages queued again"),
    "staff named for round": N_("Staff member named for the round"),
    "staff unnamed for round": N_("Staff member no longer named for the round"),
}

# The details' names, as the entries store them (keyword arguments of record_event).
DETAILS: dict[str, str] = {
    "added": N_("Added"),
    "after": N_("After"),
    "assignment": N_("Review assignment (number)"),
    "before": N_("Before"),
    "changed": N_("Answer changed"),
    "count": N_("Number"),
    "created": N_("Created"),
    "deadline": N_("Deadline"),
    "drafts": N_("Drafts"),
    "email": N_("Email"),
    "endorses": N_("Endorses"),
    "first": N_("For the first time"),
    "enrolled": N_("Enrolled"),
    "file": N_("File"),
    "filter": N_("Filter"),
    "findings": N_("Findings"),
    "forced": N_("Closed early by hand"),
    "formats": N_("Formats"),
    "id": N_("Number"),
    "ids": N_("Numbers"),
    "invitations": N_("Invitations"),
    "kind": N_("Kind"),
    "lead": N_("Lead reviewer"),
    "languages": N_("Languages"),
    "links": N_("Links"),
    "messages": N_("Messages"),
    "moved_to": N_("Moved to"),
    "one_click": N_("From the mail program (one click)"),
    "pairs": N_("Pairs"),
    "participant": N_("Participant (number)"),
    "planned": N_("Planned"),
    "previous": N_("Previous"),
    "publication": N_("Publication"),
    "queued": N_("Queued"),
    "question": N_("Question (number)"),
    "questionnaire": N_("Questionnaire"),
    "reason": N_("Reason"),
    "reasons": N_("Reasons"),
    "recipients": N_("Recipients"),
    "recommendations": N_("Recommendations"),
    "removed": N_("Removed"),
    "requests": N_("Requests"),
    "reviewed": N_("Reviewed party"),
    "reviews_no_longer_awaited": N_("Reviews no longer awaited"),
    "role": N_("Role"),
    "roles": N_("Roles"),
    "searched": N_("Searched by text"),
    "send": N_("Sent"),
    "subject_de": N_("Subject (German)"),
    "subject_en": N_("Subject (English)"),
    "submission": N_("Submission (number)"),
    "updated": N_("Updated"),
}
_ROUND_DRIVER = N_("Round driver")
_YES, _NO = N_("yes"), N_("no")
# A detail nested deeper than this is shown as its text (a history entry's details are small).
_DEPTH = 2


def action_in_words(action: str, language: str) -> str:
    """The action as the staff member reads it; one not known here as stored, its first letter capital."""
    known = ACTIONS.get(action)
    if known is not None:
        return translate(language, "portal", known)
    return action[:1].upper() + action[1:]


def actor_in_words(actor: str, language: str) -> str:
    """Who took the step: the round driver by that name in the staff member's language, anyone else as the
    trail names them (an address with "(console)" or "(command line)")."""
    if actor == ROUND_DRIVER:
        return translate(language, "portal", _ROUND_DRIVER)
    return actor


def details_in_words(details: dict[str, Any], zone: str, language: str) -> list[tuple[str, str]]:
    """The details of an entry as (name, value) lines: names in the staff member's language, moments in the
    round's time zone, yes and no for flags, lists joined; details without a value left out."""
    return [
        (_detail_name(name, language), _value_in_words(value, zone, language, 0))
        for name, value in details.items()
        if value not in (None, "", [], {})
    ]


def _detail_name(name: str, language: str) -> str:
    known = DETAILS.get(name)
    if known is not None:
        return translate(language, "portal", known)
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _value_in_words(value: Any, zone: str, language: str, depth: int) -> str:
    if isinstance(value, bool):
        return translate(language, "portal", _YES if value else _NO)
    if isinstance(value, str):
        moment = _moment(value)
        return format_moment(moment, zone, language) if moment is not None else value
    if isinstance(value, list) and depth < _DEPTH:
        return ", ".join(_value_in_words(item, zone, language, depth + 1) for item in value)
    if isinstance(value, dict) and depth < _DEPTH:
        return "; ".join(
            f"{_detail_name(str(name), language)}: {_value_in_words(item, zone, language, depth + 1)}"
            for name, item in value.items()
            if item not in (None, "", [], {})
        )
    return str(value)


def _moment(text: str) -> datetime | None:
    """A moment the trail stored as ISO text (deadlines before and after a change), else None."""
    if len(text) < 19 or text[10:11] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
