"""`spr staff`: the accounts that log in to the console (participants never do: their links are their identity)."""

from typing import TYPE_CHECKING, Annotated

import typer

from workflows.cli.output import COORDINATOR, local_time, messages, print_table, reported_errors, success

if TYPE_CHECKING:
    from review_model.staff import PasswordLink

app = typer.Typer(help="Manage the staff who log in to the console: administrators, coordinators, observers.")


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Their email address (also how single sign-on finds them).")],
    role: Annotated[
        str,
        typer.Option(
            help="admin (manages staff, runs every round), coordinator (runs the rounds named for them) "
            "or observer (reads the rounds named for them)."
        ),
    ],
    name: Annotated[str, typer.Option(help="Their name, as the console shows it.")] = "",
    round_refs: Annotated[
        list[str] | None, typer.Option("--round", help="A round to name them for (slug or id); repeat for more.")
    ] = None,
) -> None:
    """Add a member of staff and print a one-time link to set their password (valid 72 hours); with single
    sign-on configured they can log in that way instead."""
    with reported_errors():
        from review_model import clock
        from review_model.rounds import find_round
        from review_model.staff import add_staff
        from review_model.store import session_scope
        from review_model.vocabulary import StaffRole
        from workflows.cli.output import fail
        from workflows.cli.store_access import open_store

        _ = messages()
        if role not in StaffRole.__members__:
            fail(_("--role must be admin, coordinator or observer, not {role!r}").format(role=role))
        with session_scope(open_store()) as session:
            rounds = [find_round(session, reference) for reference in round_refs or []]
            account, link = add_staff(
                session, email, StaffRole(role), name=name, rounds=rounds, actor=COORDINATOR, now=clock.now()
            )
            success(_("{email} can log in to the console as {role}.").format(email=account.email, role=role))
        _print_link(link)


@app.command("password-link")
def password_link(email: Annotated[str, typer.Argument(help="Their email address.")]) -> None:
    """Print a new one-time link for a member of staff to set their password (a forgotten one, say); links
    printed before stop working."""
    with reported_errors():
        from review_model import clock
        from review_model.staff import new_password_link
        from review_model.store import session_scope
        from workflows.cli.store_access import open_store

        with session_scope(open_store()) as session:
            link = new_password_link(session, email, actor=COORDINATOR, now=clock.now())
        _print_link(link)


@app.command("list")
def list_() -> None:
    """Every member of staff: role, the rounds they are named for, whether they have a password, last login."""
    with reported_errors():
        from config.settings import get_settings
        from review_model.staff import list_staff
        from review_model.store import reading_session
        from workflows.cli.store_access import open_store

        _ = messages()
        zone = get_settings().time_zone
        with reading_session(open_store()) as session:
            staff = list_staff(session)
        if not staff:
            typer.echo(_("No staff yet: add the first administrator with `spr staff add EMAIL --role admin`."))
            return
        rows = [
            (
                member.email,
                member.name,
                member.role.value,
                ", ".join(member.rounds) or "–",
                _("yes") if member.has_password else _("no"),
                local_time(member.last_login_at, zone) if member.last_login_at else _("never"),
            )
            for member in staff
        ]
        print_table(None, [_("Email"), _("Name"), _("Role"), _("Rounds"), _("Password"), _("Last login")], rows)


@app.command("remove")
def remove(
    email: Annotated[str, typer.Argument(help="Their email address.")],
    yes: Annotated[bool, typer.Option("--yes", help="Remove without asking (for scripts).")] = False,
) -> None:
    """Remove a member of staff: they are logged out everywhere at once and their links stop working."""
    with reported_errors():
        from review_model.staff import remove_staff
        from review_model.store import session_scope
        from workflows.cli.coordination import confirm_or_stop
        from workflows.cli.store_access import open_store

        _ = messages()
        confirm_or_stop(_("Remove {email} from the console?").format(email=email), yes, undone=_("not removed"))
        with session_scope(open_store()) as session:
            account = remove_staff(session, email, actor=COORDINATOR)
        success(_("{email} was removed and logged out everywhere.").format(email=account.email))


def _print_link(link: "PasswordLink") -> None:
    from config.settings import get_settings

    _ = messages()
    settings = get_settings()
    base = str(settings.public_base_url).rstrip("/")
    typer.echo(
        _("Their link to set a password, valid until {until} (give it to them yourself; it is shown once):").format(
            until=local_time(link.expires_at, settings.time_zone)
        )
    )
    typer.echo(f"  {base}/console/password/{link.token}")
