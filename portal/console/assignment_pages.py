"""A round's reviewer assignment in the console: per reviewed party its reviewers (organisation, kind, Land,
and what their affinity is made of, in words), per reviewer their load against the round's bounds; swapping
one reviewer of a party for another, and confirming the assignment.

Swapping is a form (the party, the reviewer to take off, the one to put on, chosen among those who may review
the party at all) whose POST runs `ConsoleActions.swap_reviewer`, the swap-reviewer flow of
`spr assignment swap`: every rule of the round is checked there, and a refused swap shows the form again
with each rule broken, in the staff member's language. Confirming asks first, saying how many review
requests go to how many reviewers, and runs `ConsoleActions.confirm_assignment` (`spr assignment confirm`).
"""

from dataclasses import replace
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from config.translations import gettext_for, ngettext_for
from portal.console.access import NotVisible, Staff, check_form, current_staff, round_run, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_page, done_and_go
from portal.console.paging import paged
from portal.console.round_actions import Confirmation, FormValues, ask_first, first_value, run_action
from reports.rendering_numbers import number
from review_model.assignment_overview import (
    AffinityParts,
    AssignedParty,
    AssignmentOverview,
    ReviewerLoad,
    assignment_overview,
    swap_candidates,
    with_reviewers,
)
from review_model.refusals import Refused, reasons_in
from review_model.store import reading_session
from review_model.tables import Enrolment, Round
from review_model.vocabulary import FederalState, Stage

if TYPE_CHECKING:
    from portal.app import Portal


def add_assignment_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/assignment: the assignment, swapping a reviewer, confirming."""

    @app.get("/console/rounds/{slug}/assignment")
    def assignment_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            overview = assignment_overview(session, round_)
            parties = paged(overview.parties, request, "parties")
            parties = replace(parties, rows=with_reviewers(session, round_, parties.rows))  # this page's alone
        words = _Words(staff.language)
        return console_page(portal, request, "assignment.html", staff.language, staff=staff, round=round_,
                            overview=overview, parties=parties,
                            reviewers=paged(overview.reviewers, request, "reviewers"), words=words,
                            changeable=round_.stage is Stage.assignment and overview.pairs > 0,
                            **_runs(portal, staff, round_))  # fmt: skip

    @app.get("/console/rounds/{slug}/assignment/swap")
    def swap_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        given = request.query_params.get("submission", "")
        return _swap_form(portal, request, staff, slug, int(given) if _is_id(given) else 0, {})

    @app.post("/console/rounds/{slug}/assignment/swap")
    async def swap(request: Request, slug: str) -> Response:
        posted = await request.form(max_files=0, max_fields=20)
        values = {key: [v for v in posted.getlist(key) if isinstance(v, str)] for key in posted}
        staff = current_staff(request, portal)
        check_form(portal, request, staff, values)
        return await run_in_threadpool(_swap, portal, request, staff, slug, values)

    @app.get("/console/rounds/{slug}/assignment/confirm")
    def confirm_page(request: Request, slug: str) -> Response:
        return ask_first(portal, request, slug, lambda round_, language: _explain_confirm(portal, round_, language))

    @app.post("/console/rounds/{slug}/assignment/confirm")
    async def confirm(request: Request, slug: str) -> Response:
        def confirming(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
            assert round_.id is not None
            return actions.confirm_assignment(round_.id, round_.slug, staff.actor, staff.language)

        return await run_action(portal, request, slug, confirming, back_to=f"/console/rounds/{slug}/assignment")


class _Words:
    """How the assignment page words what it shows, in one language."""

    def __init__(self, language: str):
        self.language = language
        self._, self.ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")

    def affinity(self, value: float) -> str:
        return number(value, self.language, 2)

    def parts(self, parts: AffinityParts) -> list[str]:
        """What made the affinity, one phrase a part (see review_model.round_assignment for the weights)."""
        _, ngettext = self._, self.ngettext
        shared = len(parts.shared_fields)
        if not parts.fields_either:
            said = [_("no fields of action declared")]
        elif not shared:
            said = [_("no field of action in common (of {total} declared)").format(total=parts.fields_either)]
        else:
            said = [ngettext("{n} of {total} fields of action in common ({fields})",
                             "{n} of {total} fields of action in common ({fields})", shared).format(
                n=shared, total=parts.fields_either, fields=", ".join(parts.shared_fields))]  # fmt: skip
        said.append(_("same kind of organisation") if parts.same_kind else _("another kind of organisation"))
        if parts.preferred:
            said.append(_("asked to review this organisation"))
        return said

    def land(self, state: FederalState | None) -> str:
        return state.label if state else "–"

    def bounds(self, reviewer: ReviewerLoad) -> str:
        if reviewer.min_load == reviewer.max_load:
            return self._("exactly {n}").format(n=reviewer.max_load)
        return self._("{least} to {most}").format(least=reviewer.min_load, most=reviewer.max_load)

    def candidate(self, reviewer: ReviewerLoad) -> str:
        """A person one may put on a party, as the swap form's choice names them."""
        load = self.ngettext("{n} review", "{n} reviews", reviewer.load).format(n=reviewer.load)
        return f"{reviewer.name} ({reviewer.organisation}, {reviewer.kind.label(self.language)}, " \
               f"{self.land(reviewer.state)}) – {load}, {self.bounds(reviewer)}"  # fmt: skip


def _runs(portal: "Portal", staff: Staff, round_: Round) -> dict[str, bool]:
    """Whether this person may change the round from here (an observer reads only), and whether they may but
    this portal was started without the coordinator operations."""
    assert round_.id is not None
    may = staff.access.runs(round_.id)
    return {"runs": may and portal.actions is not None, "no_operations": may and portal.actions is None}


