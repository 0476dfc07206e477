"""A round's drafted recommendations in the console: the list by action level and priority with both texts and
the evidence each rests on, the draft report to read before deciding, editing one, and approving or
rejecting several at once.

Deciding asks first: the list's checkboxes lead to a page (GET, which changes nothing) naming the chosen
recommendations, whose button runs the coordinator operation (`ConsoleActions.decide_recommendations`).
Editing is a form that keeps everything typed when it is refused, with every reason beside it; it runs as
`ConsoleActions.edit_recommendation`. Both are the operations and flow runs of `spr recommendations`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from config.translations import gettext_for, ngettext_for
from portal.console.access import NotVisible, Staff, check_form, current_staff, round_run, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_message, console_page, done_and_go
from portal.console.round_actions import Confirmation, FormValues, first_value, run_action
from portal.report_pages import REPORT_POLICY
from reports.contents import cell_labels
from reports.documents import render_report
from reports.rendering_numbers import number
from review_model.moments import format_moment
from review_model.questionnaire import Questionnaire
from review_model.refusals import Refused, reasons_in
from review_model.rounds import round_progress
from review_model.store import reading_session
from review_model.tables import Finding, Recommendation, Round
from review_model.vocabulary import ActionLevel, RecommendationStatus, Stage

if TYPE_CHECKING:
    from portal.app import Portal

PRIORITIES = (1, 2, 3)


@dataclass(frozen=True)
class Quote:
    number: int  # as `spr recommendations edit --remove-quote` counts them, from 1
    party: str
    item: str  # the item it was written on, as the questionnaire names it
    text: str


@dataclass(frozen=True)
class RecommendationView:
    """One recommendation as the console shows it: its texts, and the evidence named in the staff's language."""

    id: int
    action_level: ActionLevel
    priority: int
    status: RecommendationStatus
    text_de: str
    text_en: str | None
    group: str  # what the rule read: the group of items (a field of action, an objective), by its name
    figure: str  # which figure met the rule's condition, in words
    parties: list[tuple[str, str]]  # (party, its figure written out)
    count: int
    total: int
    items: list[str]
    quotes: list[Quote]
    rule: str
    decided_by: str | None
    decided_at: str | None


@dataclass(frozen=True)
class EditForm:
    """What the edit form shows: what was typed (or the stored values), and every reason it was refused."""

    text_de: str
    text_en: str
    priority: int
    remove_quotes: list[int]
    reasons: list[str] = field(default_factory=list)
    german_missing: bool = False


