"""Erasing a person on request (GDPR Art. 17): the coordinator operation behind `spr people erase`."""

from dataclasses import dataclass

from review_model import clock
from review_model.erasure import Erased, erase_person, plan_erasure, rounds_whose_report_named
from review_model.round_lock import lock_round
from review_model.store import session_scope
from workflows.stages.context import StageContext
from workflows.stages.publication import render_published_report_again


@dataclass(frozen=True)
class PersonErased:
    """What erasing a person did, and which published reports were rendered again without their name."""

    erased: Erased
    reports_rendered_again: tuple[int, ...]


def erase_person_everywhere(context: StageContext, participant_id: int, actor: str) -> PersonErased:
    """Erase the person in every round, in one transaction that holds each of their rounds (review_model.erasure
    says what goes and what stays), and render again the published reports that named them.

    Raises ErasureRefused (a Refused) when there is no such person or they were erased already."""
    now = clock.now()
    with session_scope(context.engine) as session:
        for round_id in plan_erasure(session, participant_id).round_ids:  # by id, as every caller locks them
            lock_round(session, round_id)
        planned = plan_erasure(session, participant_id)  # again, now that nothing can change under it
        named = rounds_whose_report_named(session, planned.round_ids, participant_id)
        erased = erase_person(session, planned, actor, now)
        for round_id in named:
            render_published_report_again(session, round_id)
    return PersonErased(erased, tuple(named))
