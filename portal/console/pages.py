"""Rendering console pages: the staff member's language, the notice a POST left for the page after it, and the
answers for a request that may not go on (login, not visible, read-only, stale form)."""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from config.translations import N_, gettext_for, translate
from portal.console.access import LANGUAGE_COOKIE, Staff, console_cookies
from portal.rendering import render_page

if TYPE_CHECKING:
    from portal.app import Portal

NOTICE_COOKIE = "console-notice"
# A round's pages after its dashboard, in the order of the round's work: (path after the round's, name).
ROUND_PAGES: list[tuple[str, str]] = [
    ("/people", N_("People")),
    ("/email", N_("Email")),
    ("/assignment", N_("Assignment")),
    ("/reviews", N_("Reviews")),
    ("/recommendations", N_("Recommendations")),
    ("/publication", N_("Right of reply and publication")),
    ("/history", N_("History")),
]


def console_page(
    portal: "Portal",
    request: Request,
    template: str,
    language: str,
    *,
    staff: Staff | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from templates/console, with the notice the last POST left (shown once)."""
    cookies = console_cookies(portal)
    stored = cookies.read(request, NOTICE_COOKIE)
    notice, failed = (stored[2:], stored[0] == "!") if stored else (None, False)
    response = render_page(
        template,
        language,
        status_code,
        folder="console",
        staff=staff,
        notice=notice,
        notice_failed=failed,
        path=request.url.path,
        other_language_link=_other_language_link(request, language),
        round_pages=[(target, translate(language, "portal", name)) for target, name in ROUND_PAGES],
        **context,
    )
    if stored is not None:
        cookies.clear(response, NOTICE_COOKIE)
    if request.query_params.get("lang") in ("de", "en"):  # the choice holds for the pages after this one
        cookies.write(response, LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600)
    return response


def done_and_go(portal: "Portal", location: str, notice: str, failed: bool = False) -> RedirectResponse:
    """After a POST: back to a page (303, so a reload does not post again) that says what was done, or (`failed`)
    why nothing was."""
    response = RedirectResponse(location, status_code=303)
    console_cookies(portal).write(response, NOTICE_COOKIE, ("! " if failed else "  ") + notice[:1500])
    return response


def console_message(portal: "Portal", request: Request, language: str, title: str, text: str, status: int) -> Response:
    """A short console page that says why the request went no further."""
    return console_page(portal, request, "message.html", language, status_code=status, title=title, text=text)


def not_visible_page(portal: "Portal", request: Request, language: str) -> Response:
    _ = gettext_for(language, "portal")
    text = _("There is no such page, or it belongs to a round you are not named for.")
    return console_message(portal, request, language, _("Page not found"), text, 404)


def read_only_page(portal: "Portal", request: Request, language: str) -> Response:
    _ = gettext_for(language, "portal")
    text = _("You may read this round's console, but not change anything in it. Its coordinators can.")
    return console_message(portal, request, language, _("Not allowed"), text, 403)


def stale_form_page(portal: "Portal", request: Request, language: str) -> Response:
    _ = gettext_for(language, "portal")
    text = _("The form was no longer valid (sent from another page, or after logging out). Nothing was changed. "
             "Please reload the page and try again.")  # fmt: skip
    return console_message(portal, request, language, _("The request was refused"), text, 403)


def _other_language_link(request: Request, language: str) -> str:
    """This page in the other language, with its query kept (a filtered list stays filtered)."""
    other = "en" if language == "de" else "de"
    query = [(name, value) for name, value in request.query_params.multi_items() if name != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", other)])
