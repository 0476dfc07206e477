"""`spr participants`: bring people into a round, list them, send a person's link again, stop a person's links,
withdraw a person from a round, hand a person's self-assessment to a colleague."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import COORDINATOR, messages, plural_messages, reported_errors, success
from workflows.cli.people_options import KindOption, LandOption, RoleOption, SearchOption, StateOption
from workflows.cli.rounds import print_import_summary

if TYPE_CHECKING:
    from review_model.withdrawal import Withdrawal

app = typer.Typer(
    help="Import participants into a round; list them; send a person's link again or revoke it; withdraw a person "
    "from a round; hand a person's self-assessment to a colleague.",
    no_args_is_help=True,
)


@app.command("import")
def import_(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The participants CSV (UTF-8).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file against the store; change nothing.")
    ] = False,
) -> None:
    """Import participants from a CSV file and enrol them in ROUND.

    Columns: email, name, organisation, organisation_kind (required); state, language (de/en), roles
    (respondent;reviewer), expertise and conflicts (lists separated by ';', or by ',' where the file itself
    is semicolon-separated).
    A file with any bad row imports nothing and lists every bad row. Importing the same file again changes
    nothing; a changed name or language updates the person.
    """
    with reported_errors():
        from review_model.audit_trail import record_event
        from review_model.participant_import import import_participants, read_participants_file
        from review_model.rounds import find_round
        from review_model.store import session_scope
        from workflows.cli.store_access import open_store

        rows = read_participants_file(file)
        with session_scope(open_store()) as session:
            round_ = find_round(session, round_ref)
            summary = import_participants(session, round_, rows, str(file))
            if dry_run:
                session.rollback()
            elif summary.changed:
                record_event(
                    session,
                    round_.id,
                    COORDINATOR,
                    "participants imported",
                    file=file.name,
                    created=summary.participants_created,
                    updated=summary.participants_updated,
                    enrolled=summary.enrolled,
                )
        if dry_run:
            ngettext = plural_messages()
            said = ngettext(
                "{file}: {n} participants, all valid (dry run: nothing changed).",
                "{file}: {n} participants, all valid (dry run: nothing changed).",
                len(rows),
            )
            success(said.format(file=file.name, n=len(rows)))
        print_import_summary(summary)


@app.command("revoke-link")
def revoke_link(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: Annotated[str, typer.Option(help="Why, for the round's history (e.g. 'forwarded to a mailing list').")],
) -> None:
    """Make a person's personal links in ROUND open nothing from now on: a link that reached the wrong hands.

    What they saved or submitted stays. The next message they get carries a new link: send one at once
    with `spr round remind ROUND --participant EMAIL`. The round's history says who revoked, whose and why.
    """
    with reported_errors():
        from review_model.participant_import import participant_with_email
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.output import fail
        from workflows.cli.prefect_runs import on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, kept_private, revoke_links_flow

        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            round_id, slug = round_.id, round_.slug
            person = participant_with_email(session, email)
        if person is None:
            _ = messages()
            fail(_("{email} takes no part in {slug}").format(email=email, slug=slug))
        with on_prefect(), about_round(slug):
            revoked = revoke_links_flow(round_id, slug, person, COORDINATOR, kept_private(reason))
        _, ngettext = messages(), plural_messages()
        success(
            ngettext(
                "{n} link(s) of {email} in {slug} revoked: they open nothing from now on.",
                "{n} link(s) of {email} in {slug} revoked: they open nothing from now on.",
                revoked,
            ).format(n=revoked, email=email, slug=slug)
        )
        typer.echo(
            _("Next: send a new link with `spr round remind {slug} --participant {email}`.").format(
                slug=slug, email=email
            )
        )


@app.command("withdraw")
def withdraw(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: Annotated[str, typer.Option(help="Why, for the round's history (e.g. 'the organisation left').")],
    yes: Annotated[bool, typer.Option("--yes", help="Withdraw without asking (for scripts).")] = False,
) -> None:
    """Withdraw a person from ROUND: their organisation leaves the round, or they asked to be withdrawn.

    Says what withdrawing them does, then asks (without a terminal, only with --yes). Their personal links
    open nothing from now on. What they submitted stays: a submitted self-assessment is still reviewed and
    reported, submitted reviews and a sent reply stay in the findings and the report. Nothing is asked of
    them again (no invitation, reminder, review request, reply invitation or report link), and no stage
    waits for them. The round's history says who withdrew them and why. An organisation that leaves is
    withdrawn person by person. Nobody is told by email.
    """
    with reported_errors():
        from review_model.participant_import import participant_with_email
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from review_model.withdrawal import plan_withdrawal
        from workflows.cli.coordination import confirm_or_stop
        from workflows.cli.output import next_step
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, kept_private, withdraw_participant_flow

        # Checked before asking, and again under the round's lock when it is done.
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            round_id, slug = round_.id, round_.slug
            assert round_id is not None  # a stored round
            planned = plan_withdrawal(session, round_, participant_with_email(session, email), reason, who=email)
        _show_withdrawal(planned, email, reason)
        _, ngettext = messages(), plural_messages()
        confirm_or_stop(
            _("Withdraw {name} from {slug}?").format(name=planned.name, slug=slug), yes, undone=_("not withdrawn")
        )
        with on_prefect() as api:
            with about_round(slug):
                withdrawn = withdraw_participant_flow(
                    round_id, slug, planned.participant_id, COORDINATOR, kept_private(reason)
                )
            links = ngettext("{n} link revoked", "{n} links revoked", withdrawn.links_revoked)
            dropped = ngettext("{n} unsent message dropped", "{n} unsent messages dropped", withdrawn.messages_dropped)
            success(
                _("{name} ({email}) withdrawn from {slug}: {links}, {dropped}.").format(
                    name=planned.name,
                    email=email,
                    slug=slug,
                    links=links.format(n=withdrawn.links_revoked),
                    dropped=dropped.format(n=withdrawn.messages_dropped),
                )
            )
            followed = advance_after(api, round_id, slug, "withdrawing a participant")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or planned.stage))


def _show_withdrawal(planned: "Withdrawal", email: str, reason: str) -> None:
    """Exactly what withdrawing the person does, before anyone is asked."""
    from review_model.vocabulary import WorkStatus
    from workflows.cli.output import stage_name

    _, ngettext = messages(), plural_messages()
    slug = planned.round_slug
    lines = [
        ngettext(
            "their personal link opens nothing from now on: the portal shows what it shows for a revoked link",
            "their {n} personal links open nothing from now on: the portal shows what it shows for a revoked link",
            planned.links,
        ).format(n=planned.links)
    ]
    if "respondent" in planned.roles:
        lines.append({
            WorkStatus.submitted: _("their self-assessment was submitted: it stays, and is reviewed, consolidated "
                                    "and reported as before"),
            WorkStatus.draft: _("their self-assessment was not submitted: the draft stays in the store, but it is "
                                "not reviewed and no longer waited for"),
            None: _("they have not begun their self-assessment: it is no longer waited for"),
        }[planned.self_assessment])  # fmt: skip
    if planned.reviews_submitted:
        lines.append(
            ngettext(
                "their submitted review stays in the findings",
                "their {n} submitted reviews stay in the findings",
                planned.reviews_submitted,
            ).format(n=planned.reviews_submitted)
        )
    if planned.reviews_open:
        lines.append(
            _("their open reviews of {parties} are no longer waited for: these parties get fewer reviews").format(
                parties=", ".join(planned.reviews_open)
            )
        )
    if planned.proposed_reviews:
        lines.append(
            _(
                "the proposed assignment has them review {parties}: propose it again with "
                "`spr assignment compute {slug}` (confirming it is refused)"
            ).format(parties=", ".join(planned.proposed_reviews), slug=slug)
        )
    if planned.reply_sent:
        lines.append(_("their reply to the draft findings stays in the report"))
    lines += [
        _("nothing is asked of them again: no invitation, reminder, review request, reply invitation or report "
          "link; messages to them not yet sent are dropped (receipts of what they sent still go out)"),
        _("no stage waits for them any more, and the round's counts leave them out but for what they submitted"),
        _("the round's history keeps who withdrew them and why: “{reason}”").format(reason=reason.strip()),
    ]  # fmt: skip
    roles = ", ".join(planned.roles) or _("no role")
    typer.echo(
        _("Withdrawing {name} <{email}> ({organisation}; {roles}) from {slug}, now in stage {stage}:").format(
            name=planned.name,
            email=email,
            organisation=planned.organisation,
            roles=roles,
            slug=slug,
            stage=stage_name(planned.stage),
        )
    )
    for line in lines:
        typer.echo(f"  - {line}")
    typer.echo(_("Nobody tells them by email: tell them yourself if they should know."))


@app.command("list")
def list_(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    role: RoleOption = None,
    kind: KindOption = None,
    land: LandOption = None,
    state: StateOption = None,
    search: SearchOption = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many people.")] = 200,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many people first (the next page).")] = 0,
) -> None:
    """The people of ROUND the options pick, by organisation: roles, where they stand, reminders, the last
    message. Each option may be given again: its values are alternatives (--land BY --land SN), while the
    options must all hold (--role respondent --state not-submitted)."""
    with reported_errors():
        from review_model.people_filter import describe_filter, people_in_round
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from workflows.cli.output import coordinator_language, local_time, print_table
        from workflows.cli.people_options import people_filter
        from workflows.cli.store_access import open_store

        chosen = people_filter(role, kind, land, state, search)
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            page = people_in_round(session, round_.id, chosen, offset=offset, limit=limit)
        _, ngettext, language = messages(), plural_messages(), coordinator_language()
        rows = [
            (person.name, person.email, person.organisation, person.kind.label(language),
             person.land.value if person.land else "", ", ".join(role.label(language) for role in person.roles),
             ", ".join(state.label(language) for state in person.states), person.reminders,
             f"{person.last_message.kind} · {local_time(person.last_message.at, round_.time_zone)}"
             if person.last_message else "")
            for person in page.rows
        ]  # fmt: skip
        columns = [_("Name"), _("Email"), _("Organisation"), _("Kind"), _("Land"), _("Roles"), _("State"),
                   _("Reminders"), _("Last message")]  # fmt: skip
        described = describe_filter(chosen, language)
        print_table(described[:1].upper() + described[1:], columns, rows)
        counted = ngettext("{n} person in {slug}", "{n} people in {slug}", page.total).format(
            n=page.total, slug=round_.slug
        )
        if page.rows and len(page.rows) < page.total:
            counted += " " + _("(shown: {first}–{last})").format(first=offset + 1, last=offset + len(page.rows))
        typer.echo(counted)


@app.command("resend-link")
def resend_link(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    email: Annotated[str, typer.Argument(help="The person's email address.")],
) -> None:
    """Send a person their personal link of ROUND's current stage again, as a new message: the invitation in the
    self-assessment, the review request in the peer review, the invitation to the consensus (with the reviews
    they submitted), the invitation to reply in the right of reply.

    It is the very link they hold, not a new one. Refused, with every reason, for someone withdrawn or opted
    out, without a link in this stage, or whose link was revoked (a reminder carries a new one) or expired.
    """
    with reported_errors():
        from review_model import clock
        from review_model.participant_import import participant_with_email
        from review_model.rounds import find_round
        from review_model.stage_links import links_to_resend
        from review_model.store import reading_session
        from workflows.cli.output import next_step
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, resend_link_flow

        # Checked before Prefect starts (a refusal is quick, and leaves no failed run), and again under the lock.
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            assert round_.id is not None
            round_id, slug = round_.id, round_.slug
            person = participant_with_email(session, email)
            held = links_to_resend(session, round_, person, clock.now(), email)
        assert person is not None  # links_to_resend refuses a stranger
        _, ngettext = messages(), plural_messages()
        with on_prefect() as api:
            with about_round(slug):
                resent = resend_link_flow(round_id, slug, person, COORDINATOR)
            said = ngettext(
                "{name} <{email}>: their personal link of {slug} queued again ({kind}).",
                "{name} <{email}>: their {n} personal links of {slug} queued again ({kind}).",
                resent.links,
            )
            success(said.format(name=held.participant.name, email=email, n=resent.links, slug=slug, kind=resent.kind))
            followed = advance_after(api, round_id, slug, "sending a link again")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or resent.stage))


@app.command("hand-over")
def hand_over(
    round_ref: Annotated[str, typer.Argument(metavar="ROUND", help="The round's slug or id.")],
    from_email: Annotated[str, typer.Argument(help="The address of the person who answers for their organisation.")],
    to_email: Annotated[str, typer.Argument(help="The colleague's address (of the same organisation).")],
    name: Annotated[str, typer.Option(help="The colleague's name (a person known already keeps theirs).")],
    language: Annotated[
        str | None, typer.Option(help="de or en: the colleague's messages (default: the first person's language).")
    ] = None,
) -> None:
    """Hand the self-assessment FROM_EMAIL answers for their organisation to a colleague, TO_EMAIL, when they
    ask by letter or phone; what the portal's handover page does.

    The colleague becomes a participant of the same organisation (an address known already must belong to
    it), a respondent of ROUND, and gets an email with a personal link of their own; the organisation's
    answers, drafts and versions go with the form. The first person gets a confirmation and answers no
    longer (a reviewer role stays); their link stops working unless the round file keeps it
    (handover.keep_first_link). Refused, with every reason, after the deadline or when the form is closed.
    """
    with reported_errors():
        from pydantic import SecretStr
        from sqlmodel import select

        from review_model import clock
        from review_model.handover import Colleague, handover_refusals, handover_situation
        from review_model.participant_import import participant_with_email
        from review_model.refusals import Refused
        from review_model.rounds import find_round
        from review_model.store import reading_session
        from review_model.tables import Enrolment, Participant
        from review_model.vocabulary import Language
        from workflows.cli.output import fail, next_step
        from workflows.cli.prefect_runs import advance_after, on_prefect
        from workflows.cli.store_access import open_store
        from workflows.flows import about_round, hand_over_form_flow

        _ = messages()
        if language is not None and language not in ("de", "en"):
            fail(_("--language is de or en, not {language}").format(language=language))
        # Checked before the flow runs, and again under the round's lock when it is done.
        with reading_session(open_store()) as session:
            round_ = find_round(session, round_ref)
            round_id, slug, stage = round_.id, round_.slug, round_.stage
            assert round_id is not None  # a stored round
            person = participant_with_email(session, from_email)
            enrolment = session.exec(
                select(Enrolment).where(Enrolment.round_id == round_id, Enrolment.participant_id == person)
            ).first()
            if person is None or enrolment is None or enrolment.id is None:
                fail(_("{email} takes no part in {slug}").format(email=from_email, slug=slug))
            first = session.get(Participant, person)
            assert first is not None
            chosen = Language(language) if language is not None else first.language
            colleague = Colleague(name, to_email, chosen)
            reasons = handover_refusals(handover_situation(session, round_, enrolment.id, colleague), colleague,
                                        clock.now())  # fmt: skip
        if reasons:
            raise Refused(reasons)
        with on_prefect() as api:
            with about_round(slug):
                handed = hand_over_form_flow(round_id, slug, person, SecretStr(name), SecretStr(to_email), chosen,
                                             COORDINATOR)  # fmt: skip
            success(
                _("The self-assessment of {organisation} went from {first} to {colleague} ({email}); both are told "
                  "by email.").format(organisation=handed.organisation, first=handed.first_name,
                                      colleague=handed.colleague_name, email=colleague.address)
            )  # fmt: skip
            typer.echo(
                _("{first}'s link keeps opening the form.").format(first=handed.first_name)
                if handed.first_link_kept
                else _("{first}'s link to the form opens nothing from now on.").format(first=handed.first_name)
            )
            followed = advance_after(api, round_id, slug, "handing a form over")
            typer.echo(followed.line)
        typer.echo(next_step(slug, followed.stage or stage))
