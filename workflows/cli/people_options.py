"""The options that pick people of a round (`spr participants list`, `spr round message`), read into the domain's
PeopleFilter. Each may be given more than once: the values of one option are alternatives, the options together
must all hold."""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from review_model.people_filter import PeopleFilter

RoleOption = Annotated[
    list[str] | None, typer.Option("--role", help="respondent, reviewer or decision-maker (again for several).")
]
KindOption = Annotated[
    list[str] | None,
    typer.Option("--kind", help="Kind of organisation: bund, land, kommune, region, unternehmen, wissenschaft, "
                 "zivilgesellschaft (or Landkreis, Stadt, …)."),
]  # fmt: skip
LandOption = Annotated[list[str] | None, typer.Option("--land", help="A Land: its code (BY) or name (Bayern).")]
StateOption = Annotated[
    list[str] | None,
    typer.Option("--state", help="Where they stand: not-invited, invited, opened, draft-saved, submitted, "
                 "not-submitted, open-reviews, late-reviews, replied, not-replied, bounced, withdrawn, opted-out."),
]  # fmt: skip
T = TypeVar("T")
SearchOption = Annotated[str | None, typer.Option("--search", help="Part of the name, address or organisation.")]


def people_filter(
    roles: list[str] | None,
    kinds: list[str] | None,
    lands: list[str] | None,
    states: list[str] | None,
    search: str | None,
) -> "PeopleFilter":
    """The filter the options give; a value that names nothing stops the command, listing what it may be."""
    from review_model.people_filter import SEARCH_MAX_LENGTH, PeopleFilter, PersonState, Role
    from review_model.vocabulary import FEDERAL_STATE_NAMES, ORGANISATION_KIND_ALIASES
    from workflows.cli.output import messages

    land_names = {name.casefold(): land for land, name in FEDERAL_STATE_NAMES.items()}
    land_names.update({land.value.casefold(): land for land in FEDERAL_STATE_NAMES})
    known_roles = {role.value: role for role in Role} | {"decision_maker": Role.decision_maker}
    known_states = {state.value.replace("_", "-"): state for state in PersonState}
    known_kinds = sorted({kind.value for kind in ORGANISATION_KIND_ALIASES.values()})
    if search is not None and len(search.strip()) > SEARCH_MAX_LENGTH:
        _ = messages()
        raise typer.BadParameter(
            _("at most {most} characters, not {length}").format(most=SEARCH_MAX_LENGTH, length=len(search.strip())),
            param_hint="--search",
        )
    return PeopleFilter(
        roles=frozenset(_read("--role", roles, known_roles, [role.value for role in Role])),
        kinds=frozenset(_read("--kind", kinds, ORGANISATION_KIND_ALIASES, known_kinds)),
        lands=frozenset(_read("--land", lands, land_names, [land.value for land in FEDERAL_STATE_NAMES])),
        states=frozenset(_read("--state", states, known_states, list(known_states))),
        search=search,
    )  # fmt: skip


def _read(option: str, values: list[str] | None, known: Mapping[str, T], shown: list[str]) -> list[T]:
    from workflows.cli.output import messages

    found = []
    for value in values or []:
        key = value.strip().casefold().replace("_", "-") if option == "--state" else value.strip().casefold()
        if key not in known:
            _ = messages()
            raise typer.BadParameter(
                _("{value} is none of {known}").format(value=repr(value), known=", ".join(shown)), param_hint=option
            )
        found.append(known[key])
    return found
