"""Archiving: when a published round's retention period has run out, its people's data is erased.

The report and the organisations' figures stay: findings, answers and reviews are what organisations said.
Who took part, their addresses, their links and the messages they were sent go (review_model.erasure). An
open review's report named its reviewers; it is rendered again, naming them by their number for the party.
"""

from review_model import clock
from review_model.erasure import erase_round_people
from review_model.store import session_scope
from review_model.transitions import transition
from review_model.vocabulary import Stage
from workflows.stages.context import StageContext
from workflows.stages.publication import render_published_report_again


def archive_round(context: StageContext, round_id: int, actor: str, *, forced: bool = False) -> int:
    """Move a published round to `archived` and erase its people's data, in one transaction; sends nothing
    (returns 0 messages). `forced`: the coordinator archives it before its retention period has run out."""
    now = clock.now()
    with (
        session_scope(context.engine) as session,
        transition(session, round_id, Stage.archived, actor, forced=forced, now=now) as change,
    ):
        if change is None:
            return 0
        erased = erase_round_people(session, round_id, actor, now)
        # Only an open review's report names people; re-rendering a PDF holds the store for seconds.
        rendered = render_published_report_again(session, round_id) if change.round.open_review else 0
        change.details.update(people_erased=erased, report_editions_rendered_again=rendered)
    return 0
