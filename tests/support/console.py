"""The console in tests: the portal's settings, a client on it that has chosen its language (and logged in), the
coordinator operations recorded and answered instead of run, the console served to a real browser with a
window logged in at each width, and for the flow tests the console on the round world running the real
operations as flow runs."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from portal.console.actions import ActionDone, ConsoleActions
from tests.support.browser import WIDTHS, SharedChromium
from tests.support.round_world import PUBLIC_BASE_URL, SECRET, RoundWorld
from tests.support.staff import log_in, log_in_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# What the console offers a coordinator: the methods of its operations.
OPERATIONS = frozenset(name for name in vars(ConsoleActions) if not name.startswith("_"))
# The sentence each recorded operation answers with; the pages show it as their notice.
ANSWERS = {
    "close_stage": "Closed.",
    "confirm_assignment": "Confirmed.",
    "decide_recommendations": "Decided.",
    "edit_recommendation": "Edited.",
    "message_group": "Message queued.",
    "remind": "Reminded.",
    "retry_failed": "Queued again.",
    "swap_reviewer": "Swapped.",
}

Call = tuple[str, tuple[Any, ...], dict[str, Any]]


class RecordedActions:
    """The coordinator operations as the console calls them: each call recorded in `calls` as (name, args,
    kwargs) and answered with an ActionDone (its sentence from ANSWERS), or refused with `refusals[name]`;
    nothing changes."""

    def __init__(self, refusals: Mapping[str, Exception] | None = None) -> None:
        self.calls: list[Call] = []
        self.refusals = dict(refusals or {})

    def __getattr__(self, name: str) -> Callable[..., ActionDone]:
        if name not in OPERATIONS:  # what the console cannot call fails as it would on the real operations
            raise AttributeError(name)

        def operation(*args: Any, **kwargs: Any) -> ActionDone:
            self.calls.append((name, args, kwargs))
            if name in self.refusals:
                raise self.refusals[name]
            return ActionDone(ANSWERS.get(name, "Done."))

        return operation


def console_settings(public_base_url: str = "http://testserver", **overrides: Any) -> Settings:
    """The portal's settings in the console tests, with the test secret, at `public_base_url`."""
    fields: dict[str, Any] = {"secret_key": SECRET, "public_base_url": public_base_url, "database_url": "sqlite://"}
    return Settings(**{**fields, **overrides})


@contextmanager
def console_client(
    engine: Engine,
    *,
    actions: ConsoleActions | RecordedActions | None = None,
    language: str = "en",
    logged_in_as: str | None = None,
    public_base_url: str = "http://testserver",
    **settings: Any,
) -> Iterator[TestClient]:
    """A browser on the console at `public_base_url` that has chosen `language` (the console's default is
    German) and, given an address, logged in with that staff member's password; `actions` are the operations
    the console runs (None: it offers none), `settings` any further portal settings."""
    app = create_app(console_settings(public_base_url, **settings), engine,
                     console_actions=cast(ConsoleActions | None, actions))  # fmt: skip
    with TestClient(app, base_url=public_base_url) as client:
        client.get(f"/console/login?lang={language}")
        if logged_in_as is not None:
            log_in(client, logged_in_as)
        yield client


@contextmanager
def console_in_browser(
    engine: Engine, chromium: SharedChromium, *, actions: ConsoleActions | RecordedActions | None = None
) -> Iterator[tuple[str, "Browser"]]:
    """The console served on loopback with the test settings and the run's Chromium (the `chromium` fixture)
    connected: the console's address and the browser."""
    app = create_app(console_settings("http://127.0.0.1"), engine,
                     console_actions=cast(ConsoleActions | None, actions))  # fmt: skip
    with PortalThread(app) as portal, chromium.connect() as browser:
        yield f"http://127.0.0.1:{portal.port}", browser


def windows_at_every_width(
    browser: "Browser", base: str, email: str, language: str = "en"
) -> Iterator[tuple[str, int, "Page"]]:
    """For each width of WIDTHS, a new browser window that wide, logged in to the console at `base` as `email`
    in `language`: the width's name, its pixels and the window's page; the window is closed when the loop
    moves on."""
    for name, (width, height) in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        log_in_browser(page, base, email, language=language)
        yield name, width, page
        context.close()


@contextmanager
def flow_console(world: RoundWorld, *, language: str = "en", logged_in_as: str | None = None) -> Iterator[TestClient]:
    """The console on the round world, running the coordinator operations as flow runs as `spr serve` hands
    them over (without a Prefect server to start deployments on)."""
    # Imported here: the portal's tests of this module run without Prefect.
    from workflows.console_actions import FlowActions
    from workflows.prefect_server import PrefectApi

    actions = FlowActions(PrefectApi(None))
    with console_client(world.engine, actions=actions, language=language, logged_in_as=logged_in_as,
                        public_base_url=PUBLIC_BASE_URL) as client:  # fmt: skip
        yield client
