"""A form handed to a colleague in a running round: the colleague's invitation arrives over SMTP with a link
that opens the organisation's form, the first person's confirmation too, and the reminders that follow go to
the colleague, never to the first person."""

from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import Session

from review_model.tables import Round
from tests.support.answers import SELF_ASSESSMENT, csrf_of
from tests.support.messages import kinds_by_recipient, link_in, text_of
from tests.support.round_world import RoundWorld
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage

LENA = "lena@auenburg.example"


def submission_deadline(world: RoundWorld):
    with Session(world.engine) as session:
        return session.get(Round, world.round_id).submission_deadline


def test_the_colleague_is_invited_and_reminded_and_the_first_person_no_longer(round_world):
    world = round_world
    deadline = submission_deadline(world)
    with freeze_time(deadline - timedelta(days=10), real_asyncio=True) as frozen:
        open_invitation_stage(world.context, world.round_id, "test")
        advance_round(world.context, world.round_id)
        anna = link_in(next(m for m in world.received() if m.recipients[0].startswith("anna")))
        draft = {**SELF_ASSESSMENT, "csrf": csrf_of(world.portal.get(anna).text), "action": "save"}
        assert world.portal.post(anna, data=draft, follow_redirects=False).status_code == 303
        page = world.portal.get(anna + "/hand-over").text
        handed = world.portal.post(
            anna + "/hand-over",
            data={"csrf": csrf_of(page), "name": "Lena Keller", "email": LENA, "language": "de"},
            follow_redirects=False,
        )
        assert handed.status_code == 200
        advance_round(world.context, world.round_id)  # delivers what the handover queued
        invitation = next(m for m in world.received() if m.recipients[0] == LENA)
        assert "Anna Keller hat Ihnen die Selbsteinschätzung von Stadt Auenburg" in text_of(invitation)
        confirmation = [m for m in world.received() if m.recipients[0].startswith("anna")][-1]
        assert "an Lena Keller (lena@auenburg.example) übergeben" in text_of(confirmation)
        lena = link_in(invitation)
        opened = world.portal.get(lena)
        assert opened.status_code == 200 and "Entwurf gespeichert am" in opened.text
        assert world.portal.get(anna).status_code == 410

        before = kinds_by_recipient(world)
        frozen.move_to(deadline - timedelta(days=3) + timedelta(hours=1))  # two reminder times have passed
        assert advance_round(world.context, world.round_id).reminders == 4
        added = kinds_by_recipient(world) - before
    assert added == {(local, "reminder"): 1 for local in ("ben", "cara", "dora", "lena")}