def _is_id(given: str) -> bool:
    return given.isdigit() and 0 < len(given) < 10


def _stage_refusals(round_: Round, overview: AssignmentOverview, language: str) -> list[str]:
    """Why the assignment cannot be changed or confirmed now; empty when it can."""
    _ = gettext_for(language, "portal")
    if round_.stage is not Stage.assignment:
        return [_("The assignment is changed and confirmed in the {assignment} stage; the round is in the {stage} "
                  "stage.").format(assignment=Stage.assignment.label(language),
                                   stage=round_.stage.label(language))]  # fmt: skip
    if not overview.pairs:
        return [_("No assignment is proposed yet: the round's next advance proposes one (spr assignment compute "
                  "does it at once).")]  # fmt: skip
    return []


def _explain_confirm(portal: "Portal", round_: Round, language: str) -> Confirmation:
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    with reading_session(portal.engine) as session:
        overview = assignment_overview(session, round_)
    title, button = _("Confirm the assignment"), _("Confirm and send the review requests")
    refusals = _stage_refusals(round_, overview, language)
    if not refusals and not overview.unconfirmed:
        refusals = [_("The assignment is confirmed already.")]
    if refusals:
        return Confirmation(title, [], button, refusals=refusals)
    reviewers = overview.reviewers_with_reviews
    lines = [
        _("The assignment asks {reviews} of {reviewers}, for {parties}.").format(
            reviews=ngettext("{n} review", "{n} reviews", overview.pairs).format(n=overview.pairs),
            reviewers=ngettext("{n} reviewer", "{n} reviewers", reviewers).format(n=reviewers),
            parties=ngettext("{n} reviewed party", "{n} reviewed parties", len(overview.parties)).format(
                n=len(overview.parties))),
        _("Every rule of the round is checked again first; if one is broken, nothing is confirmed and each rule "
          "broken is named."),
        ngettext("Then the review stage opens with the round's next advance: {n} review request goes out, one to "
                 "each reviewer, listing their reviews with a personal link to each.",
                 "Then the review stage opens with the round's next advance: {n} review requests go out, one to "
                 "each reviewer, listing their reviews with a personal link to each.", reviewers).format(n=reviewers),
    ]  # fmt: skip
    return Confirmation(title, lines, button)


def _party(overview: AssignmentOverview, submission_id: int) -> AssignedParty:
    party = next((party for party in overview.parties if party.submission_id == submission_id), None)
    if party is None:
        raise NotVisible
    return party


def _swap_form(
    portal: "Portal",
    request: Request,
    staff: Staff,
    slug: str,
    submission_id: int,
    chosen: dict[str, int],
    reasons: list[str] | None = None,
) -> Response:
    """The swap form for one reviewed party (404 for a submission the assignment does not hold), with the
    choices made (`chosen`: remove, add) and every reason a swap was refused."""
    with reading_session(portal.engine) as session:
        round_ = round_seen(session, staff, slug)
        overview = assignment_overview(session, round_)
        party = with_reviewers(session, round_, [_party(overview, submission_id)])[0]
        refusals = _stage_refusals(round_, overview, staff.language)
        eligible = set(swap_candidates(session, round_, overview, party)) if not refusals else set()
    candidates = [reviewer for reviewer in overview.reviewers if reviewer.enrolment_id in eligible]
    return console_page(portal, request, "assignment_swap.html", staff.language, staff=staff, round=round_,
                        status_code=422 if reasons else 200, party=party, candidates=candidates, chosen=chosen,
                        reasons=reasons or [], refusals=refusals, words=_Words(staff.language),
                        **_runs(portal, staff, round_))  # fmt: skip


def _swap(portal: "Portal", request: Request, staff: Staff, slug: str, values: FormValues) -> Response:
    """The swap form's POST: run as the coordinator operation; refused, the form again with every reason."""
    _ = gettext_for(staff.language, "portal")
    given = {name: first_value(values, name) for name in ("submission", "remove", "add")}
    with reading_session(portal.engine) as session:
        round_ = round_run(session, staff, slug)  # an observer: 403
        assert round_.id is not None
        # Only this round's reviewers are named back in a refusal: an id from elsewhere is not looked up.
        reviewers = set(
            session.exec(
                select(Enrolment.participant_id).where(Enrolment.round_id == round_.id, col(Enrolment.is_reviewer))
            )
        )
    if not _is_id(given["submission"]):
        raise NotVisible
    submission_id = int(given["submission"])
    chosen = {name: int(value) for name, value in given.items() if name != "submission" and _is_id(value)}
    chosen = {name: value for name, value in chosen.items() if value in reviewers}
    reasons = []
    if "remove" not in chosen:
        reasons.append(_("Choose the reviewer to take off."))
    if "add" not in chosen:
        reasons.append(_("Choose the reviewer to put on."))
    if portal.actions is None:
        reasons.append(_("This portal runs no coordinator operations (it was started without them); use spr serve."))
    if not reasons:
        assert portal.actions is not None
        try:
            done = portal.actions.swap_reviewer(round_.id, round_.slug, submission_id, chosen["remove"],
                                                chosen["add"], staff.actor, staff.language)  # fmt: skip
        except Refused as refused:
            reasons = reasons_in(staff.language, refused.reasons)
        else:
            return done_and_go(portal, f"/console/rounds/{round_.slug}/assignment", done.notice)
    return _swap_form(portal, request, staff, slug, submission_id, chosen, reasons)
