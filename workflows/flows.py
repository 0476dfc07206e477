"""The Prefect flows: thin wrappers that run the round driver's steps and the coordinator's actions.

Tasks take ids, open their own sessions, and work in batches (hundreds of people per task run), so a round
of ten thousand is tens of task runs, not thousands. Run names say what happened, for a coordinator
reading the Prefect UI: "Round 2027-q1 · invitations · batch 3/20 (500 people)", "Round 2027-q1 · reminders
queued for 12 respondents"; every run about a round carries the tag `round:<slug>`, so the UI lists a
round's whole history under that tag.
"""

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, overload
from uuid import UUID

# Set before Prefect reads its settings: no telemetry from an engine that runs in public administrations
# (and often without a way out to the internet).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, tags, task
from prefect.runtime import flow_run
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from config.settings import get_settings
from review_model import clock
from review_model.handover import Colleague
from review_model.people_filter import PeopleFilter
from review_model.refusals import Refused
from review_model.round_advances import rounds_to_advance
from review_model.store import make_engine, reading_session
from review_model.tables import Participant
from review_model.vocabulary import Language
from workflows.coordinator_actions import (
    FormHandedOver,
    GroupMessageSent,
    LeadChanged,
    LinkResent,
    MessagesRequeued,
    RecommendationEdited,
    ReviewerSwapped,
    StageClosed,
    Withdrawn,
    change_lead_reviewer,
    close_stage_now,
    confirm_round_assignment,
    decide_recommendations,
    edit_recommendation,
    hand_over_form,
    message_group,
    record_round_adoption,
    resend_link,
    retry_failed_messages,
    revoke_links,
    swap_reviewer_in_round,
    withdraw_participant,
)
from workflows.erasure import PersonErased, erase_person_everywhere
from workflows.round_driver import AdvanceReport, advance_round
from workflows.stages.context import StageContext
from workflows.stages.launch import launch_blockers, open_invitation_stage
from workflows.stages.reminding import Reminded, remind_waiting
from workflows.stages.submission import Extension, extend_submission_deadline

log = logging.getLogger("spr.flows")

# Steps that talk to the SMTP server are retried by Prefect too (delivery also retries each message itself).
_RETRIES = {"deliver_now": 2}


class LaunchRefused(Refused):
    """The round cannot be launched; `reasons` lists every reason found."""


def round_tag(round_slug: str) -> str:
    """The tag of every flow run about a round."""
    return f"round:{round_slug}"


@overload
def kept_private(text: str) -> SecretStr: ...
@overload
def kept_private(text: None) -> None: ...
@overload
def kept_private(text: str | None) -> SecretStr | None: ...
def kept_private(text: str | None) -> SecretStr | None:
    """Free text (a reason, a message, a search) as a flow parameter. Prefect keeps every flow run's parameters
    on its server, where such text has no place: it may name a person, and erasing the person could not reach
    it there. A SecretStr is recorded as stars; the run gets the text, as it runs in the caller's process."""
    return SecretStr(text) if text is not None else None


def group_without_search(people: PeopleFilter) -> tuple[PeopleFilter, SecretStr | None]:
    """A filter as `message_group_flow` takes it: without its search (a name, perhaps), which goes apart."""
    return people.model_copy(update={"search": None}), kept_private(people.search)


def _revealed(text: SecretStr | None) -> str | None:
    return text.get_secret_value() if text is not None else None


@contextmanager
def about_round(round_slug: str) -> Iterator[None]:
    """Flow runs started inside the block carry the round's tag."""
    with tags(round_tag(round_slug)):
        yield


@cache
def _as_task(function: Callable[..., Any]) -> Any:
    return task(
        name=function.__name__.replace("_", "-"),
        retries=_RETRIES.get(function.__name__, 1),
        retry_delay_seconds=5,
        persist_result=False,
    )(function)


def run_as_task(label: str, function: Callable[..., Any], *arguments: Any) -> Any:
    """The round driver's `run_step`, as a Prefect task run named `label`."""
    return _as_task(function).with_options(task_run_name=label)(*arguments)


@contextmanager
def _context() -> Iterator[StageContext]:
    settings = get_settings()
    context = StageContext.from_settings(settings, make_engine(settings.database_url))
    try:
        yield context
    finally:
        context.engine.dispose()


