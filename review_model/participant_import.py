"""Importing participants from a CSV file: all rows or none, every bad row named with its line and reason.

Columns (header row required, any order, case-insensitive; comma or semicolon separated, UTF-8):
  email, name, organisation, organisation_kind   required
  state      the organisation's federal state (code such as BY, or name such as Bayern)
  language   de or en (default: the round's language)
  roles      respondent, reviewer, or both (default: both); decision-maker for those who only receive the
             published report
  expertise  fields of action the person can review
  conflicts  organisations the person must not review
  preferences  organisations the person would like to review (raises the affinity of those pairs)
Lists inside a field are separated by ';' (by ',' in a semicolon-separated file).
"""

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, col, select

from review_model import clock
from review_model.input_files import InputFileError, read_input_file
from review_model.plain_text import control_character
from review_model.stage_rules import enrolment_open
from review_model.tables import ConflictDeclaration, Enrolment, Organisation, Participant, ReviewPreference, Round
from review_model.vocabulary import (
    FEDERAL_STATE_NAMES,
    ORGANISATION_KIND_ALIASES,
    FederalState,
    Language,
    OrganisationKind,
)

REQUIRED_COLUMNS = ("email", "name", "organisation", "organisation_kind")
OPTIONAL_COLUMNS = ("state", "language", "roles", "expertise", "conflicts", "preferences")
ROLES = ("respondent", "reviewer")
ROLE_ALIASES = {"decision-maker": "decision_maker", "decision_maker": "decision_maker", "entscheider": "decision_maker"}
MAX_FILE_BYTES = 5 * 1024 * 1024

# A row that links a participant to an organisation.
_Link = TypeVar("_Link", ConflictDeclaration, ReviewPreference)

_STATE_BY_NAME = {name.casefold(): state for state, name in FEDERAL_STATE_NAMES.items()}


@dataclass(frozen=True)
class RowError:
    """What is wrong with one line of the file (line 0: the file as a whole), and in which column, when one."""

    line: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class ParticipantImportError(Exception):
    """The file was refused; nothing was imported. `errors` lists every problem found."""

    def __init__(self, source: str, errors: list[RowError]):
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: nothing imported, {len(errors)} problem(s):\n" + "\n".join(map(str, errors)))


@dataclass(frozen=True)
class ParticipantRow:
    """One valid line of the file."""

    line: int
    email: str
    name: str
    organisation: str
    organisation_kind: OrganisationKind
    state: FederalState | None
    language: Language | None
    is_respondent: bool
    is_reviewer: bool
    is_decision_maker: bool
    expertise: tuple[str, ...]
    conflicts: tuple[str, ...]
    preferences: tuple[str, ...] = ()


@dataclass
class ImportSummary:
    """What an import changed."""

    participants_created: int = 0
    participants_updated: int = 0
    participants_unchanged: int = 0
    organisations_created: int = 0
    enrolled: int = 0
    enrolments_updated: int = 0
    conflicts_added: int = 0
    emails: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.participants_created,
                self.participants_updated,
                self.organisations_created,
                self.enrolled,
                self.enrolments_updated,
                self.conflicts_added,
            )
        )


def read_participants_file(path: Path) -> list[ParticipantRow]:
    """Read and check a participants CSV file; raises ParticipantImportError listing every bad row."""
    try:
        raw = read_input_file(path, MAX_FILE_BYTES)
    except InputFileError as error:
        raise ParticipantImportError(str(path), [RowError(0, str(error))]) from None
    return parse_participants(raw, str(path))


