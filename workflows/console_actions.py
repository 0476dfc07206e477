"""The console's coordinator operations, run as flows: the implementation of portal.console.actions that
`spr serve` hands the portal. Each method is what the matching `spr` command does after its checks: the
operation's flow run, tagged with the round, then the round's next advance (workflows.follow_up); and it says
what was done in the staff member's language."""

import contextvars
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import TypeVar

from config.translations import gettext_for, ngettext_for
from portal.console.actions import ActionDone
from review_model.moments import format_calendar_day, format_moment
from review_model.people_filter import PeopleFilter
from workflows.coordinator_actions import ActionRefused
from workflows.erasure import PersonErased
from workflows.flows import (
    about_round,
    change_lead_flow,
    close_stage_flow,
    confirm_assignment_flow,
    decide_recommendations_flow,
    edit_recommendation_flow,
    erase_person_flow,
    extend_deadline_flow,
    group_without_search,
    kept_private,
    launch_round_flow,
    message_group_flow,
    record_adoption_flow,
    remind_flow,
    resend_link_flow,
    retry_failed_messages_flow,
    revoke_links_flow,
    swap_reviewer_flow,
    withdraw_participant_flow,
)
from workflows.follow_up import advance_after
from workflows.prefect_server import PrefectApi, using
from workflows.stages.submission import ExtensionRefused

Result = TypeVar("Result")