def add_recommendation_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/recommendations (list, decide, edit) and /console/rounds/<slug>/draft-report."""

    @app.get("/console/rounds/{slug}/recommendations")
    def recommendations_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            levels = _by_level(session, round_, staff.language)
            progress = round_progress(session, round_.id)
        return console_page(portal, request, "recommendations.html", staff.language, staff=staff, round=round_,
                            levels=levels, progress=progress, **_runs(portal, staff, round_),
                            decidable=round_.stage is Stage.drafting, has_findings=progress.findings > 0,
                            drafting=Stage.drafting.label(staff.language),
                            drafted=round_.stage in (Stage.drafting, Stage.comment, Stage.published, Stage.archived),
                            status_words=_status_words(staff.language))  # fmt: skip

    @app.get("/console/rounds/{slug}/recommendations/decide")
    def decide_page(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        values = {key: request.query_params.getlist(key) for key in request.query_params}
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            approve, ids, refusals = _decision_asked(session, round_, values, staff.language)
            chosen = [view for views in _by_level(session, round_, staff.language).values() for view in views
                      if view.id in ids]  # fmt: skip
        confirmation = _explain_decision(round_, approve, chosen, refusals, staff.language)
        hidden = {"ids": ",".join(map(str, ids)), "decision": "approve" if approve else "reject"}
        return console_page(portal, request, "recommendation_decision.html", staff.language, staff=staff,
                            round=round_, confirmation=confirmation, chosen=chosen, hidden=hidden,
                            **_runs(portal, staff, round_), action=request.url.path,
                            status_words=_status_words(staff.language))  # fmt: skip

    @app.post("/console/rounds/{slug}/recommendations/decide")
    async def decide(request: Request, slug: str) -> Response:
        def deciding(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
            with reading_session(portal.engine) as session:
                approve, ids, refusals = _decision_asked(session, round_, values, staff.language)
            if refusals:  # checked again: the round may have moved on since the page was shown
                raise Refused(refusals)
            assert round_.id is not None
            return actions.decide_recommendations(round_.id, round_.slug, ids, approve, staff.actor, staff.language)

        return await run_action(portal, request, slug, deciding, back_to=f"/console/rounds/{slug}/recommendations")

    @app.get("/console/rounds/{slug}/recommendations/{recommendation_id}/edit")
    def edit_page(request: Request, slug: str, recommendation_id: int) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            view = _one(session, round_, recommendation_id, staff.language)
        form = EditForm(view.text_de, view.text_en or "", view.priority, [])
        return _edit_form(portal, request, staff, round_, view, form)

    @app.post("/console/rounds/{slug}/recommendations/{recommendation_id}/edit")
    async def edit(request: Request, slug: str, recommendation_id: int) -> Response:
        posted = await request.form(max_files=0, max_fields=200)
        values = {key: [v for v in posted.getlist(key) if isinstance(v, str)] for key in posted}
        staff = current_staff(request, portal)
        check_form(portal, request, staff, values)
        return await run_in_threadpool(_save_edit, portal, request, staff, slug, recommendation_id, values)

    @app.get("/console/rounds/{slug}/draft-report")
    def draft_report(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            if round_.stage in (Stage.published, Stage.archived):  # the edition that was published, not a draft
                return RedirectResponse(f"/reports/{round_.slug}?lang={staff.language}", status_code=303)
            if session.exec(select(Finding.id).where(Finding.round_id == round_.id)).first() is None:
                _ = gettext_for(staff.language, "portal")
                text = _("The round has no findings yet: its report can be read once the peer review is closed "
                         "and consolidated.")  # fmt: skip
                return console_message(portal, request, staff.language, _("No draft report yet"), text, 404)
            document = render_report(session, round_.id, "html", staff.language)
        # The report carries its styles and charts inline; it is for staff only, so it is not cached.
        headers = {"content-security-policy": REPORT_POLICY, "x-robots-tag": "noindex"}
        return Response(document.content, media_type=document.media_type, headers=headers)


def _runs(portal: "Portal", staff: Staff, round_: Round) -> dict[str, bool]:
    """Whether this person may change the round from here (`runs`; an observer reads only), and whether they
    may but this portal was started without the coordinator operations (`no_operations`)."""
    assert round_.id is not None
    may = staff.access.runs(round_.id)
    return {"runs": may and portal.actions is not None, "no_operations": may and portal.actions is None}


def _status_words(language: str) -> dict[str, str]:
    _ = gettext_for(language, "portal")
    return {
        RecommendationStatus.draft.value: _("draft"),
        RecommendationStatus.approved.value: _("approved"),
        RecommendationStatus.rejected.value: _("rejected"),
        RecommendationStatus.published.value: _("published"),
    }


def _by_level(session: Session, round_: Round, language: str) -> dict[ActionLevel, list[RecommendationView]]:
    """The round's recommendations by action level (in the report's order), highest priority first."""
    found = session.exec(
        select(Recommendation)
        .where(Recommendation.round_id == round_.id)
        .order_by(col(Recommendation.priority), col(Recommendation.id))
    ).all()
    names = _Names(round_, language)
    levels: dict[ActionLevel, list[RecommendationView]] = {}
    for recommendation in found:
        levels.setdefault(recommendation.action_level, []).append(names.view(recommendation))
    return {level: levels[level] for level in ActionLevel if level in levels}


def _one(session: Session, round_: Round, recommendation_id: int, language: str) -> RecommendationView:
    """One recommendation of the round; NotVisible (404) for another round's or none."""
    recommendation = session.get(Recommendation, recommendation_id)
    if recommendation is None or recommendation.round_id != round_.id:
        raise NotVisible
    return _Names(round_, language).view(recommendation)


