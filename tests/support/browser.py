"""What the real-browser tests share: Debian's Chromium driven by Playwright (the portal runs in a
`portal.background.PortalThread`), and axe-core, which checks each page against WCAG 2.1 AA."""

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
# axe-core from npm (.ci/run: npm install --prefix .browser-tools axe-core@4.14.1); AXE_CORE_JS points elsewhere.
AXE_CORE_JS = Path(os.environ.get("AXE_CORE_JS", ROOT / ".browser-tools/node_modules/axe-core/axe.min.js"))
# What the pages must meet: WCAG 2.0 and 2.1, levels A and AA (BITV 2.0 asks for the same).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The widths every page is checked at: a desktop and a small phone.
WIDTHS = {"desktop": (1200, 900), "phone": (360, 740)}


def _missing(reason: str) -> None:
    """Skip, except in CI, where a missing tool is an error."""
    if os.environ.get("CI"):
        raise RuntimeError(f"{reason} (.ci/run installs it)")
    pytest.skip(reason, allow_module_level=True)


def require_chromium() -> None:
    """Skip without Chromium, except in CI, where its absence is an error."""
    if CHROMIUM is None:
        _missing("chromium is not installed (apt-get install chromium)")


def require_axe() -> str:
    """axe-core's script; skip without it, except in CI."""
    require_chromium()
    if not AXE_CORE_JS.is_file():
        _missing(f"axe-core is not installed at {AXE_CORE_JS} (npm install --prefix .browser-tools axe-core@4)")
    return AXE_CORE_JS.read_text(encoding="utf-8")


class SharedChromium:
    """Chromium started once for the whole test run; each test connects Playwright to it for as long as it
    needs a browser. (Playwright's sync API runs an event loop in the test's thread while it is connected,
    so a connection cannot stay open for the session: the code under test runs event loops of its own.)"""

    def __init__(self, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.endpoint = ""

    def __enter__(self) -> "SharedChromium":
        # --hide-scrollbars, as Playwright's own launch does: widths are measured as a phone shows them,
        # without a desktop scrollbar's 15 px.
        log = self.folder / "chromium.log"
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [CHROMIUM or "chromium", *CHROMIUM_FLAGS, "--hide-scrollbars", "--remote-debugging-port=0",
                 f"--user-data-dir={self.folder / 'profile'}", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=output,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while not (found := re.search(r"DevTools listening on (ws://\S+)", log.read_text(errors="replace"))):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"Chromium did not start: {log.read_text(errors='replace')[-500:]}")
            time.sleep(0.05)
        self.endpoint = found.group(1)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @contextmanager
    def connect(self) -> Iterator[object]:
        """A Playwright Browser on the shared Chromium; what it opened is closed on leaving."""
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(self.endpoint)
            try:
                yield browser
            finally:
                browser.close()


def axe_violations(page: "Page", script: str) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page as loaded, one line each (rule, count, first target).

    The script is evaluated through the DevTools protocol, so the page's Content-Security-Policy stays on."""
    page.evaluate(script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return [
        f"{v['id']} ({len(v['nodes'])}×, e.g. {v['nodes'][0]['target']}): {v['help']}" for v in result["violations"]
    ]


def check_widths(browser: "Browser", url: str, script: str, name: str) -> dict[str, tuple[list[str], int]]:
    """Open `url` once per width; at each, axe's violations and the document's width in CSS pixels.
    A page with violations is kept as a screenshot in test-artifacts/."""
    found = {}
    for width_name, (width, height) in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(url)
        violations = axe_violations(page, script)
        found[width_name] = violations, page.evaluate("document.documentElement.scrollWidth")
        if violations:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"axe-{name}-{width_name}.png"), full_page=True)
        context.close()
    return found
