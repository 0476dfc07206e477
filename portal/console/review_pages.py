"""A round's peer reviews in the console: how they stand per reviewed party and per reviewer (workload, late
reviews, reminders), those behind first, a page of 50 at a time; reminding one reviewer now, or every
reviewer with reviews open.

Both reminders ask first, naming whom they reach and how many, and run `ConsoleActions.remind` (the remind
flow of `spr round remind`). The existing operation reminds, in the review stage, every reviewer with
reviews open whose address works, one message each listing their open reviews; that is whom the confirming
page counts. Before the review deadline nobody is late yet; after it, every open review is late, and the
review form takes no more reviews, so a reminder would ask for what can no longer be done: both reminders are
refused then, with that reason, and the late reviews are shown for the record.
"""

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

from config.translations import gettext_for, ngettext_for
from portal.console.access import Staff, current_staff, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_page
from portal.console.paging import paged
from portal.console.round_actions import Confirmation, FormValues, ask_first, first_value, run_action
from review_model import clock
from review_model.lead_reviewer import LEAD_CHANGES_IN, party_leads
from review_model.moments import format_moment
from review_model.questions import question_counts_by_organisation
from review_model.refusals import Refused
from review_model.review_progress import ReviewerWorkload, review_progress, reviewer_workloads
from review_model.store import reading_session
from review_model.tables import Round
from review_model.vocabulary import Stage

if TYPE_CHECKING:
    from portal.app import Portal


