"""A round's people in the console: everyone enrolled, filtered by role, kind of organisation, Land and state
(filters combine with AND and are said in words), and one person's page: what they were sent, and sending
their link again, reminding them now, revoking their link, withdrawing them."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlmodel import Session

from config.translations import gettext_for
from portal.console.access import NotVisible, Staff, current_staff, round_seen
from portal.console.actions import ActionDone, ConsoleActions
from portal.console.pages import console_page
from portal.console.round_actions import Confirmation, FormValues, ask_first, first_value, run_action
from review_model import clock
from review_model.erasure import ErasureRefused, plan_erasure
from review_model.handover import handovers_of
from review_model.moments import format_moment
from review_model.people_filter import PeopleFilter, PersonState, Role, describe_filter, people_in_round
from review_model.refusals import Refused
from review_model.reminder_opt_out import not_reminded
from review_model.reminders import reminder_refusals
from review_model.round_people import person_in_round
from review_model.sent_messages import messages_sent_to
from review_model.stage_links import ResendRefused, links_to_resend
from review_model.store import reading_session
from review_model.tables import Enrolment, Organisation, Participant, Round
from review_model.vocabulary import FederalState, OrganisationKind
from review_model.withdrawal import WithdrawalRefused, plan_withdrawal

if TYPE_CHECKING:
    from portal.app import Portal

PAGE_SIZE = 50
MAX_PAGE = 100_000  # beyond any round's people; a larger number is a crafted one (and would overflow SQL)
# The query's names of the filter's fields, as a bookmark keeps them: ?role=reviewer&state=late_reviews.
FILTER_FIELDS = {"role": Role, "kind": OrganisationKind, "land": FederalState, "state": PersonState}


@dataclass(frozen=True)
class Person:
    """One person of the round, as their page shows them."""

    participant: Participant
    organisation: Organisation
    enrolment: Enrolment


def people_filter_from(request: Request) -> PeopleFilter:
    """The filter a query asks for; values no field knows are left out (a stale bookmark still opens)."""
    chosen = {
        name: [value for value in request.query_params.getlist(name) if value in kind.__members__.values()]
        for name, kind in FILTER_FIELDS.items()
    }
    search = (request.query_params.get("search") or "").strip()[:100] or None
    return PeopleFilter.model_validate(
        {"roles": chosen["role"], "kinds": chosen["kind"], "lands": chosen["land"], "states": chosen["state"],
         "search": search}
    )  # fmt: skip


def filter_query(people: PeopleFilter) -> list[tuple[str, str]]:
    """The filter as query parameters, for links that keep it (paging, writing to the group)."""
    pairs = [("role", value.value) for value in sorted(people.roles)]
    pairs += [("kind", value.value) for value in sorted(people.kinds)]
    pairs += [("land", value.value) for value in sorted(people.lands)]
    pairs += [("state", value.value) for value in sorted(people.states)]
    return pairs + ([("search", people.search)] if people.search else [])


def add_people_routes(app: FastAPI, portal: "Portal") -> None:
    """/console/rounds/<slug>/people and each person's page with its actions."""

    @app.get("/console/rounds/{slug}/people")
    def people_page(request: Request, slug: str, page: int = 1) -> Response:
        staff = current_staff(request, portal)
        people = people_filter_from(request)
        page = min(max(page, 1), MAX_PAGE)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            assert round_.id is not None
            found = people_in_round(session, round_.id, people, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        query = filter_query(people)
        pages = max(1, -(-found.total // PAGE_SIZE))
        return console_page(
            portal, request, "people.html", staff.language, staff=staff, round=round_, found=found, people=people,
            in_words=describe_filter(people, staff.language), page=page, pages=pages,
            page_link=lambda number: "?" + urlencode([*query, ("page", str(number))]),
            group_query=urlencode(query), choices=_choices(staff.language),
            moment=lambda value: format_moment(value, round_.time_zone, staff.language),
        )  # fmt: skip

    @app.get("/console/rounds/{slug}/people/{participant_id}")
    def person_page(request: Request, slug: str, participant_id: int) -> Response:
        staff = current_staff(request, portal)
        with reading_session(portal.engine) as session:
            round_ = round_seen(session, staff, slug)
            person = _person(session, round_, participant_id)
            assert round_.id is not None
            sent = messages_sent_to(session, round_.id, participant_id)
            assert person.enrolment.id is not None
            handovers = handovers_of(session, round_.id, person.enrolment.id)
        return console_page(
            portal, request, "person.html", staff.language, staff=staff, round=round_, person=person, sent=sent,
            handovers=handovers,
            moment=lambda value: format_moment(value, round_.time_zone, staff.language) if value else "",
        )  # fmt: skip

    for action, explain, operation in (
        ("resend-link", _explain_resend, _resend),
        ("remind", _explain_remind, _remind),
        ("revoke-link", _explain_revoke, _revoke),
        ("withdraw", _explain_withdraw, _withdraw),
    ):
        _add_person_action(app, portal, action, explain, operation)
    _add_erasure(app, portal)


def _choices(language: str) -> dict[str, list[tuple[str, str]]]:
    """Every value each filter field offers, with its label in `language`."""
    return {
        "role": [(role.value, role.label(language)) for role in Role],
        "kind": [(kind.value, kind.label(language)) for kind in OrganisationKind],
        "land": [(land.value, land.label) for land in FederalState],
        "state": [(state.value, state.label(language)) for state in PersonState],
    }


def _person(session: Session, round_: Round, participant_id: int) -> Person:
    """The person with this id in the round; NotVisible (404) when they take no part in it."""
    if not 0 < participant_id < 2**31:  # no id is larger; SQL would refuse the number
        raise NotVisible
    found = person_in_round(session, round_.id, participant_id)
    if found is None:
        raise NotVisible
    enrolment, participant, organisation = found
    return Person(participant, organisation, enrolment)


PersonExplain = Callable[[Session, Round, Person, str], Confirmation]
PersonOperation = Callable[[ConsoleActions, Round, Staff, int, FormValues], ActionDone]


def _add_person_action(
    app: FastAPI, portal: "Portal", action: str, explain: PersonExplain, operation: PersonOperation
) -> None:
    path = "/console/rounds/{slug}/people/{participant_id}/" + action

    @app.get(path, name=f"person-{action}")
    def asking(request: Request, slug: str, participant_id: int) -> Response:
        def explained(round_: Round, language: str) -> Confirmation:
            with reading_session(portal.engine) as session:
                return explain(session, round_, _person(session, round_, participant_id), language)

        return ask_first(portal, request, slug, explained)

    @app.post(path, name=f"person-{action}-post")
    async def doing(request: Request, slug: str, participant_id: int) -> Response:
        def run(actions: ConsoleActions, round_: Round, staff: Staff, values: FormValues) -> ActionDone:
            with reading_session(portal.engine) as session:
                _person(session, round_, participant_id)  # someone of this round, or 404
            return operation(actions, round_, staff, participant_id, values)

        back = f"/console/rounds/{slug}/people/{participant_id}"
        return await run_action(portal, request, slug, run, back_to=back)


def _who(person: Person) -> str:
    return f"{person.participant.name} <{person.participant.email}>"


def _explain_resend(session: Session, round_: Round, person: Person, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    title, button = _("Send the link again"), _("Send it again")
    try:
        held = links_to_resend(session, round_, person.participant.id, clock.now(), person.participant.email)
    except ResendRefused as refused:
        return Confirmation(title, [], button, refusals=[refused.in_language(language)])
    lines = [
        _("{who} gets the message of the {stage} stage again, with the same personal link ({n} links): nothing "
          "new opens, and the link they hold keeps working.").format(
              who=_who(person), stage=round_.stage.label(language), n=len(held.links)),
    ]  # fmt: skip
    return Confirmation(title, lines, button)


def _resend(actions: ConsoleActions, round_: Round, staff: Staff, person_id: int, _form: FormValues) -> ActionDone:
    assert round_.id is not None
    return actions.resend_link(round_.id, round_.slug, person_id, staff.actor, staff.language)


def _explain_remind(session: Session, round_: Round, person: Person, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    title, button = _("Remind now"), _("Send the reminder")
    refusals = reminder_refusals(round_.stage) + not_reminded(person.enrolment, _who(person), round_.slug)
    if refusals:
        return Confirmation(title, [], button, refusals=[Refused(refusals).in_language(language)])
    text = _("{who} gets a reminder now, outside the round's schedule, if the {stage} stage still waits for them; "
             "it carries their personal link.")  # fmt: skip
    lines = [text.format(who=_who(person), stage=round_.stage.label(language))]
    return Confirmation(title, lines, button)


def _remind(actions: ConsoleActions, round_: Round, staff: Staff, person_id: int, _form: FormValues) -> ActionDone:
    assert round_.id is not None
    return actions.remind(round_.id, round_.slug, person_id, staff.actor, staff.language)


def _explain_revoke(session: Session, round_: Round, person: Person, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    lines = [
        _("Every personal link {who} holds in this round opens nothing from now on (a link sent to a wrong "
          "address, say). They stay in the round: a reminder or a new message brings them a new link.").format(
              who=_who(person)),
        _("This cannot be undone."),
    ]  # fmt: skip
    return Confirmation(_("Revoke the personal link"), lines, _("Revoke"), ["reason"])


def _revoke(actions: ConsoleActions, round_: Round, staff: Staff, person_id: int, form: FormValues) -> ActionDone:
    assert round_.id is not None
    reason = first_value(form, "reason")
    return actions.revoke_links(round_.id, round_.slug, person_id, reason, staff.actor, staff.language)


def _explain_withdraw(session: Session, round_: Round, person: Person, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    title, button = _("Withdraw from the round"), _("Withdraw")
    try:
        planned = plan_withdrawal(session, round_, person.participant.id, "(to be given)", person.participant.email)
    except WithdrawalRefused as refused:
        return Confirmation(title, [], button, refusals=[refused.in_language(language)])
    lines = [_("{who} ({organisation}) leaves the round:").format(who=_who(person), organisation=planned.organisation)]
    lines.append(_("their {n} personal links open nothing from now on;").format(n=planned.links))
    if planned.reviews_submitted:
        lines.append(_("their {n} submitted reviews stay in the findings;").format(n=planned.reviews_submitted))
    if planned.reviews_open:
        lines.append(_("their open reviews of {parties} are no longer waited for;").format(
            parties=", ".join(planned.reviews_open)))  # fmt: skip
    if planned.proposed_reviews:
        lines.append(_("the proposed assignment has them review {parties}: it must be changed before it is "
                       "confirmed;").format(parties=", ".join(planned.proposed_reviews)))  # fmt: skip
    lines.append(_("nothing is asked of them again, and no stage waits for them. No email tells them: please "
                   "tell them yourself."))  # fmt: skip
    lines.append(_("This cannot be undone."))
    return Confirmation(title, lines, button, ["reason"])


def _withdraw(actions: ConsoleActions, round_: Round, staff: Staff, person_id: int, form: FormValues) -> ActionDone:
    assert round_.id is not None
    reason = first_value(form, "reason")
    return actions.withdraw(round_.id, round_.slug, person_id, reason, staff.actor, staff.language)


def _add_erasure(app: FastAPI, portal: "Portal") -> None:
    """Erasing a person (GDPR Art. 17) from their page in a round; administrators only, as it reaches every
    round the person takes part in."""
    path = "/console/rounds/{slug}/people/{participant_id}/erase"

    @app.get(path, name="person-erase")
    def asking(request: Request, slug: str, participant_id: int) -> Response:
        staff = current_staff(request, portal)

        def explained(round_: Round, language: str) -> Confirmation:
            with reading_session(portal.engine) as session:
                return _explain_erase(session, round_, _person(session, round_, participant_id), staff, language)

        return ask_first(portal, request, slug, explained)

    @app.post(path, name="person-erase-post")
    async def doing(request: Request, slug: str, participant_id: int) -> Response:
        def run(actions: ConsoleActions, round_: Round, staff: Staff, _values: FormValues) -> ActionDone:
            with reading_session(portal.engine) as session:
                _person(session, round_, participant_id)  # someone of this round, or 404
            if not staff.access.erases_people:
                raise Refused([_erasing_is_for_administrators(staff.language)])
            return actions.erase_person(participant_id, staff.actor, staff.language)

        back = f"/console/rounds/{slug}/people/{participant_id}"
        return await run_action(portal, request, slug, run, back_to=back)


def _erasing_is_for_administrators(language: str) -> str:
    _ = gettext_for(language, "portal")
    return _("Only an administrator erases a person: erasing reaches every round they take part in, also rounds "
             "you do not see.")  # fmt: skip


def _explain_erase(session: Session, round_: Round, person: Person, staff: Staff, language: str) -> Confirmation:
    _ = gettext_for(language, "portal")
    title, button = _("Erase this person"), _("Erase")
    if not staff.access.erases_people:
        return Confirmation(title, [], button, refusals=[_erasing_is_for_administrators(language)])
    try:
        planned = plan_erasure(session, person.participant.id, person.participant.email)
    except ErasureRefused as refused:
        return Confirmation(title, [], button, refusals=[refused.in_language(language)])
    rounds = ", ".join(part.slug for part in planned.rounds)
    lines = [
        _("{who} ({organisation}) is erased in every round they take part in ({rounds}), on their request "
          "(GDPR Art. 17):").format(who=_who(person), organisation=planned.organisation, rounds=rounds),
    ]  # fmt: skip
    consequences = planned.consequences(language)
    lines += [f"{line};" for line in consequences[:-1]] + [f"{consequences[-1]}."]
    lines.append(_("This cannot be undone."))
    return Confirmation(title, lines, button)
