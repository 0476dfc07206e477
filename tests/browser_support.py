"""What the real-browser tests share: Debian's Chromium driven by Playwright (the portal runs in a
`portal.background.PortalThread`)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def require_chromium() -> None:
    """Skip without Chromium, except in CI, where its absence is an error."""
    if CHROMIUM is not None:
        return
    if os.environ.get("CI"):
        raise RuntimeError("the browser tests need Debian's chromium package (.ci/run installs it)")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
