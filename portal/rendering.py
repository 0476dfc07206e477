"""The portal's Jinja2 environments (templates/forms, autoescape on, one per language) and its page responses."""

from functools import lru_cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.paths import TEMPLATES_DIR
from config.translations import LANGUAGES, gettext_for, translations

# The accessibility statement, which every page links to in its footer (portal.accessibility_pages).
STATEMENT_PATH = "/accessibility"
# Each language as its speakers name it: the link to the page in the other language says it in that language.
AUTONYMS = {"de": "Deutsch", "en": "English"}


@lru_cache(maxsize=2 * len(LANGUAGES))
def page_environment(language: str, folder: str = "forms") -> Environment:
    """The templates of the portal in one language: `_`, `gettext` and `ngettext` speak it, and each template is
    compiled once per language and kept. `folder` is templates/forms (participants' pages) or templates/console
    (the staff's), which may extend the participants' layout and macros."""
    folders = [TEMPLATES_DIR / folder] + ([TEMPLATES_DIR / "forms"] if folder != "forms" else [])
    environment = Environment(
        loader=FileSystemLoader(folders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(translations(language, "portal"), newstyle=True)  # type: ignore[attr-defined]
    environment.globals["autonyms"] = AUTONYMS
    return environment


def page_language(language: str) -> str:
    """The language a page is shown in: the one asked for if the portal speaks it, German otherwise."""
    return language if language in LANGUAGES else "de"


def render_page(
    template: str, language: str, status_code: int = 200, *, folder: str = "forms", **context: Any
) -> HTMLResponse:
    """A page from templates/forms (or `folder`) in `language`; its footer links to the installation's
    accessibility statement unless `accessibility_href` names a round's."""
    language = page_language(language)
    context.setdefault("accessibility_href", f"{STATEMENT_PATH}?lang={language}")
    html = page_environment(language, folder).get_template(template).render(lang=language, **context)
    return HTMLResponse(html, status_code=status_code)


def message_page(language: str, title: str, text: str, status_code: int) -> HTMLResponse:
    """A short page that says what happened (invalid link, expired link, refused request)."""
    return render_page("message.html", language, status_code, title=title, text=text)


def invalid_link_page(language: str) -> HTMLResponse:
    """404 for a link that opens nothing: no such token, page or finding."""
    _ = gettext_for(page_language(language), "portal")
    return message_page(
        language,
        _("This link is not valid"),
        _(
            "Please check that you copied the whole link from the email. If that does not help, contact the "
            "coordination team that invited you."
        ),
        404,
    )


def refused_request_page(language: str) -> HTMLResponse:
    """403 for a form posted from another site or with a stale CSRF token."""
    _ = gettext_for(page_language(language), "portal")
    return message_page(
        language,
        _("The request was refused"),
        _("The form was no longer valid. Please reload the page and try again."),
        403,
    )
