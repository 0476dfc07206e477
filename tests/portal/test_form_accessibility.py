"""The forms and the reply page in a real browser, as keyboard and screen reader users meet them (BITV 2.0 /
WCAG 2.1 AA): a visible focus that is never hidden under the save bar, comment boxes that name their question,
an error summary that links each error and takes the focus, and no sideways scrolling on a phone."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from config.settings import Settings
from portal.app import create_app
from portal.background import PortalThread
from review_model.tables import Finding
from tests.portal.conftest import ANNA, SECRET

CSS = Path(__file__).resolve().parents[2] / "portal" / "static" / "portal.css"
LONG_WORD = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft" * 2
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # about the page, not the database


@pytest.fixture
def browser(world, chromium) -> Iterator[tuple[Any, str]]:
    """The run's headless Chromium and the portal's address."""
    settings = Settings(secret_key=SECRET, public_base_url="http://127.0.0.1", database_url="sqlite://")
    with PortalThread(create_app(settings, world.engine)) as portal, chromium.connect() as shared:
        yield shared, f"http://127.0.0.1:{portal.port}"


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_focus_outline_stands_out_from_every_background_by_3_to_1():
    css = CSS.read_text(encoding="utf-8")
    focus = re.search(r"--focus: (#[0-9a-f]{6})", css).group(1)
    assert re.search(r":focus-visible \{ outline: 3px solid var\(--focus\)", css)
    backgrounds = set(re.findall(r"background: (#[0-9a-f]{6})", css)) - {"#0b5394"}  # buttons: outlined outside
    assert {"#fff", "#f4f4f2"} & (backgrounds | {"#fff"})
    for background in backgrounds | {"#ffffff"}:
        assert contrast(focus, background) >= 3, (focus, background, contrast(focus, background))
    assert contrast("#f0a500", "#ffffff") < 3  # the old colour, as measured


@ON_SQLITE
@pytest.mark.parametrize("language,width,height", [("de", 360, 640), ("en", 320, 560), ("de", 1000, 600)])
def test_no_focused_control_is_hidden_under_the_save_bar(world, browser, language, width, height):
    chromium, base = browser
    page = chromium.new_page(viewport={"width": width, "height": height})
    page.goto(f"{base}{world.form(ANNA)}?lang={language}")
    stops, covered = 0, []
    for _ in range(300):
        page.keyboard.press("Tab")
        where = page.evaluate(FOCUSED)
        if where is None or where["seen"]:  # past the last stop, or round again
            break
        stops += 1
        # under the bar: overlapping it (a link in the footer, past the form and its bar, is not)
        under = where["bottom"] > where["barTop"] and where["top"] < where["barBottom"]
        if not where["inBar"] and (under or where["top"] < 0):
            covered.append((where["name"], round(where["top"]), round(where["bottom"]), round(where["barTop"])))
    assert stops > 20  # every control of the form was reached
    assert covered == [], covered


# Where the focused element is, and whether the sticky save bar lies over it.
FOCUSED = """() => {
    const focused = document.activeElement, bar = document.querySelector('.actions');
    if (!focused || focused === document.body) return null;
    const seen = focused.hasAttribute('data-tab-seen');
    focused.setAttribute('data-tab-seen', '');
    const r = focused.getBoundingClientRect();
    return {name: focused.id || focused.textContent.trim(), seen, inBar: bar.contains(focused),
            top: r.top, bottom: r.bottom, barTop: bar.getBoundingClientRect().top,
            barBottom: bar.getBoundingClientRect().bottom};
}"""


@ON_SQLITE
def test_comment_boxes_are_named_after_their_question(world, browser):
    chromium, base = browser
    page = chromium.new_page()
    page.goto(base + world.form(ANNA))
    names = [page.get_by_role("textbox", name=name, exact=True) for name in (
        "Kommentar (optional) zu „Gesamtstatus“",
        "Kommentar (optional) zu „Baustein Datenplattform – Rechtlich“",
        "Kommentar (optional) zu „Baustein Datenplattform – Technisch“",
    )]  # fmt: skip
    assert [name.count() for name in names] == [1, 1, 1]
    assert page.get_by_role("textbox", name="Kommentar (optional)", exact=True).count() == 0
    assert page.get_by_text("Kommentar (optional)", exact=True).count() == 0  # the question is read, not shown
    english = chromium.new_page()
    english.goto(base + world.form(ANNA) + "?lang=en")
    assert english.get_by_role("textbox", name="Comment (optional) on “Overall status”", exact=True).count() == 1


@ON_SQLITE
def test_the_error_summary_links_every_error_and_takes_the_focus(world, browser):
    chromium, base = browser
    page = chromium.new_page(viewport={"width": 360, "height": 640})
    page.goto(base + world.form(ANNA))
    page.get_by_label("Einwohnerzahl").fill("viele")
    page.get_by_role("button", name="Absenden").click()
    page.wait_for_load_state()
    summary = page.locator("#errors")
    assert summary.evaluate("element => element === document.activeElement")
    links = summary.get_by_role("link")
    targets = [link.get_attribute("href") for link in links.all()]
    assert len(targets) == page.locator("p.error").count() > 5
    assert "#f-facts.einwohner" in targets and "#f-ratings.ampel-0" in targets
    for target in targets:  # every link leads to a control that takes the focus
        assert page.locator(f"[id='{target[1:]}']").evaluate("element => element.tabIndex >= 0")
    assert summary.get_by_role("link", name=re.compile("^Einwohnerzahl: Bitte geben Sie eine Zahl ein")).count() == 1
    summary.get_by_role("link", name=re.compile("^Stärken")).click()
    assert page.locator("[id='f-facts.staerken']").evaluate(
        "element => { const r = element.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    )


@ON_SQLITE
def test_the_reply_page_fits_a_phone_with_a_long_word(world, browser, replies):
    reply_world = replies
    with Session(world.engine) as session:
        finding = session.get(Finding, reply_world.findings["technisch"])
        finding.details = {**finding.details, "comments": [{"item": "x", "text": f"Ein {LONG_WORD} ohne Pause"}]}
        session.add(finding)
        session.commit()
    assert reply_world.post({"reply-general": LONG_WORD}).status_code == 303
    chromium, base = browser
    page = chromium.new_page(viewport={"width": 360, "height": 640})
    page.goto(base + reply_world.link)
    assert LONG_WORD in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") == 360