def parse_participants(raw: bytes, source: str = "<csv>") -> list[ParticipantRow]:
    """Check CSV bytes row by row; raises ParticipantImportError listing every bad row."""
    if len(raw) > MAX_FILE_BYTES:
        raise ParticipantImportError(source, [RowError(0, f"the file is larger than {MAX_FILE_BYTES // 1024**2} MiB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"not UTF-8 text (byte {error.start}); save the file as CSV UTF-8"
        raise ParticipantImportError(source, [RowError(0, message)]) from None
    if not text.strip():
        raise ParticipantImportError(source, [RowError(0, "the file is empty")])
    first_line = text.splitlines()[0]
    if "\x00" in first_line:  # a NUL further down is named with its row and field
        raise ParticipantImportError(source, [RowError(0, "not a CSV file (it contains binary data)")])
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    list_separator = "," if delimiter == ";" else ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [column.strip().casefold() for column in next(reader)]
    except csv.Error as error:
        raise ParticipantImportError(source, [RowError(1, f"not readable as CSV: {error}")]) from None

    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        expected = ", ".join(REQUIRED_COLUMNS)
        message = f"missing required column(s): {', '.join(missing)} (the header row must name: {expected})"
        raise ParticipantImportError(source, [RowError(1, message)])
    errors = [RowError(1, f"column {name!r} appears twice", name) for name in sorted(set(header))
              if header.count(name) > 1]  # fmt: skip
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS and name]
    errors += [RowError(1, f"unknown column {name!r}", name) for name in unknown]

    rows: list[ParticipantRow] = []
    first_line_of: dict[str, int] = {}
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                errors.append(RowError(line, f"has {len(values)} fields, the header has {len(header)}"))
                continue
            record = dict(zip(header, values, strict=True))
            unreadable = _control_characters(line, record)
            if unreadable:  # checked first: the other checks would print the characters back
                errors += unreadable
                continue
            row, problems = _check_row(line, record, list_separator)
            errors += problems
            if row is None:
                continue
            if row.email in first_line_of:
                first = first_line_of[row.email]
                errors.append(RowError(line, f"duplicate email {row.email} (first on line {first})", "email"))
                continue
            first_line_of[row.email] = line
            rows.append(row)
    except csv.Error as error:
        errors.append(RowError(reader.line_num, f"not readable as CSV: {error}"))

    errors += _organisation_disagreements(rows)
    if not rows and not errors:
        errors.append(RowError(0, "the file has a header but no participants"))
    if errors:
        raise ParticipantImportError(source, sorted(errors, key=lambda e: e.line))
    return rows


def _control_characters(line: int, record: dict[str, str]) -> list[RowError]:
    """Fields holding NUL or another control character, each named with its column."""
    return [RowError(line, f"{column} {text!r} {reason}", column)
            for column, text in record.items() if (reason := control_character(text))]  # fmt: skip


def _check_row(line: int, record: dict[str, str], separator: str) -> tuple[ParticipantRow | None, list[RowError]]:
    problems: list[RowError] = []
    value = {key: (text or "").strip() for key, text in record.items()}

    email = ""
    try:
        email = validate_email(value["email"], check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        problems.append(RowError(line, f"bad email {value['email']!r}: {error}", "email"))
    for column in ("name", "organisation"):
        if not value[column]:
            problems.append(RowError(line, f"{column} is empty", column))
        elif len(value[column]) > 200:
            problems.append(RowError(line, f"{column} is longer than 200 characters", column))
        elif any(char in value[column] for char in "\r\n"):
            problems.append(RowError(line, f"{column} contains a line break", column))

    kind = ORGANISATION_KIND_ALIASES.get(value["organisation_kind"].casefold())
    if kind is None:
        known = ", ".join(kind.value for kind in OrganisationKind)
        message = f"unknown organisation kind {value['organisation_kind']!r} (known: {known})"
        problems.append(RowError(line, message, "organisation_kind"))

    state = None
    if value.get("state"):
        state = _federal_state(value["state"])
        if state is None:
            message = f"unknown federal state {value['state']!r} (use a code such as BY or a name such as Bayern)"
            problems.append(RowError(line, message, "state"))

    language = None
    if value.get("language"):
        try:
            language = Language(value["language"].casefold())
        except ValueError:
            problems.append(RowError(line, f"unknown language {value['language']!r} (known: de, en)", "language"))

    named = {part.casefold() for part in _list(value.get("roles", ""), separator)}
    roles = {ROLE_ALIASES.get(role, role) for role in named} or set(ROLES)
    if roles - {*ROLES, "decision_maker"}:
        unknown = ", ".join(sorted(roles - {*ROLES, "decision_maker"}))
        message = f"unknown role(s) {unknown} (known: respondent, reviewer, decision-maker)"
        problems.append(RowError(line, message, "roles"))

    if problems:
        return None, problems
    assert kind is not None
    return (
        ParticipantRow(
            line=line,
            email=email,
            name=value["name"],
            organisation=value["organisation"],
            organisation_kind=kind,
            state=state,
            language=language,
            is_respondent="respondent" in roles,
            is_reviewer="reviewer" in roles,
            is_decision_maker="decision_maker" in roles,
            expertise=_list(value.get("expertise", ""), separator),
            conflicts=_list(value.get("conflicts", ""), separator),
            preferences=_list(value.get("preferences", ""), separator),
        ),
        [],
    )


def _federal_state(text: str) -> FederalState | None:
    try:
        return FederalState(text.upper())
    except ValueError:
        return _STATE_BY_NAME.get(text.casefold())


def _list(text: str, separator: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in text.split(separator) if part.strip()))


def _organisation_disagreements(rows: list[ParticipantRow]) -> list[RowError]:
    """Rows that describe the same organisation with another kind or state than an earlier row."""
    first: dict[str, ParticipantRow] = {}
    errors = []
    for row in rows:
        earlier = first.setdefault(row.organisation, row)
        if (earlier.organisation_kind, earlier.state) != (row.organisation_kind, row.state):
            errors.append(
                RowError(
                    row.line,
                    f"organisation {row.organisation!r} is {_describe(row.organisation_kind, row.state)} here but "
                    f"{_describe(earlier.organisation_kind, earlier.state)} on line {earlier.line}",
                    "organisation",
                )
            )
    return errors


def _describe(kind: OrganisationKind, state: FederalState | None) -> str:
    return f"{kind.label('de')}{f' ({state.value})' if state else ''}"


def import_participants(session: Session, round_: Round, rows: list[ParticipantRow], source: str) -> ImportSummary:
    """Create or update the participants and enrol them in the round, in the caller's transaction.

    Checks against the store first (stage, organisations registered with another kind, unknown conflict
    organisations) and raises ParticipantImportError before writing anything. Importing the same file twice
    changes nothing the second time.
    """
    if not enrolment_open(round_.stage):
        raise ParticipantImportError(
            source, [RowError(0, f"round {round_.slug} is in stage {round_.stage}: enrolment is closed")]
        )

    organisations = {org.name: org for org in session.exec(select(Organisation)).all()}
    errors = []
    for row in rows:
        known = organisations.get(row.organisation)
        if known is not None and (known.kind, known.state) != (row.organisation_kind, row.state):
            errors.append(
                RowError(
                    row.line,
                    f"organisation {row.organisation!r} is registered as {_describe(known.kind, known.state)}, "
                    f"not {_describe(row.organisation_kind, row.state)}",
                    "organisation",
                )
            )
    named_in_file = {row.organisation for row in rows}
    for row in rows:
        for column, names in (("conflict", row.conflicts), ("preference", row.preferences)):
            unknown = [name for name in names if name not in organisations and name not in named_in_file]
            if unknown:
                message = f"{column} with unknown organisation(s): {', '.join(unknown)}"
                errors.append(RowError(row.line, message, f"{column}s"))
    if errors:
        raise ParticipantImportError(source, errors)

    summary = ImportSummary()
    for row in rows:
        if row.organisation not in organisations:
            organisation = Organisation(name=row.organisation, kind=row.organisation_kind, state=row.state)
            session.add(organisation)
            organisations[row.organisation] = organisation
            summary.organisations_created += 1
    session.flush()

    emails = [row.email for row in rows]
    people = {p.email: p for p in session.exec(select(Participant).where(col(Participant.email).in_(emails))).all()}
    for row in rows:
        organisation_id = organisations[row.organisation].id
        assert organisation_id is not None
        language = row.language or round_.language
        person = people.get(row.email)
        wanted: dict[str, Any] = {
            "name": row.name,
            "organisation_id": organisation_id,
            "language": language,
            "expertise": list(row.expertise),
        }
        if person is None:
            person = Participant(email=row.email, **wanted)
            session.add(person)
            people[row.email] = person
            summary.participants_created += 1
        elif any(getattr(person, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(person, key, value)
            person.updated_at = clock.now()
            summary.participants_updated += 1
        else:
            summary.participants_unchanged += 1
        summary.emails.append(row.email)
    session.flush()

    _enrol(session, round_, rows, people, summary)
    _declare_conflicts(session, rows, people, organisations, summary)
    _record_preferences(session, rows, people, organisations)
    return summary


def _enrol(
    session: Session,
    round_: Round,
    rows: list[ParticipantRow],
    people: dict[str, Participant],
    summary: ImportSummary,
) -> None:
    enrolments = {
        e.participant_id: e for e in session.exec(select(Enrolment).where(Enrolment.round_id == round_.id)).all()
    }
    for row in rows:
        participant_id = people[row.email].id
        assert participant_id is not None and round_.id is not None
        enrolment = enrolments.get(participant_id)
        if enrolment is None:
            session.add(
                Enrolment(
                    round_id=round_.id,
                    participant_id=participant_id,
                    is_respondent=row.is_respondent,
                    is_reviewer=row.is_reviewer,
                    is_decision_maker=row.is_decision_maker,
                )
            )
            summary.enrolled += 1
        else:
            roles = (row.is_respondent, row.is_reviewer, row.is_decision_maker)
            if (enrolment.is_respondent, enrolment.is_reviewer, enrolment.is_decision_maker) != roles:
                enrolment.is_respondent, enrolment.is_reviewer, enrolment.is_decision_maker = roles
                summary.enrolments_updated += 1


def _declare_conflicts(
    session: Session,
    rows: list[ParticipantRow],
    people: dict[str, Participant],
    organisations: dict[str, Organisation],
    summary: ImportSummary,
) -> None:
    summary.conflicts_added += _link_to_organisations(
        session, ConflictDeclaration, rows, "conflicts", people, organisations, note="declared on import"
    )


def _record_preferences(
    session: Session, rows: list[ParticipantRow], people: dict[str, Participant], organisations: dict[str, Organisation]
) -> None:
    _link_to_organisations(session, ReviewPreference, rows, "preferences", people, organisations)


def _link_to_organisations(
    session: Session,
    table: type[_Link],
    rows: list[ParticipantRow],
    column: str,
    people: dict[str, Participant],
    organisations: dict[str, Organisation],
    **extra: Any,
) -> int:
    """Add the (person, organisation) rows a list column names that are not stored yet; returns how many."""
    ids = [people[row.email].id for row in rows if getattr(row, column)]
    if not ids:
        return 0
    stored = session.exec(select(table).where(col(table.participant_id).in_(ids))).all()
    existing = {(link.participant_id, link.organisation_id) for link in stored}
    added = 0
    for row in rows:
        for name in getattr(row, column):
            person_id, organisation_id = people[row.email].id, organisations[name].id
            assert person_id is not None and organisation_id is not None  # both are stored
            pair = (person_id, organisation_id)
            if pair not in existing:
                session.add(table(participant_id=pair[0], organisation_id=pair[1], **extra))
                existing.add(pair)
                added += 1
    return added


def participant_with_email(session: Session, email: str) -> int | None:
    """The id of the person with this address (stored lower-case on import, so case does not matter)."""
    return session.exec(select(Participant.id).where(Participant.email == email.strip().lower())).first()


def enrolled_elsewhere(session: Session, emails: Sequence[str], round_ids: Collection[int]) -> int:
    """How many of the people with these addresses take part in a round other than `round_ids`: importing
    them changes what those rounds know of them (a person is one record across rounds)."""
    addresses = list({email.strip().lower() for email in emails})
    if not addresses:
        return 0
    statement = (
        select(func.count(func.distinct(Participant.id)))
        .join(Enrolment, col(Enrolment.participant_id) == Participant.id)
        .where(col(Participant.email).in_(addresses))
    )
    if round_ids:
        statement = statement.where(col(Enrolment.round_id).not_in(list(round_ids)))
    return int(session.exec(statement).one())
