"""The console's pages about rounds: every round the person sees, and a round's dashboard."""

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

from portal.console.access import current_staff, round_seen
from portal.console.pages import console_page
from review_model.staff_access import rounds_seen
from review_model.store import reading_session

if TYPE_CHECKING:
    from portal.app import Portal


def add_round_routes(app: FastAPI, portal: "Portal") -> None:
    """/console: the rounds."""

    @app.get("/console")
    def rounds_page(request: Request) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            rounds = rounds_seen(session, staff.access)
        return console_page(portal, request, "rounds.html", staff.language, staff=staff, rounds=rounds)

    @app.get("/console/rounds/{slug}")
    def dashboard(request: Request, slug: str) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
        return console_page(portal, request, "dashboard.html", staff.language, staff=staff, round=round_)