class _Names:
    """Names the evidence of a round's recommendations in one language: groups and items as the round's
    questionnaire calls them, figures as its readers write them."""

    def __init__(self, round_: Round, language: str):
        questionnaire = Questionnaire.model_validate(round_.questionnaire_snapshot)
        self.language = language
        self.groups = {key: label.in_language(language) for key, label in questionnaire.tag_labels().items()}
        self.items = cell_labels(questionnaire, language)
        self.time_zone = round_.time_zone
        _ = gettext_for(language, "portal")
        self.figures = {
            "peer_mean": _("the peers' mean rating"),
            "self_score": _("the self-assessment"),
            "gap": _("the gap between self-assessment and peers"),
        }

    def view(self, r: Recommendation) -> RecommendationView:
        evidence: dict[str, Any] = r.evidence or {}
        scope, key = str(evidence.get("scope", "")), str(evidence.get("key", ""))
        parties = list(evidence.get("parties", []))
        values: Sequence[float | None] = list(evidence.get("values", [])) or [None] * len(parties)
        quotes = [
            Quote(n, str(quote.get("party", "")), self._item(str(quote.get("item", ""))), str(quote.get("text", "")))
            for n, quote in enumerate(evidence.get("quotes", []), 1)
        ]
        assert r.id is not None
        return RecommendationView(
            id=r.id,
            action_level=r.action_level,
            priority=r.priority,
            status=r.status,
            text_de=r.text_de,
            text_en=r.text_en,
            group=self.groups.get((scope, key), key),
            figure=self.figures.get(str(evidence.get("figure", "")), str(evidence.get("figure", ""))),
            parties=[
                (str(party), number(value, self.language, 2)) for party, value in zip(parties, values, strict=False)
            ],
            count=int(evidence.get("count", 0) or 0),
            total=int(evidence.get("total", 0) or 0),
            items=[self._item(str(item)) for item in evidence.get("items", [])],
            quotes=quotes,
            rule=str(evidence.get("rule", r.rule_id)),
            decided_by=r.decided_by,
            decided_at=format_moment(r.decided_at, self.time_zone, self.language) if r.decided_at else None,
        )

    def _item(self, key: str) -> str:
        """An item, a matrix cell or a comment field as the questionnaire names what it belongs to: the item
        (`<item>/comment`) or the matrix row (`<matrix>/<row>/comment`, named as its cells without their
        column); the key itself where the questionnaire names nothing."""
        field = key.removesuffix("/comment")
        if field in self.items:
            return self.items[field]
        cells = [label for cell, label in self.items.items() if cell.startswith(f"{field}/")]
        return cells[0].rsplit(" · ", 1)[0] if cells else key


def _decision_asked(
    session: Session, round_: Round, values: FormValues, language: str
) -> tuple[bool, list[int], list[str]]:
    """From a form or a query: approve (or reject), the recommendations chosen, and every reason the decision
    cannot be taken, in the staff member's language."""
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    decision = first_value(values, "decision")
    approve = decision == "approve"
    given = [part.strip() for value in values.get("ids") or [] for part in value.split(",") if part.strip()]
    ids = sorted({int(part) for part in given if part.isdigit() and len(part) < 10})
    reasons = []
    if round_.stage is not Stage.drafting:
        reasons.append(_("Recommendations are approved or rejected in the {drafting} stage; the round is in the "
                         "{stage} stage.").format(drafting=Stage.drafting.label(language),
                                                  stage=round_.stage.label(language)))  # fmt: skip
    if decision not in ("approve", "reject"):
        reasons.append(_("Choose whether to approve or to reject the recommendations."))
    if not ids:
        reasons.append(_("Choose at least one recommendation (tick its box in the list)."))
    else:
        known = set(
            session.exec(
                select(Recommendation.id).where(Recommendation.round_id == round_.id, col(Recommendation.id).in_(ids))
            ).all()
        )
        missing = [n for n in ids if n not in known]
        if missing:
            said = ngettext("The round has no recommendation {ids}.", "The round has no recommendations {ids}.",
                            len(missing))  # fmt: skip
            reasons.append(said.format(ids=", ".join(map(str, missing))))
    return approve, ids, reasons


def _explain_decision(
    round_: Round, approve: bool, chosen: list[RecommendationView], refusals: list[str], language: str
) -> Confirmation:
    _, ngettext = gettext_for(language, "portal"), ngettext_for(language, "portal")
    n = len(chosen)
    if approve:
        title = _("Approve recommendations")
        button = ngettext("Approve {n} recommendation", "Approve {n} recommendations", n).format(n=n)
        lines = [
            ngettext("This recommendation is approved: it appears in the report, and the reviewed parties read it "
                     "with their draft findings.",
                     "These {n} recommendations are approved: they appear in the report, and the reviewed parties "
                     "read them with their draft findings.", n).format(n=n),
        ]  # fmt: skip
    else:
        title = _("Reject recommendations")
        button = ngettext("Reject {n} recommendation", "Reject {n} recommendations", n).format(n=n)
        lines = [
            ngettext("This recommendation is rejected: it stays in the store but never reaches the report.",
                     "These {n} recommendations are rejected: they stay in the store but never reach the report.",
                     n).format(n=n),
        ]  # fmt: skip
    lines.append(_("Once no draft is left, the right of reply opens with the round's next advance: each reviewed "
                   "party is emailed its draft findings and a link to reply."))  # fmt: skip
    return Confirmation(title, lines, button, refusals=refusals)


