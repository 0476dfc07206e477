"""Translations: one gettext catalog per layer and language, read from the .po files in config/locale.

The English text is the message id; `config/locale/<language>/LC_MESSAGES/<domain>.po` holds the German
translation (and an English catalog, so that plural forms and any English rewording have a home). Each layer
translates its own words through its own domain, so the catalogs follow the architecture:

    review_model   the domain's words: stage names, kinds of organisation, action levels, states
    notifications  the emails
    portal         the forms and pages people open from their links
    reports        the report for decision-makers
    workflows      what the `spr` command prints

Catalogs are compiled in memory the first time a language and domain are used, so neither the repository nor
an installed wheel carries a compiled .mo file that could fall behind its .po source.
"""

from collections.abc import Callable
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from config.paths import CONFIG_DIR

LANGUAGES = ("de", "en")
DOMAINS = ("review_model", "notifications", "portal", "reports", "workflows")
LOCALE_DIR = CONFIG_DIR / "locale"


def catalog_path(language: str, domain: str) -> Path:
    """The .po file of one language and domain."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


@cache
def translations(language: str, domain: str) -> Translations:
    """The compiled catalog of one language and domain; messages it lacks come back in English."""
    if language not in LANGUAGES:
        raise ValueError(f"no translations for language {language!r}; spr speaks {', '.join(LANGUAGES)}")
    if domain not in DOMAINS:
        raise ValueError(f"unknown translation domain {domain!r}")
    with catalog_path(language, domain).open("rb") as source:
        catalog = read_po(source, locale=language, domain=domain)
    compiled = BytesIO()
    # Fuzzy entries are guesses of `pybabel update`; a reader gets the English text until someone checks them.
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=domain)


def gettext_for(language: str, domain: str) -> Callable[..., str]:
    """`_` for one language and domain: `_("Deadline: {when}").format(when=…)` keeps the placeholders in the id."""
    return translations(language, domain).gettext


def ngettext_for(language: str, domain: str) -> Callable[[str, str, int], str]:
    """Plural-aware `ngettext` for one language and domain."""
    return translations(language, domain).ngettext


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def translate(language: str, domain: str, message: str, **values: Any) -> str:
    """One message in one language, with `{name}` placeholders filled from `values`."""
    text = translations(language, domain).gettext(message)
    return text.format(**values) if values else text
