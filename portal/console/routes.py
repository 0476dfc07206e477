"""The console's routes on the portal's application, and what it answers when a request may not go on."""

from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from portal.console.access import LoginRequired, NotVisible, ReadOnly, StaleForm, console_language, login_location
from portal.console.assignment_pages import add_assignment_routes
from portal.console.calibration_pages import add_calibration_routes
from portal.console.email_pages import add_email_routes
from portal.console.history_pages import add_history_routes
from portal.console.login_pages import add_login_routes
from portal.console.new_round_pages import add_new_round_routes
from portal.console.pages import not_visible_page, read_only_page, stale_form_page
from portal.console.people_pages import add_people_routes
from portal.console.publication_pages import add_publication_routes
from portal.console.recommendation_pages import add_recommendation_routes
from portal.console.review_pages import add_review_routes
from portal.console.round_actions import add_round_action_routes
from portal.console.round_pages import add_round_routes
from portal.console.staff_pages import add_staff_routes

if TYPE_CHECKING:
    from portal.app import Portal


def add_console(app: FastAPI, portal: "Portal") -> None:
    """Serve the console under /console."""
    add_login_routes(app, portal)
    add_new_round_routes(app, portal)  # before /console/rounds/{slug}, which would take "new" for a slug
    add_round_routes(app, portal)
    add_round_action_routes(app, portal)
    add_people_routes(app, portal)
    add_staff_routes(app, portal)
    add_recommendation_routes(app, portal)
    add_publication_routes(app, portal)
    add_history_routes(app, portal)
    add_email_routes(app, portal)
    add_assignment_routes(app, portal)
    add_review_routes(app, portal)
    add_calibration_routes(app, portal)

    @app.exception_handler(LoginRequired)
    async def to_login(_request: Request, error: LoginRequired) -> Response:
        return RedirectResponse(login_location(error.next_path), status_code=303)

    @app.exception_handler(NotVisible)
    async def not_visible(request: Request, _error: NotVisible) -> Response:
        return not_visible_page(portal, request, console_language(request, portal))

    @app.exception_handler(ReadOnly)
    async def read_only(request: Request, _error: ReadOnly) -> Response:
        return read_only_page(portal, request, console_language(request, portal))

    @app.exception_handler(StaleForm)
    async def stale_form(request: Request, _error: StaleForm) -> Response:
        return stale_form_page(portal, request, console_language(request, portal))