class FlowActions:
    """The console's operations on the Prefect API `api` (the server `spr serve` uses, or the temporary one)."""

    def __init__(self, api: PrefectApi, time_zone: str = "Europe/Berlin"):
        self.api, self.time_zone = api, time_zone
        # Prefect keeps its settings in context variables; the console's request threads start from this one.
        self._context = contextvars.copy_context()

    def launch(self, round_id: int, slug: str, actor: str, language: str) -> ActionDone:
        # The launch's own pass of the round driver queues the invitations: nothing to start after it.
        report, _followed = self._run(slug, partial(launch_round_flow, round_id, slug, actor), None, round_id, language)
        _ = gettext_for(language, "workflows")
        return ActionDone(_("Round {slug} launched: {summary}.").format(slug=slug, summary=report.summary(language)))

    def remind(self, round_id: int, slug: str, participant_id: int | None, actor: str, language: str) -> ActionDone:
        reminding = partial(remind_flow, round_id, slug, participant_id, actor)
        reminded, followed = self._run(slug, reminding, "reminders", round_id, language)
        if participant_id is not None and not reminded.queued:
            _ = gettext_for(language, "workflows")
            raise ActionRefused([_("the {stage} stage does not wait for this person: no reminder was sent").format(
                stage=reminded.stage.label(language))])  # fmt: skip
        ngettext = ngettext_for(language, "workflows")
        said = ngettext(
            "{n} reminder queued ({stage} stage).", "{n} reminders queued ({stage} stage).", reminded.queued
        )
        return ActionDone(said.format(n=reminded.queued, stage=reminded.stage.label(language)), followed)

    def close_stage(self, round_id: int, slug: str, actor: str, language: str, publish_now: bool = False) -> ActionDone:
        closing = partial(close_stage_flow, round_id, slug, actor, publish_now)
        closed, followed = self._run(slug, closing, "closing a stage", round_id, language)
        _ = gettext_for(language, "workflows")
        said = _("The {before} stage is closed; the round is in the {after} stage now.").format(
            before=closed.before.label(language), after=closed.after.label(language)
        )
        if closed.publication_planned:
            said += " " + _("The report is published on its planned date.")
        return ActionDone(said, followed)

    def extend_deadline(self, round_id: int, slug: str, until: datetime, actor: str, language: str) -> ActionDone:
        extending = partial(extend_deadline_flow, round_id, slug, until, actor)
        try:
            extension, followed = self._run(slug, extending, "extending the deadline", round_id, language)
        except ExtensionRefused as refused:  # worded by the stage, one reason
            raise ActionRefused([str(refused)]) from None
        ngettext = ngettext_for(language, "workflows")
        said = ngettext(
            "The submission deadline is {deadline} now; {n} person who has not submitted was told.",
            "The submission deadline is {deadline} now; {n} people who have not submitted were told.",
            extension.told,
        )
        deadline = format_moment(extension.deadline, self.time_zone, language)
        return ActionDone(said.format(deadline=deadline, n=extension.told), followed)

    def confirm_assignment(self, round_id: int, slug: str, actor: str, language: str) -> ActionDone:
        confirming = partial(confirm_assignment_flow, round_id, slug, actor)
        confirmed, followed = self._run(slug, confirming, "confirming the assignment", round_id, language)
        ngettext = ngettext_for(language, "workflows")
        said = ngettext(
            "The assignment is confirmed: {n} review.", "The assignment is confirmed: {n} reviews.", confirmed
        )
        return ActionDone(said.format(n=confirmed), followed)

    def decide_recommendations(
        self, round_id: int, slug: str, ids: list[int], approve: bool, actor: str, language: str
    ) -> ActionDone:
        deciding = partial(decide_recommendations_flow, round_id, slug, ids, approve, actor)
        decided, followed = self._run(slug, deciding, "deciding recommendations", round_id, language)
        ngettext = ngettext_for(language, "workflows")
        if approve:
            said = ngettext("{n} recommendation approved.", "{n} recommendations approved.", decided)
        else:
            said = ngettext("{n} recommendation rejected.", "{n} recommendations rejected.", decided)
        return ActionDone(said.format(n=decided), followed)

    def revoke_links(
        self, round_id: int, slug: str, participant_id: int, reason: str, actor: str, language: str
    ) -> ActionDone:
        revoking = partial(revoke_links_flow, round_id, slug, participant_id, actor, kept_private(reason))
        revoked, _followed = self._run(slug, revoking, None, round_id, language)
        ngettext = ngettext_for(language, "workflows")
        said = ngettext("{n} personal link revoked.", "{n} personal links revoked.", revoked)
        return ActionDone(said.format(n=revoked))

    def withdraw(
        self, round_id: int, slug: str, participant_id: int, reason: str, actor: str, language: str
    ) -> ActionDone:
        withdrawing = partial(withdraw_participant_flow, round_id, slug, participant_id, actor, kept_private(reason))
        withdrawn, followed = self._run(slug, withdrawing, "withdrawing a participant", round_id, language)
        _ = gettext_for(language, "workflows")
        person = withdrawn.withdrawal
        said = _(
            "{name} ({organisation}) is withdrawn from the round; {links} links revoked, {dropped} queued messages "
            "dropped."
        ).format(
            name=person.name,
            organisation=person.organisation,
            links=withdrawn.links_revoked,
            dropped=withdrawn.messages_dropped,
        )
        return ActionDone(said, followed)

    def resend_link(self, round_id: int, slug: str, participant_id: int, actor: str, language: str) -> ActionDone:
        resending = partial(resend_link_flow, round_id, slug, participant_id, actor)
        resent, followed = self._run(slug, resending, "sending a link again", round_id, language)
        ngettext = ngettext_for(language, "workflows")
        said = ngettext(
            "The message of the {stage} stage went out again with the same link.",
            "The message of the {stage} stage went out again with the same {n} links.",
            resent.links,
        )
        return ActionDone(said.format(stage=resent.stage.label(language), n=resent.links), followed)

    def record_adoption(
        self, round_id: int, slug: str, body: str, on: date, changes: str | None, actor: str, language: str
    ) -> ActionDone:
        # As `spr round adopt`: the flow records it, the next advance publishes a round that waited for it.
        recording = partial(record_adoption_flow, round_id, slug, body, on, kept_private(changes), actor)
        _recorded, followed = self._run(slug, recording, "recording the adoption", round_id, language)
        _ = gettext_for(language, "workflows")
        said = _("The adoption by {body} on {day} is recorded.").format(
            body=body.strip(), day=format_calendar_day(on, language)
        )
        return ActionDone(said, followed)

    def erase_person(self, participant_id: int, actor: str, language: str) -> ActionDone:
        # As `spr people erase` once asked: one flow run over every round of the person; nothing is sent, so
        # no advance follows (a running round they left goes on at its next advance).
        def run() -> PersonErased:
            with using(self.api):
                return erase_person_flow(participant_id, actor)

        done = self._context.copy().run(run)
        ngettext = ngettext_for(language, "workflows")
        said = ngettext(
            "The person is erased in {n} round: {links} links deleted, {emptied} messages emptied, {reports} "
            "published reports rendered again.",
            "The person is erased in {n} rounds: {links} links deleted, {emptied} messages emptied, {reports} "
            "published reports rendered again.",
            len(done.erased.rounds),
        ).format(n=len(done.erased.rounds), links=done.erased.links_deleted, emptied=done.erased.messages_emptied,
                 reports=len(done.reports_rendered_again))  # fmt: skip
        return ActionDone(said)

    def _run(
        self, slug: str, operation: Callable[[], Result], then: str | None, round_id: int, language: str
    ) -> tuple[Result, str]:
        """The operation's flow run, then (when `then` names what it was) the round's next advance: its result,
        and the sentence saying what was started after it."""

        def run() -> tuple[Result, str]:
            with using(self.api):
                with about_round(slug):
                    result = operation()
                followed = advance_after(self.api, round_id, slug, then, language).line if then else ""
            return result, followed

        # A copy for each call: two requests at once cannot enter one context.
        return self._context.copy().run(run)

    def change_lead(
        self, round_id: int, slug: str, submission_id: int, reviewer: str, actor: str, language: str
    ) -> ActionDone:
        # As `spr assignment lead`: the reviewers see it on their consensus page, so no advance follows.
        changing = partial(change_lead_flow, round_id, slug, submission_id, reviewer, actor)
        changed, _followed = self._run(slug, changing, None, round_id, language)
        _ = gettext_for(language, "workflows")
        return ActionDone(_("{reviewer} now writes the joint assessment of the party.").format(reviewer=changed.lead))

    def edit_recommendation(
        self,
        round_id: int,
        slug: str,
        recommendation_id: int,
        actor: str,
        language: str,
        *,
        de: str | None = None,
        en: str | None = None,
        priority: int | None = None,
        remove_quotes: list[int] | None = None,
    ) -> ActionDone:
        # As `spr recommendations edit`: an edit queues nothing and decides nothing, so no advance follows.
        editing = partial(edit_recommendation_flow, round_id, slug, recommendation_id, actor, de, en, priority,
                          list(remove_quotes or []))  # fmt: skip
        edited, _followed = self._run(slug, editing, None, round_id, language)
        _ = gettext_for(language, "workflows")
        if not edited.changed:
            return ActionDone(_("Recommendation {id}: nothing changed.").format(id=recommendation_id))
        changes = "; ".join(edited.changes_in(language))
        if edited.reopened:
            said = _("Recommendation {id} edited ({changes}): approve it again.")
        else:
            said = _("Recommendation {id} edited ({changes}).")
        return ActionDone(said.format(id=recommendation_id, changes=changes))

    def retry_failed(self, round_id: int, slug: str, message_id: int | None, actor: str, language: str) -> ActionDone:
        # As `spr outbox retry` for the round, run as its flow; the next advance then delivers them.
        retrying = partial(retry_failed_messages_flow, round_id, actor, message_id)
        requeued, followed = self._run(slug, retrying, "failed messages queued again", round_id, language)
        ngettext = ngettext_for(language, "workflows")
        said = ngettext(
            "{n} failed message queued again.", "{n} failed messages queued again.", len(requeued.ids)
        ).format(n=len(requeued.ids))
        return ActionDone(said, followed)

    def message_group(
        self,
        round_id: int,
        slug: str,
        people: PeopleFilter,
        subject_de: str | None,
        body_de: str | None,
        subject_en: str | None,
        body_en: str | None,
        actor: str,
        language: str,
    ) -> ActionDone:
        # As `spr round message` after its preview: the flow queues it, the next advance sends it.
        sending = partial(message_group_flow, round_id, slug, *group_without_search(people), kept_private(subject_de),
                          kept_private(body_de), kept_private(subject_en), kept_private(body_en), actor)  # fmt: skip
        sent, followed = self._run(slug, sending, "a message to a group", round_id, language)
        ngettext = ngettext_for(language, "workflows")
        said = ngettext("Message queued for {n} person.", "Message queued for {n} people.", sent.queued).format(
            n=sent.queued
        )
        return ActionDone(f"{said} {sent.repeats_in(language)}".strip(), followed)

    def swap_reviewer(
        self, round_id: int, slug: str, submission_id: int, remove: int, add: int, actor: str, language: str
    ) -> ActionDone:
        # As `spr assignment swap`: nobody is told until the assignment is confirmed, so no advance follows.
        swapping = partial(swap_reviewer_flow, round_id, slug, submission_id, remove, add, actor)
        swapped, _followed = self._run(slug, swapping, None, round_id, language)
        _ = gettext_for(language, "workflows")
        said = _("{added} reviews instead of {removed} now; confirm the assignment again to send the requests.")
        return ActionDone(said.format(added=swapped.added, removed=swapped.removed))
