"""The portal: the FastAPI application participants and reviewers reach through their personal links."""

import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from config.settings import Settings, get_settings
from config.translations import gettext_for
from portal.accessibility_pages import show_statement
from portal.consensus_pages import ConsensusRequest, handle_consensus_post, show_consensus
from portal.console.actions import ConsoleActions
from portal.console.new_round_pages import UPLOAD_LIMITS
from portal.console.oidc import OidcLogin, oidc_login_from
from portal.console.routes import add_console
from portal.failures import (
    STORE_UNAVAILABLE,
    request_language,
    server_error_page,
    unavailable_page,
)
from portal.form_pages import FormRequest, handle_form_post, show_form
from portal.handover_pages import HandoverRequest, handle_handover_post, show_handover
from portal.health import PrefectCheck, health_report, prefect_api_from_environment
from portal.my_data_pages import FORMATS, download_my_data, show_my_data
from portal.question_pages import QuestionsRequest, handle_questions_post, show_questions_page
from portal.reminder_pages import RemindersRequest, handle_reminders_post, show_reminders_page
from portal.rendering import invalid_link_page, message_page
from portal.reply_pages import ReplyRequest, handle_reply_post, show_reply_page
from portal.report_pages import published_report
from portal.request_limits import LimitGuessing, RequestLimits
from portal.security import BodySizeLimit, RefuseNul, SecurityHeaders
from review_model.accessibility import StatementSettings, read_statement_file
from review_model.store import make_engine, reading_session
from review_model.store_key import store_secret_key
from review_model.tokens import LINK_PATHS
from review_model.vocabulary import TokenPurpose

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 512 * 1024  # the longest questionnaire with every text field full stays far below this
MAX_FORM_FIELDS = 5000


@dataclass(frozen=True)
class Portal:
    """What every request handler needs."""

    settings: Settings
    engine: Engine
    # Told the round's id after each submission, so the round is advanced at once (spr serve starts a flow run).
    on_submission: Callable[[int], None] | None = None
    # The coordinator operations the console runs (as flows; `spr serve` hands them over); None: read-only.
    actions: ConsoleActions | None = None

    @cached_property
    def oidc(self) -> OidcLogin | None:
        """The console's single sign-on, when SPR_OIDC_* name a provider."""
        return oidc_login_from(self.settings)

    @cached_property
    def accessibility(self) -> StatementSettings | None:
        """The installation's accessibility statement (SPR_ACCESSIBILITY_STATEMENT), read once."""
        path = self.settings.accessibility_statement
        return None if path is None else read_statement_file(Path(path).expanduser())

    @cached_property
    def secret(self) -> bytes:
        """The store's secret key, read once; a portal started while its store is down reads it on the first
        request after the store is back (until then every page is the 503 page)."""
        return store_secret_key(self.settings, self.engine)


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    on_submission: Callable[[int], None] | None = None,
    prefect_api_url: str | None = None,
    console_actions: ConsoleActions | None = None,
) -> FastAPI:
    """The portal application, on the configured store unless an engine is given.

    `prefect_api_url` is the Prefect API the engine's flows use, which /health asks after; without it,
    PREFECT_API_URL from the environment; an empty one says there is no Prefect server. `console_actions` are
    the coordinator operations the console runs; without them the console only shows.
    """
    settings = settings or get_settings()
    prefect = PrefectCheck(prefect_api_url if prefect_api_url is not None else prefect_api_from_environment())
    engine = engine or make_engine(settings.database_url)
    portal = Portal(settings, engine, on_submission, console_actions)
    portal.accessibility  # noqa: B018 (a statement file that cannot be used stops the start, naming its lines)
    with suppress(*STORE_UNAVAILABLE):  # a store that is down must not keep the portal from answering 503
        portal.secret  # noqa: B018 (a missing or wrong key stops the start, as it stops every command)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers run in worker threads; Python runs one at a time, so a few threads answer each
        # request sooner than forty taking turns, and the rest wait in order.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.portal_threads
        yield
        if portal.oidc is not None:
            await portal.oidc.aclose()

    app = FastAPI(title="spr portal", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES, on_too_large=_too_large, larger_for=UPLOAD_LIMITS)
    app.add_middleware(RefuseNul, on_refused=_no_such_page)
    limits = RequestLimits(settings.portal_lookup_failures, settings.portal_requests_per_minute)
    app.add_middleware(LimitGuessing, limits=limits, on_limited=_too_many)  # inside: its 429 has the headers
    app.add_middleware(SecurityHeaders)

    @app.get("/health")
    def health() -> Response:
        """For load balancers, monitoring and `spr serve`: 503 unless the store takes writes; the Prefect
        server and the rounds' last advances are reported in the body (see portal.health)."""
        status, body = health_report(portal.engine, prefect, settings.advance_interval_seconds)
        return JSONResponse(body, status_code=status)

    @app.get("/")
    def home(lang: str = "de") -> Response:
        language = lang if lang in ("de", "en") else "de"
        _ = gettext_for(language, "portal")
        text = _("You open this site with the personal link in your invitation.")
        return message_page(language, _("Stakeholder peer review"), text, 200)

    @app.get("/accessibility")
    def accessibility(round: str | None = None, lang: str = "de") -> Response:
        return show_statement(portal, round, lang)

    @app.get("/static/portal.css")
    def stylesheet() -> Response:
        return FileResponse(
            STATIC_DIR / "portal.css", media_type="text/css", headers={"cache-control": "public, max-age=3600"}
        )

    for path, purpose in (("/a/{token}", TokenPurpose.self_assessment), ("/r/{token}", TokenPurpose.review)):
        _add_form_routes(app, portal, path, purpose)
    _add_handover_routes(app, portal)
    _add_consensus_routes(app, portal)
    _add_reply_routes(app, portal)
    _add_question_routes(app, portal)
    _add_my_data_routes(app, portal)
    _add_reminder_routes(app, portal)
    add_console(app, portal)

    @app.get("/reports/{slug}")
    def report_home(slug: str, lang: str | None = None) -> Response:
        return report_file(slug, "report.html", lang)

    @app.get("/reports/{slug}/{file_name}")
    def report_file(slug: str, file_name: str, lang: str | None = None) -> Response:
        with reading_session(portal.engine) as session:
            return published_report(session, slug, file_name, _language(lang) or "de", portal.secret)

    @app.exception_handler(StarletteHTTPException)
    async def friendly_errors(request: Request, error: StarletteHTTPException) -> Response:
        language = request.query_params.get("lang", "de")
        language = language if language in ("de", "en") else "de"
        if error.status_code == 404:
            return invalid_link_page(language)
        _ = gettext_for(language, "portal")
        return message_page(language, _("The request was refused"), str(error.detail), error.status_code)

    async def store_unavailable(request: Request, _error: Exception) -> Response:
        return unavailable_page(request_language(request))

    for kind in STORE_UNAVAILABLE:
        app.add_exception_handler(kind, store_unavailable)

    @app.exception_handler(Exception)
    async def server_error(request: Request, _error: Exception) -> Response:
        return server_error_page(request_language(request))

    return app