def _edit_form(
    portal: "Portal",
    request: Request,
    staff: Staff,
    round_: Round,
    view: RecommendationView,
    form: EditForm,
    status_code: int = 200,
) -> Response:
    _ = gettext_for(staff.language, "portal")
    closed = [] if round_.stage is Stage.drafting else [
        _("Recommendations are changed in the {drafting} stage; the round is in the {stage} stage.").format(
            drafting=Stage.drafting.label(staff.language), stage=round_.stage.label(staff.language))
    ]  # fmt: skip
    return console_page(portal, request, "recommendation_edit.html", staff.language, status_code=status_code,
                        staff=staff, round=round_, rec=view, form=form, closed=closed, priorities=PRIORITIES,
                        **_runs(portal, staff, round_), status_words=_status_words(staff.language))  # fmt: skip


def _save_edit(
    portal: "Portal", request: Request, staff: Staff, slug: str, recommendation_id: int, values: FormValues
) -> Response:
    """The edit form's POST: checked, then run as the coordinator operation; refused, the form again with what
    was typed and every reason."""
    _, ngettext = gettext_for(staff.language, "portal"), ngettext_for(staff.language, "portal")
    with reading_session(portal.engine) as session:
        round_ = round_run(session, staff, slug)  # an observer: 403
        view = _one(session, round_, recommendation_id, staff.language)
    assert round_.id is not None
    # Browsers send a text box's line breaks as CRLF; the store keeps plain newlines.
    text_de = first_value(values, "text_de").replace("\r\n", "\n")
    text_en = first_value(values, "text_en").replace("\r\n", "\n")
    priority_given = first_value(values, "priority")
    priority = int(priority_given) if priority_given.isdigit() and len(priority_given) < 3 else 0
    asked = [part for part in values.get("remove_quote") or []]
    remove = sorted({int(n) for n in asked if n.isdigit() and len(n) < 6})
    reasons = []
    if round_.stage is not Stage.drafting:
        reasons.append(_("Recommendations are changed in the {drafting} stage; the round is in the {stage} stage.")
                       .format(drafting=Stage.drafting.label(staff.language),
                               stage=round_.stage.label(staff.language)))  # fmt: skip
    german_missing = not text_de.strip()
    if german_missing:
        reasons.append(_("The German text cannot be empty: it is the report's wording in German."))
    if "\x00" in text_de or "\x00" in text_en:
        reasons.append(_("A text holds a character that cannot be stored (a NUL byte); please remove it."))
    if priority not in PRIORITIES:
        reasons.append(_("Choose a priority: 1 (highest), 2 or 3."))
    unknown = [n for n in remove if not 1 <= n <= len(view.quotes)] + [n for n in asked if not n.isdigit()]
    if unknown:
        said = ngettext(
            "The recommendation has {n} quote; there is no quote {numbers}.",
            "The recommendation has {n} quotes; there is no quote {numbers}.",
            len(view.quotes),
        )
        reasons.append(said.format(n=len(view.quotes), numbers=", ".join(map(str, unknown))))
    if portal.actions is None:
        reasons.append(_("This portal runs no coordinator operations (it was started without them); use spr serve."))
    form = EditForm(text_de, text_en, priority, remove, reasons, german_missing)
    if reasons:
        return _edit_form(portal, request, staff, round_, view, form, status_code=422)
    assert portal.actions is not None
    try:
        done = portal.actions.edit_recommendation(
            round_.id, round_.slug, recommendation_id, staff.actor, staff.language,
            de=text_de, en=text_en, priority=priority, remove_quotes=remove,
        )  # fmt: skip
    except Refused as refused:
        form = EditForm(text_de, text_en, priority, remove, reasons_in(staff.language, refused.reasons))
        return _edit_form(portal, request, staff, round_, view, form, status_code=422)
    return done_and_go(portal, f"/console/rounds/{round_.slug}/recommendations", done.notice)
