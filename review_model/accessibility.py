"""The accessibility statement (Erklärung zur Barrierefreiheit, § 12b BGG and BITV 2.0, on the model of
Implementing Decision (EU) 2018/1523): what a round file's `accessibility:` block and the installation's
statement file (SPR_ACCESSIBILITY_STATEMENT) may say, and the statement a page shows.

Every key is optional in both. A page of a round shows the round's values where it gives them, else the
installation's, else the defaults: the statement that comes with spr (partially accessible: the PDF edition of
a report is untagged, the HTML edition stands in; a self-assessment with automated axe-core checks and manual
review), the federal conciliation body under § 16 BGG for enforcement, and, as the contact, the round's
coordinator on a round's pages; elsewhere, without a configured contact, the page says that none is set. The
default sentences are the portal's (translated there); configured texts come in German and English.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, HttpUrl, ValidationError

from review_model.questionnaire import Text
from review_model.yaml_documents import DocumentError, Problem, problems_from_validation, read_yaml_document

Conformity = Literal["full", "partial", "none"]  # vollständig, teilweise, nicht barrierefrei
# The day the statement that comes with spr was last checked against its pages (axe-core in the tests, by hand).
SHIPPED_STATEMENT_DATE = date(2026, 11, 29)


def _one_line(text: str) -> str:
    if any(char in text for char in "\r\n\t"):
        raise ValueError("must be one line (it contains a line break or a tab)")
    return text


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatementContact(_Strict):
    """Whom people tell about barriers they meet."""

    name: Annotated[str, AfterValidator(_one_line)] = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 ()/-]{3,30}$")


class Barrier(_Strict):
    """A part of the site that is not accessible, why, and what people can use instead."""

    content: Text
    reason: Text
    alternative: Text | None = None


class Enforcement(_Strict):
    """Where people turn when the contact leaves a barrier unresolved (the Land's body, for a Land's round)."""

    name: Text
    text: Text | None = None  # replaces the default sentence about the procedure
    url: HttpUrl | None = None
    email: EmailStr | None = None


class StatementSettings(_Strict):
    """An `accessibility:` block of a round file, or the installation's statement file."""

    body: Text | None = None  # the public body responsible for the site, named in the statement's first sentence
    status: Conformity | None = None
    barriers: list[Barrier] | None = Field(default=None, max_length=50)
    prepared_on: date | None = None
    reviewed_on: date | None = None
    method: Text | None = None  # how the statement was prepared; default: self-assessment, axe-core, by hand
    contact: StatementContact | None = None
    enforcement: Enforcement | None = None


@dataclass(frozen=True)
class Statement:
    """The statement a page shows; None where the portal's default sentences stand."""

    status: Conformity
    prepared_on: date
    body: Text | None = None
    barriers: tuple[Barrier, ...] | None = None
    reviewed_on: date | None = None
    method: Text | None = None
    contact: StatementContact | None = None  # None: no contact is configured
    contact_is_coordinator: bool = False
    enforcement: Enforcement | None = None


class StatementFileError(DocumentError):
    """An accessibility statement file that cannot be used, with every reason."""


def read_statement_file(path: Path) -> StatementSettings:
    """The installation's statement file (YAML), validated; StatementFileError names each problem's line."""
    document = read_yaml_document(path)
    if not isinstance(document.data, dict):
        raise StatementFileError(document.source, [Problem((), "a statement file is a mapping (status, contact, …)")])
    try:
        return StatementSettings.model_validate(document.data)
    except ValidationError as error:
        raise StatementFileError(document.source, problems_from_validation(error, document)) from None


def stored_statement(block: StatementSettings | None) -> dict[str, Any]:
    """What the store keeps of a round file's block (`rounds.accessibility`): the keys it gives, and no more,
    so that the installation's statement speaks for every other key, also when it changes later."""
    return {} if block is None else block.model_dump(mode="json", exclude_none=True)


def statement_for(
    installation: StatementSettings | None,
    round_block: dict[str, Any] | None = None,
    coordinator: StatementContact | None = None,
) -> Statement:
    """The statement for a page: the round's values (as stored) over the installation's over the defaults;
    `coordinator` is the contact of a round's pages when neither names one."""
    layers = [StatementSettings.model_validate(round_block or {}), installation or StatementSettings()]

    def given(key: str) -> Any:
        return next((getattr(layer, key) for layer in layers if getattr(layer, key) is not None), None)

    contact = given("contact")
    barriers = given("barriers")
    return Statement(
        status=given("status") or "partial",
        prepared_on=given("prepared_on") or SHIPPED_STATEMENT_DATE,
        body=given("body"),
        barriers=None if barriers is None else tuple(barriers),
        reviewed_on=given("reviewed_on"),
        method=given("method"),
        contact=contact or coordinator,
        contact_is_coordinator=contact is None and coordinator is not None,
        enforcement=given("enforcement"),
    )
