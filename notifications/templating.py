"""Rendering an email: its subject, plain text and HTML, from one template per kind, in the reader's language.

Each kind is one file, templates/emails/<kind>.html, with a `subject`, a `text` and an `html` block; what both
parts say is written once, as macros at the top of that file, and the layouts (_layout.txt, _layout.html) put
greeting, closing and sender around it. An html+txt pair per kind would write every sentence twice, in two files
that drift apart. The price: the plain text must not be escaped and the HTML must, and Jinja2 fixes escaping
when it compiles, so a kind's file is compiled once for each part (in the HTML environment of a language and in
its plain-text overlay) and then kept.

The words come from the `notifications` catalog through gettext (jinja2.ext.i18n, new-style: `_("… %(name)s",
name=…)` escapes the values in HTML). Each language has its own environments with its catalog installed, so
_parts.html, the pieces several kinds share, is imported once per environment, not again for every message."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context
from jinja2.runtime import Context

from config.paths import TEMPLATES_DIR
from config.translations import LANGUAGES, N_, translate, translations
from notifications.mime import single_line
from review_model.moments import format_day, format_moment
from review_model.vocabulary import Stage, action_levels_in_a_sentence

DOMAIN = "notifications"

# What the coordinator's status digest counts, by the keys of StatusDigest.counts.
STATUS_LABELS = {
    "enrolled": N_("participants"),
    "invited": N_("invited"),
    "opened": N_("opened their link"),
    "draft": N_("saved a draft"),
    "submitted": N_("submitted"),
    "bounced": N_("undeliverable"),
    "reminded": N_("reminded"),
    "reviews_due": N_("reviews assigned"),
    "reviews_submitted": N_("reviews submitted"),
    "replies": N_("replies"),
}

TEXT_LAYOUT = "_layout.txt"
HTML_LAYOUT = "_layout.html"


@dataclass(frozen=True)
class RenderedEmail:
    """What a message says, in one language: the subject on one line, and the text and HTML parts."""

    subject: str
    text: str
    html: str


@lru_cache(maxsize=len(LANGUAGES))
def email_environment(language: str) -> Environment:
    """The HTML environment of one language, autoescaped; templates are compiled once and kept."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "emails"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=["jinja2.ext.i18n"],
    )
    # As the messages are extracted (config/locale/babel.cfg): line breaks inside {% trans %} are not part of them.
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(translations(language, DOMAIN), newstyle=True)  # type: ignore[attr-defined]
    # `_` straight to gettext: the extension's alias looks gettext up again on every call, for contexts that
    # override it, which these templates never do.
    environment.globals["_"] = environment.globals["gettext"]
    environment.filters["when"] = _when
    environment.filters["day"] = _day
    environment.filters["stage"] = _stage
    environment.filters["action_levels"] = _action_levels
    environment.filters["status_label"] = _status_label
    return environment


@lru_cache(maxsize=len(LANGUAGES))
def text_environment(language: str) -> Environment:
    """The plain-text environment of one language: the same loader, catalog and filters, with nothing escaped."""
    return email_environment(language).overlay(autoescape=False)


@lru_cache(maxsize=64)
def _template(kind: str, language: str, html: bool) -> Template:
    environment = email_environment(language) if html else text_environment(language)
    return environment.get_template(f"{kind}.html")


def render_email(kind: str, language: str, values: Mapping[str, Any]) -> RenderedEmail:
    """Render one kind of message in `language`, with `values` (recipient, round, sender, c) for the template."""
    context = {**values, "lang": language}
    text_template = _template(kind, language, html=False)
    subject = single_line("".join(text_template.blocks["subject"](text_template.new_context(context))))
    text = text_template.render({**context, "layout": TEXT_LAYOUT})
    html = _template(kind, language, html=True).render({**context, "layout": HTML_LAYOUT, "subject": subject})
    return RenderedEmail(subject, text, html)


@pass_context
def _when(context: Context, moment: datetime) -> str:
    """`{{ deadline|when }}`: in the time zone of the round and the language of the reader."""
    return format_moment(moment, context["round"].time_zone, context["lang"])


@pass_context
def _day(context: Context, moment: datetime) -> str:
    return format_day(moment, context["round"].time_zone, context["lang"])


@pass_context
def _stage(context: Context, stage: str) -> str:
    """`{{ c.stage|stage }}`: the stage's name in a sentence."""
    return Stage(stage).label(context["lang"])


@pass_context
def _action_levels(context: Context, levels: tuple[str, ...]) -> str:
    """`{{ c.action_levels|action_levels }}`: "den Bund und die Länder", "the federal government and …"."""
    return action_levels_in_a_sentence(list(levels), context["lang"])


@pass_context
def _status_label(context: Context, name: str) -> str:
    """`{{ name|status_label }}`: what a count of the status digest counts; an unknown one keeps its key."""
    return translate(context["lang"], DOMAIN, STATUS_LABELS[name]) if name in STATUS_LABELS else name