def add_review_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/reviews: the reviews' progress, reminding one reviewer or all with open reviews,
    and in a round with a consensus stage each party's lead reviewer, changed after asking first."""

    @app.get("/console/rounds/{slug}/reviews")
    def reviews_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        now = clock.now()
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            progress = review_progress(session, round_.id, now)
            questions = question_counts_by_organisation(session, round_.id)
        # Those behind first: the late, then those with open reviews, then by name (the lists come by name).
        parties = sorted(progress.parties, key=lambda party: (-party.late, -party.open))
        reviewers = sorted(progress.reviewers, key=lambda reviewer: (-reviewer.late, -reviewer.open))
        last_reminded = {r.participant_id: format_moment(r.last_reminded_at, round_.time_zone, staff.language)
                         for r in reviewers if r.last_reminded_at is not None}  # fmt: skip
        assert round_.id is not None
        may = staff.access.runs(round_.id)
        with reading_session(portal.engine) as session:
            leads = party_leads(session, round_.id) if round_.consensus_deadline is not None else []
        return console_page(portal, request, "reviews.html", staff.language, staff=staff, round=round_,
                            leads=leads, leads_change=round_.stage in LEAD_CHANGES_IN,
                            progress=progress, parties=paged(parties, request, "parties"),
                            reviewers=paged(reviewers, request, "reviewers"), last_reminded=last_reminded,
                            deadline=format_moment(progress.deadline, round_.time_zone, staff.language),
                            reminding=not _refusals(round_, progress.deadline_passed, staff.language),
                            reachable=len(_reachable(progress.reviewers)), runs=may and portal.actions is not None,
                            no_operations=may and portal.actions is None, questions=questions,
                            questions_asked=sum(c.asked for c in questions.values()),
                            questions_answered=sum(c.answered for c in questions.values()))  # fmt: skip

    @app.get("/console/rounds/{slug}/reviews/remind")
    def remind_open_page(request: Request, slug: str) -> Response:
        return ask_first(portal, request, slug, lambda round_, language: _explain_all(portal, round_, language))

    @app.post("/console/rounds/{slug}/reviews/remind")
    async def remind_open(request: Request, slug: str) -> Response:
        def reminding(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
            refusals = _explain_all(portal, round_, staff.language).refusals
            if refusals:  # checked again: the deadline may have passed since the page was shown
                raise Refused(refusals)
            assert round_.id is not None
            return actions.remind(round_.id, round_.slug, None, staff.actor, staff.language)

        return await run_action(portal, request, slug, reminding, back_to=f"/console/rounds/{slug}/reviews")

    @app.get("/console/rounds/{slug}/reviews/lead/{submission_id}")
    def lead_page(request: Request, slug: str, submission_id: int) -> Response:
        return ask_first(portal, request, slug,
                         lambda round_, language: _explain_lead(portal, round_, submission_id, language))  # fmt: skip

    @app.post("/console/rounds/{slug}/reviews/lead/{submission_id}")
    async def lead(request: Request, slug: str, submission_id: int) -> Response:
        def changing(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
            assert round_.id is not None
            reviewer = first_value(values, "choice")
            return actions.change_lead(round_.id, round_.slug, submission_id, reviewer, staff.actor, staff.language)

        return await run_action(portal, request, slug, changing, back_to=f"/console/rounds/{slug}/reviews")

    @app.get("/console/rounds/{slug}/reviews/remind/{participant_id}")
    def remind_one_page(request: Request, slug: str, participant_id: int) -> Response:
        return ask_first(portal, request, slug,
                         lambda round_, language: _explain_one(portal, round_, participant_id, language))  # fmt: skip

    @app.post("/console/rounds/{slug}/reviews/remind/{participant_id}")
    async def remind_one(request: Request, slug: str, participant_id: int) -> Response:
        def reminding(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
            refusals = _explain_one(portal, round_, participant_id, staff.language).refusals
            if refusals:
                raise Refused(refusals)
            assert round_.id is not None
            return actions.remind(round_.id, round_.slug, participant_id, staff.actor, staff.language)

        return await run_action(portal, request, slug, reminding, back_to=f"/console/rounds/{slug}/reviews")


def _explain_lead(portal: "Portal", round_: Round, submission_id: int, language: str) -> Confirmation:
    """Changing a party's lead reviewer: who leads now, whom to choose, what the change does."""
    _ = gettext_for(language, "portal")
    title, button = _("Change the lead reviewer"), _("Change the lead reviewer")
    assert round_.id is not None
    with reading_session(portal.engine) as session:
        party = next((p for p in party_leads(session, round_.id) if p.submission_id == submission_id), None)
    if party is None:
        return Confirmation(title, [], button, refusals=[_("That party has no confirmed reviewers.")])
    if round_.stage not in LEAD_CHANGES_IN:
        return Confirmation(title, [], button, refusals=[_("The lead reviewer changes only until the consensus stage "
                                                           "ends.")])  # fmt: skip
    lead = next((name for email, name in party.reviewers if email == party.lead), None)
    lines = [
        _("The lead reviewer of {party} writes its joint assessment in the consensus stage; now: {lead}.").format(
            party=party.organisation, lead=lead or _("nobody")),
        _("A joint assessment already written stays; the new lead may change it until the deadline."),
    ]  # fmt: skip
    choices = [(email, f"{name} ({email})") for email, name in party.reviewers if email != party.lead]
    return Confirmation(title, lines, button, inputs=["choice"], choices=choices)


def _reachable(reviewers: list[ReviewerWorkload]) -> list[ReviewerWorkload]:
    """Whom the remind operation reaches in the review stage: reviewers with reviews open (a withdrawn reviewer
    has none) whose address has not bounced and who have not stopped their reminders."""
    return [reviewer for reviewer in reviewers if reviewer.open and not reviewer.bounced and not reviewer.withdrawn
            and not reviewer.stopped_reminders]  # fmt: skip


def _refusals(round_: Round, deadline_passed: bool, language: str) -> list[str]:
    """Why no reviewer can be reminded now; empty when they can."""
    _ = gettext_for(language, "portal")
    if round_.stage is not Stage.review:
        return [_("Reviewers are reminded in the {review} stage; the round is in the {stage} stage.").format(
            review=Stage.review.label(language), stage=round_.stage.label(language))]  # fmt: skip
    if deadline_passed:
        return [
            _(
                "The review deadline has passed: the review form takes no more reviews, so a reminder would "
                "ask for what can no longer be done. The review stage closes with the round's next advance."
            )
        ]
    return []


def _workloads(portal: "Portal", round_: Round) -> tuple[list[ReviewerWorkload], bool]:
    """The round's reviewers' workloads now, and whether the review deadline has passed."""
    assert round_.id is not None
    now = clock.now()
    with reading_session(portal.engine) as session:
        return reviewer_workloads(session, round_.id, now), now >= round_.review_deadline


def _explain_all(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    title, button = _("Remind every reviewer with open reviews"), _("Send the reminders")
    workloads, passed = _workloads(portal, round_)
    reached = _reachable(workloads)
    refusals = _refusals(round_, passed, language)
    if not refusals and not reached:
        refusals = [_("No reviewer has a review open whose address works: there is nobody to remind.")]
    if refusals:
        return Confirmation(title, [], button, refusals=refusals)
    reviews = sum(reviewer.open for reviewer in reached)
    bounced = sum(1 for reviewer in workloads if reviewer.open and reviewer.bounced and not reviewer.withdrawn)
    lines = [
        ngettext("A reminder goes out now to {n} reviewer with {reviews}, listing their open reviews with the link "
                 "to each.",
                 "A reminder goes out now to each of {n} reviewers with {reviews} between them, one message each "
                 "listing their open reviews with the link to each.", len(reached)).format(
            n=len(reached), reviews=ngettext("{n} open review", "{n} open reviews", reviews).format(n=reviews)),
        _("The scheduled reminders still follow; reviewers who are done get nothing."),
    ]  # fmt: skip
    if bounced:
        lines.append(ngettext("{n} reviewer with open reviews is left out: their address bounced.",
                              "{n} reviewers with open reviews are left out: their addresses bounced.",
                              bounced).format(n=bounced))  # fmt: skip
    stopped = sum(1 for reviewer in workloads if reviewer.open and not reviewer.bounced and not reviewer.withdrawn
                  and reviewer.stopped_reminders)  # fmt: skip
    if stopped:
        lines.append(ngettext("{n} reviewer with open reviews is left out: they stopped their reminders.",
                              "{n} reviewers with open reviews are left out: they stopped their reminders.",
                              stopped).format(n=stopped))  # fmt: skip
    return Confirmation(title, lines, button)


def _explain_one(portal: "Portal", round_: Round, participant_id: int, language: str) -> Confirmation:
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    workloads, passed = _workloads(portal, round_)
    reviewer = next((r for r in workloads if r.participant_id == participant_id), None)
    title, button = _("Remind a reviewer now"), _("Send the reminder")
    refusals = _refusals(round_, passed, language)
    if reviewer is None:
        refusals.append(_("Nobody of that number reviews in this round."))
    else:
        title = _("Remind {name} now").format(name=reviewer.name)
        if reviewer.withdrawn:
            refusals.append(_("{name} was withdrawn from the round.").format(name=reviewer.name))
        elif reviewer.bounced:
            refusals.append(_("{name}'s address bounced: a reminder would not arrive.").format(name=reviewer.name))
        elif not reviewer.open:
            refusals.append(_("{name} has no review open.").format(name=reviewer.name))
        elif reviewer.stopped_reminders:
            refusals.append(_("{name} stopped their reminders of this round: no reminder goes to them.").format(
                name=reviewer.name))  # fmt: skip
    if refusals or reviewer is None:
        return Confirmation(title, [], button, refusals=refusals)
    lines = [
        ngettext("A reminder goes out now to {name} ({organisation}), listing their {n} open review with its link.",
                 "A reminder goes out now to {name} ({organisation}), listing their {n} open reviews with the link "
                 "to each.", reviewer.open).format(name=reviewer.name, organisation=reviewer.organisation,
                                                   n=reviewer.open),
        _("The scheduled reminders still follow."),
    ]  # fmt: skip
    return Confirmation(title, lines, button)
