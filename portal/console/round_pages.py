"""The console's pages about rounds: every round the person sees, and a round's dashboard (its timeline, the
progress of its running stage, and what needs the coordinator now)."""

from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

from config.translations import N_, translate
from portal.console.access import current_staff, round_seen
from portal.console.pages import console_page
from reports.follow_up import follow_up_view
from review_model import clock
from review_model.attention import AttentionKind, needs_attention
from review_model.moments import format_moment
from review_model.refusals import reasons_in
from review_model.round_dashboard import rounds_at_a_glance
from review_model.round_timeline import Milestone, NextDeadline, next_deadline, round_timeline
from review_model.rounds import round_progress
from review_model.stage_progress import ProgressMeasure, stage_progress
from review_model.stage_rules import stage_after, transition_blockers
from review_model.store import reading_session

if TYPE_CHECKING:
    from portal.app import Portal

MILESTONES = {
    Milestone.submission_opens: N_("the self-assessment opens"),
    Milestone.submission_deadline: N_("submission deadline"),
    Milestone.review_deadline: N_("review deadline"),
    Milestone.consensus_deadline: N_("end of the consensus stage"),
    Milestone.comment_deadline: N_("end of the right of reply"),
    Milestone.publication: N_("planned publication"),
}
MEASURES = {
    ProgressMeasure.self_assessments: N_("self-assessments submitted"),
    ProgressMeasure.reviews: N_("reviews submitted"),
    ProgressMeasure.joint_assessments: N_("joint assessments submitted"),
    ProgressMeasure.replies: N_("reviewed parties that replied"),
}
# Where each thing that needs the coordinator is dealt with, after the round's address.
ATTENTION_PAGES = {
    AttentionKind.assignment_to_confirm: "/assignment",
    AttentionKind.assignment_infeasible: "/assignment",
    AttentionKind.recommendations_to_decide: "/recommendations",
    AttentionKind.failed_messages: "/email",
    AttentionKind.bounced_addresses: "/people?state=bounced",
    AttentionKind.stage_closable: "/close-stage",
}


def add_round_routes(app: FastAPI, portal: "Portal") -> None:
    """/console: the rounds; /console/rounds/<slug>: a round's dashboard."""

    @app.get("/console")
    def rounds_page(request: Request) -> Response:
        staff = current_staff(request, portal)
        language = staff.language
        with reading_session(portal.engine) as session:
            glances = rounds_at_a_glance(session, staff.access.visible_rounds())
        rounds = [
            {
                "glance": glance,
                "title": glance.title_en if language == "en" and glance.title_en else glance.title,
                "deadline": _deadline_words(glance.next_deadline, glance.time_zone, language),
                "waits_for": reasons_in(language, glance.waits_for),
            }
            for glance in glances
        ]
        return console_page(portal, request, "rounds.html", language, staff=staff, rounds=rounds)

    @app.get("/console/rounds/{slug}")
    def dashboard(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        language, now = staff.language, clock.now()
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            counts = round_progress(session, round_.id)  # the costliest count, read once for the whole page
            progress = stage_progress(session, round_.id, counts)
            attention = needs_attention(session, round_, now, counts)
            following = stage_after(round_)
            waits_for = transition_blockers(round_, following, counts, now) if following is not None else []
            follow_up = follow_up_view(session, round_, language, {})

        def moment(value: datetime | None) -> str:
            return format_moment(value, round_.time_zone, language) if value is not None else ""

        return console_page(
            portal,
            request,
            "dashboard.html",
            language,
            staff=staff,
            round=round_,
            timeline=round_timeline(round_, now),
            moment=moment,
            progress=progress,
            measure=translate(language, "portal", MEASURES[progress.measure]) if progress.measure else None,
            attention=[(item, ATTENTION_PAGES[item.kind], reasons_in(language, item.reasons)) for item in attention],
            waits_for=reasons_in(language, waits_for),
            next_deadline=_deadline_words(next_deadline(round_, now), round_.time_zone, language),
            runs=staff.access.runs(round_.id),
            follow_up=follow_up,
        )


def _deadline_words(deadline: NextDeadline | None, zone: str, language: str) -> str:
    """ "submission deadline: 24.01.2027, 18:00 (MEZ)", or nothing when the schedule has no moment left."""
    if deadline is None:
        return ""
    name = translate(language, "portal", MILESTONES[deadline.milestone])
    return f"{name}: {format_moment(deadline.at, zone, language)}"
