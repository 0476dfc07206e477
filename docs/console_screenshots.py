"""Take the README's screenshots of the coordinator's console: a store with rounds in several stages (built as
the tests build them), the portal on loopback, and Chromium at desktop width, logged in as a coordinator.

Needs the test extras (`pip install -e '.[test]'`) and Debian's chromium. Writes docs/images/console-*.png.
Usage: python docs/console_screenshots.py
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from portal.app import create_app  # noqa: E402
from portal.background import PortalThread  # noqa: E402
from review_model.schema_migrations import upgrade_store  # noqa: E402
from review_model.store import make_engine  # noqa: E402
from review_model.vocabulary import StaffRole, Stage  # noqa: E402
from tests.support.browser import CHROMIUM  # noqa: E402
from tests.support.staff import PASSWORD, staff_member  # noqa: E402
from tests.support.staged_rounds import round_in_stage  # noqa: E402

IMAGES = ROOT / "docs" / "images"
COORDINATOR = "koordination@land.example"
# (file name, path, language): the pages the README shows.
PAGES = [
    ("console-rounds", "/console", "en"),
    ("console-dashboard", "/console/rounds/review-round", "en"),
    ("console-people", "/console/rounds/submission-round/people?role=respondent", "en"),
    ("console-assignment", "/console/rounds/assignment-round/assignment", "en"),
    ("console-recommendations", "/console/rounds/drafting-round/recommendations", "de"),
    ("console-email", "/console/rounds/submission-round/email", "en"),
    ("console-history", "/console/rounds/review-round/history", "en"),
]


class ShownOnly:
    """Stands in for the coordinator operations, so that pages show their forms; no button is pressed here."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"the screenshots press no button ({name})")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/store.db")
        upgrade_store(engine)
        slugs = []
        for stage, slug in ((Stage.submission, "submission-round"), (Stage.assignment, "assignment-round"),
                            (Stage.review, "review-round"), (Stage.drafting, "drafting-round")):  # fmt: skip
            round_in_stage(engine, stage, parties=6, slug=slug, **({"submitted": ["anna", "ben"]}
                           if stage is Stage.submission else {}))  # fmt: skip
            slugs.append(slug)
        staff_member(engine, COORDINATOR, StaffRole.coordinator, rounds=slugs)
        settings = Settings(secret_key="a-screenshot-secret-that-is-long-enough-0123",
                            public_base_url="http://127.0.0.1", database_url="sqlite://")  # fmt: skip
        with (
            PortalThread(create_app(settings, engine, console_actions=ShownOnly())) as portal,
            sync_playwright() as playwright,
        ):
            base = f"http://127.0.0.1:{portal.port}"
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.goto(f"{base}/console/login?lang=en")
            page.fill("#email", COORDINATOR)
            page.fill("#password", PASSWORD)
            page.click("form[action='/console/login'] button[type=submit]")
            page.wait_for_url(f"{base}/console")
            IMAGES.mkdir(parents=True, exist_ok=True)
            for name, path, language in PAGES:
                answer = page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={language}")
                if answer is None or answer.status != 200:
                    print(f"skipped {name}: {path} answered {answer.status if answer else 'nothing'}")
                    continue
                page.screenshot(path=str(IMAGES / f"{name}.png"), full_page=False)
                print(f"wrote docs/images/{name}.png")
            browser.close()
        engine.dispose()


if __name__ == "__main__":
    main()
