"""`spr staff`: add, list and remove the people who log in to the console."""

import re

from sqlmodel import Session, select
from typer.testing import CliRunner

from review_model import clock
from review_model.staff import set_password_with_link
from review_model.store import make_engine
from review_model.tables import AuditEvent, RoundStaff, StaffAccount
from tests.conftest import EXAMPLES
from workflows.cli import app

runner = CliRunner()


def spr(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_staff_are_added_named_for_rounds_listed_and_removed(configured: str):
    assert spr("round", "create", str(EXAMPLES / "round.yaml")).exit_code == 0
    added = spr(
        "staff", "add", "Ko@Land.example", "--role", "coordinator", "--name", "Kim Ko", "--round", "beispielrunde"
    )
    assert added.exit_code == 0, added.output
    assert "ko@land.example can log in to the console as coordinator." in added.output
    link = re.search(r"http://\S+/console/password/(\S+)", added.output)
    assert link, added.output
    engine = make_engine(configured)
    with Session(engine) as session:
        account = session.exec(select(StaffAccount)).one()
        assert (account.email, account.name, account.password_hash) == ("ko@land.example", "Kim Ko", None)
        named = {row.email for row in session.exec(select(RoundStaff))}
        # the round file's coordinator is named for the round from its creation
        assert named == {"ko@land.example", "geschaeftsstelle@peer-review.example"}
        set_password_with_link(
            session, link.group(1), "ein langes Passwort 2027", "ein langes Passwort 2027", clock.now()
        )
        session.commit()

    again = spr("staff", "add", "ko@land.example", "--role", "observer")
    assert again.exit_code == 1 and "ko@land.example has an account already" in again.output
    bad_role = spr("staff", "add", "x@land.example", "--role", "boss")
    assert bad_role.exit_code == 1 and "--role must be admin, coordinator or observer" in bad_role.output

    listed = spr("staff", "list")
    assert "ko@land.example" in listed.output and "beispielrunde" in listed.output and "yes" in listed.output

    unattended = spr("staff", "remove", "ko@land.example")
    assert unattended.exit_code == 1 and "confirm with --yes" in unattended.output
    removed = spr("staff", "remove", "ko@land.example", "--yes")
    assert removed.exit_code == 0 and "removed and logged out everywhere" in removed.output
    with Session(engine) as session:
        assert session.exec(select(StaffAccount)).all() == []
        actions = [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert "staff added" in actions and "staff removed" in actions
    engine.dispose()


def test_the_last_administrator_cannot_be_removed_and_a_new_link_replaces_the_old(configured: str):
    first = spr("staff", "add", "admin@land.example", "--role", "admin")
    old = re.search(r"/console/password/(\S+)", first.output)
    renewed = spr("staff", "password-link", "admin@land.example")
    new = re.search(r"/console/password/(\S+)", renewed.output)
    assert old and new and old.group(1) != new.group(1)
    engine = make_engine(configured)
    with Session(engine) as session:
        refused = runner.invoke(app, ["staff", "remove", "admin@land.example", "--yes"])
        assert refused.exit_code == 1 and "admin@land.example is the last administrator" in refused.output
        assert session.exec(select(StaffAccount)).one().email == "admin@land.example"
        issued = session.exec(select(AuditEvent).where(AuditEvent.action == "staff password link issued")).one()
        assert issued.details == {"email": "admin@land.example"}
    assert spr("staff", "password-link", "nobody@land.example").exit_code == 1
    engine.dispose()