async def _posted(request: Request) -> tuple[dict[str, list[str]], str | None]:
    """A participant's POST: its text fields, and the language they chose (kept for the failure pages)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    values = {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}
    language = _language(next(iter(values.get("lang") or []), None))
    request.state.language = language
    return values, language


def _add_form_routes(app: FastAPI, portal: Portal, path: str, purpose: TokenPurpose) -> None:
    @app.get(path, name=f"{purpose.value}_form")
    def form_page(request: Request, token: str, lang: str | None = None, done: str | None = None) -> Response:
        return show_form(portal, FormRequest(purpose, token, _language(lang), done))

    @app.post(path, name=f"{purpose.value}_post")
    async def form_post(request: Request, token: str) -> Response:
        values, language = await _posted(request)
        return await run_in_threadpool(
            handle_form_post, portal, FormRequest(purpose, token, language, None), values, request.headers
        )


def _add_handover_routes(app: FastAPI, portal: Portal) -> None:
    @app.get("/a/{token}/hand-over", name="handover_form")
    def handover_page(token: str, lang: str | None = None) -> Response:
        return show_handover(portal, HandoverRequest(token, _language(lang)))

    @app.post("/a/{token}/hand-over", name="handover_post")
    async def handover_post(request: Request, token: str) -> Response:
        values, language = await _posted(request)
        return await run_in_threadpool(
            handle_handover_post, portal, HandoverRequest(token, language), values, request.headers
        )


def _add_consensus_routes(app: FastAPI, portal: Portal) -> None:
    @app.get("/r/{token}/consensus", name="consensus_page")
    def consensus_page(token: str, lang: str | None = None, done: str | None = None) -> Response:
        return show_consensus(portal, ConsensusRequest(token, _language(lang), done))

    @app.post("/r/{token}/consensus", name="consensus_post")
    async def consensus_post(request: Request, token: str) -> Response:
        values, language = await _posted(request)
        return await run_in_threadpool(
            handle_consensus_post, portal, ConsensusRequest(token, language), values, request.headers
        )


def _add_reply_routes(app: FastAPI, portal: Portal) -> None:
    @app.get("/c/{token}", name="reply_form")
    def reply_page(token: str, lang: str | None = None, done: str | None = None) -> Response:
        return show_reply_page(portal, ReplyRequest(token, _language(lang), done))

    @app.post("/c/{token}", name="reply_post")
    async def reply_post(request: Request, token: str) -> Response:
        values, language = await _posted(request)
        return await run_in_threadpool(
            handle_reply_post, portal, ReplyRequest(token, language), values, request.headers
        )


def _add_question_routes(app: FastAPI, portal: Portal) -> None:
    @app.get("/q/{token}", name="questions_page")
    def questions_page(token: str, lang: str | None = None, done: str | None = None) -> Response:
        return show_questions_page(portal, QuestionsRequest(token, _language(lang), done))

    @app.post("/q/{token}", name="questions_post")
    async def questions_post(request: Request, token: str) -> Response:
        values, language = await _posted(request)
        return await run_in_threadpool(
            handle_questions_post, portal, QuestionsRequest(token, language), values, request.headers
        )


def _add_my_data_routes(app: FastAPI, portal: Portal) -> None:
    # The forms' links only: a link that stops reminders opens nothing else (a forwarded reminder holds it).
    for purpose in (TokenPurpose.self_assessment, TokenPurpose.review, TokenPurpose.reply, TokenPurpose.questions):
        _add_my_data_route(app, portal, LINK_PATHS[purpose], purpose)


def _add_my_data_route(app: FastAPI, portal: Portal, prefix: str, purpose: TokenPurpose) -> None:
    @app.get(f"/{prefix}/{{token}}/my-data", name=f"{purpose.value}_my_data")
    def my_data(token: str, lang: str | None = None) -> Response:
        return show_my_data(portal, purpose, token, _language(lang))

    @app.get(f"/{prefix}/{{token}}/my-data.{{extension}}", name=f"{purpose.value}_my_data_file")
    def my_data_file(token: str, extension: str) -> Response:
        if extension not in FORMATS:
            return invalid_link_page("de")
        return download_my_data(portal, purpose, token, extension)


def _add_reminder_routes(app: FastAPI, portal: Portal) -> None:
    @app.get("/reminders/{token}", name="reminders_page")
    def reminders_page(token: str, lang: str | None = None, done: str | None = None) -> Response:
        return show_reminders_page(portal, RemindersRequest(token, _language(lang), done))

    @app.post("/reminders/{token}", name="reminders_post")
    async def reminders_post(request: Request, token: str) -> Response:
        values, language = await _posted(request)
        return await run_in_threadpool(
            handle_reminders_post, portal, RemindersRequest(token, language), values, request.headers
        )


def _language(value: str | None) -> str | None:
    return value if value in ("de", "en") else None


async def _no_such_page(scope: Scope, receive: Receive, send: Send) -> None:
    response = invalid_link_page("de")
    await response(scope, receive, send)


def _too_many(scope: Scope, wait: float) -> Response:
    """429 for an address over a limit on guessing (portal.request_limits): the same page whatever was asked."""
    language = "en" if b"lang=en" in scope.get("query_string", b"") else "de"
    _ = gettext_for(language, "portal")
    text = _(
        "Too many requests came from your network in a short time. Please try again in a few minutes. If you "
        "opened a link from an email, please check that you copied the whole link."
    )
    response = message_page(language, _("Too many requests"), text, 429)
    response.headers["retry-after"] = str(max(1, math.ceil(wait)))
    return response


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    limit = UPLOAD_LIMITS.get(scope["path"])
    if limit is not None:  # the console's upload says which limit, in the language its form was sent in
        language = "en" if b"lang=en" in scope.get("query_string", b"") else "de"
        _ = gettext_for(language, "portal")
        text = _("The files are larger than the console accepts ({mib} MiB together). Nothing was created.")
        response = message_page(language, _("The files are too large"), text.format(mib=limit // 1024**2), 413)
    else:
        _ = gettext_for("de", "portal")
        text = _("The entry is larger than the form accepts. Please shorten long texts.")
        response = message_page("de", _("Too much text"), text, 413)
    await response(scope, receive, send)
