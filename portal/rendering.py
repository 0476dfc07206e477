"""The portal's Jinja2 environment (templates/forms, autoescape on) and its page responses."""

from functools import lru_cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.paths import TEMPLATES_DIR
from portal.ui_text import UI_TEXT


class _Words(dict[str, str]):
    """UI text for one language, readable as attributes in templates ({{ t.save }})."""

    __getattr__ = dict.__getitem__


@lru_cache(maxsize=1)
def page_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "forms"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@lru_cache(maxsize=2)
def words(language: str) -> _Words:
    return _Words(UI_TEXT[language if language in UI_TEXT else "de"])


def render_page(template: str, language: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from templates/forms in `language`."""
    html = page_environment().get_template(template).render(lang=language, t=words(language), **context)
    return HTMLResponse(html, status_code=status_code)


def message_page(language: str, title_key: str, text: str, status_code: int) -> HTMLResponse:
    """A short page that says what happened (invalid link, expired link, refused request)."""
    return render_page("message.html", language, status_code, title=words(language)[title_key], text=text)
