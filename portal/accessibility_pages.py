"""The accessibility statement (/accessibility), which every page of the portal links to in its footer.

The pages of a round (forms, reviews, replies behind personal links; the round's report) link to the round's
statement as `/accessibility?round=<reference>`: the round's id with a MAC under the store's secret key. The
link carries no token, so the statement can tell nothing about one, and nobody can find a round, or who
coordinates it, by trying slugs: a reference that is not one is the installation's statement, as is the page
without a reference.
"""

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from babel.dates import format_date
from fastapi.responses import HTMLResponse

from portal.rendering import STATEMENT_PATH, page_language, render_page
from review_model.accessibility import StatementContact, statement_for
from review_model.store import reading_session
from review_model.tables import Round

if TYPE_CHECKING:
    from portal.app import Portal

_DATE_PATTERNS = {"de": "d. MMMM y", "en": "d MMMM y"}


def round_reference(secret: bytes, round_id: int) -> str:
    """The reference to a round's statement: its id and a MAC of it (128 bits), so it cannot be guessed."""
    mac = hmac.new(secret, f"spr-accessibility:{round_id}".encode(), hashlib.sha256).digest()[:16]
    return f"{round_id}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode('ascii')}"


def statement_link(language: str, secret: bytes | None = None, round_id: int | None = None) -> str:
    """The link to the statement in `language`: the round's, given the store's secret and the round's id."""
    if secret is None or round_id is None:
        return f"{STATEMENT_PATH}?lang={page_language(language)}"
    return f"{STATEMENT_PATH}?round={round_reference(secret, round_id)}&lang={page_language(language)}"


def referenced_round_id(secret: bytes, reference: str | None) -> int | None:
    """The id of the round a reference names; None for no reference or one that is not a round's."""
    if not reference or "." not in reference:
        return None
    number = reference.split(".", 1)[0]
    if not number.isdigit() or len(number) > 18:
        return None
    round_id = int(number)
    return round_id if hmac.compare_digest(round_reference(secret, round_id), reference) else None


def show_statement(portal: "Portal", reference: str | None, language: str) -> HTMLResponse:
    """The statement of the round the reference names, or the installation's."""
    language = page_language(language)
    round_id = referenced_round_id(portal.secret, reference)
    round_ = None
    if round_id is not None:
        with reading_session(portal.engine) as session:
            round_ = session.get(Round, round_id)
    if round_ is None:
        statement = statement_for(portal.accessibility)
        own_link = statement_link(language)
    else:
        coordinator = StatementContact(name=round_.coordinator_name, email=round_.coordinator_email)
        statement = statement_for(portal.accessibility, round_.accessibility, coordinator)
        own_link = statement_link(language, portal.secret, round_id)
    other = "en" if language == "de" else "de"
    return render_page(
        "accessibility.html",
        language,
        s=statement,
        dated=lambda day: format_date(day, _DATE_PATTERNS[language], locale=language),
        text=lambda value: value.in_language(language),
        round_title=round_.title_in(language) if round_ is not None else None,
        site=str(portal.settings.public_base_url).rstrip("/"),
        other_lang=other,
        other_href=own_link.rsplit("lang=", 1)[0] + f"lang={other}",
        accessibility_href=own_link,
    )
