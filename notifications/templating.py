"""The one Jinja2 environment for emails: autoescaped HTML, plain text, dates in the reader's language."""

from datetime import datetime
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context, select_autoescape
from jinja2.runtime import Context

from config.paths import TEMPLATES_DIR
from review_model.moments import format_day, format_moment

# Patterns in Unicode CLDR notation, as people in each language write a deadline.

STAGE_NAMES = {
    "de": {
        "draft": "Vorbereitung",
        "invitation": "Einladung",
        "submission": "Selbsteinschätzung",
        "assignment": "Zuordnung der Gutachter",
        "review": "Peer Review",
        "consolidation": "Auswertung",
        "drafting": "Empfehlungsentwurf",
        "comment": "Stellungnahme",
        "published": "Veröffentlichung",
        "archived": "Archiv",
    },
    "en": {
        "draft": "preparation",
        "invitation": "invitation",
        "submission": "self-assessment",
        "assignment": "reviewer assignment",
        "review": "peer review",
        "consolidation": "consolidation",
        "drafting": "drafting of recommendations",
        "comment": "right of reply",
        "published": "publication",
        "archived": "archive",
    },
}


STATUS_LABELS = {
    "de": {
        "enrolled": "Teilnehmende",
        "invited": "eingeladen",
        "opened": "Link geöffnet",
        "draft": "Entwurf gespeichert",
        "submitted": "abgesendet",
        "bounced": "nicht zustellbar",
        "reminded": "erinnert",
        "reviews_due": "Begutachtungen vergeben",
        "reviews_submitted": "Begutachtungen abgesendet",
        "replies": "Stellungnahmen",
    },
    "en": {
        "enrolled": "participants",
        "invited": "invited",
        "opened": "opened their link",
        "draft": "saved a draft",
        "submitted": "submitted",
        "bounced": "undeliverable",
        "reminded": "reminded",
        "reviews_due": "reviews assigned",
        "reviews_submitted": "reviews submitted",
        "replies": "replies",
    },
}


@lru_cache(maxsize=1)
def email_environment() -> Environment:
    """The shared environment; templates are compiled once and cached by Jinja2."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR / "emails"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.globals["stage_names"] = STAGE_NAMES
    environment.globals["status_labels"] = STATUS_LABELS
    environment.filters["when"] = _when
    environment.filters["day"] = _day
    return environment


@pass_context
def _when(context: Context, moment: datetime) -> str:
    """`{{ deadline|when }}`: in the time zone of the round and the language of the reader."""
    return format_moment(moment, context["round"].time_zone, context["lang"])


@pass_context
def _day(context: Context, moment: datetime) -> str:
    return format_day(moment, context["round"].time_zone, context["lang"])


@lru_cache(maxsize=256)
def email_template(language: str, name: str) -> Template:
    """A compiled email template, e.g. ("de", "invitation.html")."""
    return email_environment().get_template(f"{language}/{name}")