@contextmanager
def _store() -> Iterator[Engine]:
    """The configured store alone, for actions that neither compose a message nor make a link."""
    engine = make_engine(get_settings().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@flow(name="advance-round", flow_run_name="Round {round_slug} · advance", persist_result=False)
def advance_round_flow(
    round_id: int, round_slug: str, after: str | None = None, wait_seconds: float | None = None
) -> AdvanceReport | None:
    """Do whatever is due for the round now (see workflows.round_driver); `after` names what started it.

    The round's store lock keeps two drivers from taking one transition twice; a Prefect concurrency limit
    of one per round keeps a second run of the same round waiting besides, so it finds nothing left to do.
    With `wait_seconds`, a run that cannot have the round within that time leaves it (None): another run is
    advancing it.
    """
    from prefect.concurrency._asyncio import AcquireConcurrencySlotTimeoutError

    with ExitStack() as holding:
        try:
            holding.enter_context(_one_at_a_time(f"round-{round_id}", wait_seconds))
        except AcquireConcurrencySlotTimeoutError:
            _rename_run(f"Round {round_slug} · left: another run is advancing it")
            return None
        context = holding.enter_context(_context())
        report = advance_round(context, round_id, run_step=run_as_task)
    _rename_run(f"Round {round_slug} · {report.summary()}" + (f" (after {after})" if after else ""))
    return report


@flow(name="advance-active-rounds", flow_run_name="Every active round · advance", persist_result=False)
def advance_active_rounds_flow() -> int:
    """Advance every round that is under way, each as its own `advance-round` run; returns how many.

    One round's trouble does not stop the others: its run fails (and is retried on the next interval), and
    this run fails at the end, naming it.
    """
    settings = get_settings()
    if _late_by_more_than(settings.advance_interval_seconds):  # a run left from while nothing served the pool
        _rename_run("Every active round · left: a later run does it")
        return 0
    engine = make_engine(settings.database_url)
    try:
        with reading_session(engine) as session:
            rounds = rounds_to_advance(session, clock.now())
    finally:
        engine.dispose()
    failed = []
    for round_id, slug in rounds:
        with about_round(slug):
            # a round another run is advancing is left to it: one busy round holds up no other
            state = advance_round_flow(round_id, slug, "the interval", wait_seconds=5, return_state=True)
        if state.is_failed():
            failed.append(slug)
    _rename_run(f"Every active round · {len(rounds)} advanced" + (f", failed: {', '.join(failed)}" if failed else ""))
    if failed:
        raise RuntimeError(f"advancing failed for {', '.join(failed)}; the next run tries again")
    return len(rounds)


@flow(name="launch-round", flow_run_name="Round {round_slug} · launch", persist_result=False)
def launch_round_flow(round_id: int, round_slug: str, actor: str) -> AdvanceReport:
    """Check everything, open the invitation stage, and send the invitations."""
    with _context() as context:
        reasons = launch_blockers(context, round_id)
        if reasons:
            raise LaunchRefused(reasons)
        open_invitation_stage(context, round_id, actor)
        report = advance_round(context, round_id, run_step=run_as_task)
    _rename_run(f"Round {round_slug} · launched · {report.summary()}")
    return report


@flow(name="remind", flow_run_name="Round {round_slug} · remind now", persist_result=False)
def remind_flow(round_id: int, round_slug: str, participant_id: int | None, actor: str) -> Reminded:
    """Queue a reminder now for everyone the current stage waits for (or one person).

    The person comes by id: a flow run's parameters stay on the Prefect server, beyond the store's erasure
    and retention, so no address goes there.
    """
    with _context() as context:
        email = None
        if participant_id is not None:
            with reading_session(context.engine) as session:
                person = session.get(Participant, participant_id)
                email = person.email if person else None
        reminded = remind_waiting(context, round_id, email) if participant_id is None or email else None
    if reminded is None:
        raise LookupError(f"no participant with id {participant_id}")
    _rename_run(f"Round {round_slug} · reminders queued for {reminded.queued} {reminded.whom} (by {actor})")
    return reminded


@flow(name="extend-deadline", flow_run_name="Round {round_slug} · extend deadline", persist_result=False)
def extend_deadline_flow(round_id: int, round_slug: str, until: datetime, actor: str) -> Extension:
    """Move the submission deadline, extend the links, and tell everyone who has not submitted."""
    with _context() as context:
        extension = extend_submission_deadline(context, round_id, until, actor)
    _rename_run(f"Round {round_slug} · deadline moved to {extension.deadline:%Y-%m-%d %H:%M} UTC, "
                f"{extension.told} told (by {actor})")  # fmt: skip
    return extension


@flow(name="close-stage", flow_run_name="Round {round_slug} · close stage", persist_result=False)
def close_stage_flow(round_id: int, round_slug: str, actor: str, publish_now: bool = False) -> StageClosed:
    """Close the current stage before its deadline (see coordinator_actions.close_stage_now)."""
    with _context() as context:
        closed = close_stage_now(context, round_id, actor, publish_now)
    what = (
        "right of reply ended, publication on its planned date"
        if closed.publication_planned
        else f"{closed.before} → {closed.after}, {closed.queued} messages queued"
    )
    _rename_run(f"Round {round_slug} · {closed.before} stage closed early · {what} (by {actor})")
    return closed


@flow(name="confirm-assignment", flow_run_name="Round {round_slug} · confirm assignment", persist_result=False)
def confirm_assignment_flow(round_id: int, round_slug: str, actor: str) -> int:
    """Check every rule again and confirm the proposed assignment."""
    with _context() as context:
        confirmed = confirm_round_assignment(context, round_id, actor)
    _rename_run(f"Round {round_slug} · {confirmed} review assignments confirmed (by {actor})")
    return confirmed


@flow(name="decide-recommendations", flow_run_name="Round {round_slug} · decide recommendations", persist_result=False)
def decide_recommendations_flow(round_id: int, round_slug: str, ids: list[int], approve: bool, actor: str) -> int:
    """Approve or reject drafted recommendations."""
    with _context() as context:
        decided = decide_recommendations(context, round_id, ids, approve, actor)
    verb = "approved" if approve else "rejected"
    _rename_run(f"Round {round_slug} · {decided} recommendation(s) {verb}: {', '.join(map(str, ids))} (by {actor})")
    return decided


def _late_by_more_than(seconds: float) -> bool:
    """Whether this run was scheduled more than `seconds` ago (runs queue up while no worker serves them)."""
    scheduled = flow_run.scheduled_start_time
    return scheduled is not None and (datetime.now(UTC) - scheduled).total_seconds() > seconds


@flow(name="edit-recommendation", flow_run_name="Round {round_slug} · edit recommendation", persist_result=False)
def edit_recommendation_flow(
    round_id: int,
    round_slug: str,
    recommendation_id: int,
    actor: str,
    de: str | None = None,
    en: str | None = None,
    priority: int | None = None,
    remove_quotes: list[int] | None = None,
) -> RecommendationEdited:
    """Reword a drafted recommendation (an approved one goes back to draft)."""
    with _context() as context:
        edited = edit_recommendation(context, round_id, recommendation_id, actor, de=de, en=en, priority=priority,
                                     remove_quotes=remove_quotes or [])  # fmt: skip
    what = "back to draft" if edited.reopened else ("edited" if edited.changed else "unchanged")
    _rename_run(f"Round {round_slug} · recommendation {recommendation_id} {what} (by {actor})")
    return edited


@flow(name="revoke-links", flow_run_name="Round {round_slug} · revoke links", persist_result=False)
def revoke_links_flow(round_id: int, round_slug: str, participant_id: int, actor: str, reason: SecretStr) -> int:
    """Make a person's links in the round open nothing (by id: no address goes to the Prefect server)."""
    with _context() as context:
        revoked = revoke_links(context, round_id, participant_id, actor, reason.get_secret_value())
    _rename_run(f"Round {round_slug} · {revoked} link(s) of participant {participant_id} revoked (by {actor})")
    return revoked


@flow(name="withdraw-participant", flow_run_name="Round {round_slug} · withdraw participant", persist_result=False)
def withdraw_participant_flow(
    round_id: int, round_slug: str, participant_id: int, actor: str, reason: SecretStr
) -> Withdrawn:
    """Withdraw a person from the round (by id: no address goes to the Prefect server)."""
    with _context() as context:
        withdrawn = withdraw_participant(context, round_id, participant_id, actor, reason.get_secret_value())
    _rename_run(f"Round {round_slug} · participant {participant_id} withdrawn, {withdrawn.links_revoked} link(s) "
                f"revoked (by {actor})")  # fmt: skip
    return withdrawn


@flow(name="hand-over-form", flow_run_name="Round {round_slug} · hand a form over", persist_result=False)
def hand_over_form_flow(
    round_id: int,
    round_slug: str,
    participant_id: int,
    colleague_name: SecretStr,
    colleague_email: SecretStr,
    language: Language,
    actor: str,
) -> FormHandedOver:
    """Hand the person's self-assessment to a colleague. The first person goes by id; the colleague, who may
    have none yet, by name and address as secrets, which the Prefect server keeps masked."""
    colleague = Colleague(colleague_name.get_secret_value(), colleague_email.get_secret_value(), language)
    with _context() as context:
        handed = hand_over_form(context, round_id, participant_id, colleague, actor)
    _rename_run(f"Round {round_slug} · form of participant {participant_id} handed over (by {actor})")
    return handed


@flow(name="message-group", flow_run_name="Round {round_slug} · message to a group", persist_result=False)
def message_group_flow(
    round_id: int,
    round_slug: str,
    people: PeopleFilter,
    search: SecretStr | None,
    subject_de: SecretStr | None,
    body_de: SecretStr | None,
    subject_en: SecretStr | None,
    body_en: SecretStr | None,
    actor: str,
    send_id: str | None = None,
) -> GroupMessageSent:
    """Queue the coordinator's message to the people the filter picks (see coordinator_actions.message_group).
    A retried run queues nothing twice: the send's id is in every message's idempotency key. The filter's
    search comes apart from it (`group_without_search`)."""
    people = people.model_copy(update={"search": _revealed(search)})
    with _context() as context:
        sent = message_group(context, round_id, people, _revealed(subject_de), _revealed(body_de),
                             _revealed(subject_en), _revealed(body_en), actor, send_id=send_id)  # fmt: skip
    _rename_run(f"Round {round_slug} · message to {sent.recipients} people, {sent.queued} queued (by {actor})")
    return sent


@flow(name="record-adoption", flow_run_name="Round {round_slug} · record the adoption", persist_result=False)
def record_adoption_flow(
    round_id: int, round_slug: str, body: str, on: date, changes: SecretStr | None, actor: str
) -> None:
    """Record the adoption of the round's results (the changes noted are free text, kept as a secret)."""
    with _context() as context:
        record_round_adoption(context, round_id, body, on, _revealed(changes), actor)
    _rename_run(f"Round {round_slug} · adoption by {body} on {on.isoformat()} recorded (by {actor})")


@flow(name="erase-person", flow_run_name="Erase a person", persist_result=False)
def erase_person_flow(participant_id: int, actor: str) -> PersonErased:
    """Erase a person in every round (by id: their address never goes to the Prefect server)."""
    with _context() as context:
        erased = erase_person_everywhere(context, participant_id, actor)
    rounds = len(erased.erased.rounds)
    _rename_run(f"Participant {participant_id} erased in {rounds} round(s) (by {actor})")
    return erased


@flow(name="resend-link", flow_run_name="Round {round_slug} · send a link again", persist_result=False)
def resend_link_flow(round_id: int, round_slug: str, participant_id: int, actor: str) -> LinkResent:
    """Send a person their personal link of the current stage again (by id: no address goes to the Prefect
    server)."""
    with _context() as context:
        resent = resend_link(context, round_id, participant_id, actor)
    _rename_run(f"Round {round_slug} · {resent.kind} sent again to participant {participant_id} (by {actor})")
    return resent


@flow(name="retry-failed-messages", flow_run_name="Failed messages · queue again", persist_result=False)
def retry_failed_messages_flow(round_id: int | None, actor: str, message_id: int | None = None) -> MessagesRequeued:
    """Queue failed messages again, of one round or all (see coordinator_actions.retry_failed_messages)."""
    with _store() as engine:
        requeued = retry_failed_messages(engine, round_id, actor, message_id)
    _rename_run(f"Failed messages · {len(requeued.ids)} queued again (by {actor})")
    return requeued


@flow(name="swap-reviewer", flow_run_name="Round {round_slug} · swap a reviewer", persist_result=False)
def swap_reviewer_flow(
    round_id: int, round_slug: str, submission_id: int, remove: int, add: int, actor: str
) -> ReviewerSwapped:
    """Replace one reviewer of a submission by another, people by id (coordinator_actions.swap_reviewer_in_round)."""
    with _store() as engine:
        swapped = swap_reviewer_in_round(engine, round_id, submission_id, remove, add, actor)
    _rename_run(f"Round {round_slug} · reviewer of submission {submission_id} swapped (by {actor})")
    return swapped


@flow(name="change-lead-reviewer", flow_run_name="Round {round_slug} · change a lead reviewer", persist_result=False)
def change_lead_flow(round_id: int, round_slug: str, submission_id: int, reviewer: str, actor: str) -> LeadChanged:
    """Make another of a party's reviewers its lead (coordinator_actions.change_lead_reviewer)."""
    with _store() as engine:
        changed = change_lead_reviewer(engine, round_id, submission_id, reviewer, actor)
    _rename_run(f"Round {round_slug} · lead reviewer of submission {submission_id} changed (by {actor})")
    return changed


@contextmanager
def _one_at_a_time(name: str, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the Prefect concurrency limit `name` (one slot), made on first use; TimeoutError when it is not
    free within `wait_seconds` (None: wait as long as it takes)."""
    from prefect.client.orchestration import get_client
    from prefect.concurrency.sync import concurrency
    from prefect.exceptions import ObjectAlreadyExists

    # suppressed: another driver made it between the read and the create
    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.upsert_global_concurrency_limit_by_name(name, 1)
    # A short lease (renewed while the run lives): a run whose process was killed holds the round's slot for a
    # minute at most, not the default five.
    with concurrency(name, occupy=1, timeout_seconds=wait_seconds, lease_duration=60):
        yield


def _rename_run(name: str) -> None:
    """Give the flow run a name that says what it did."""
    from prefect.client.orchestration import get_client

    run_id = flow_run.get_id()
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run_id=UUID(run_id), name=name)
