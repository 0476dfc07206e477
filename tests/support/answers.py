"""Answering a round's forms as participants do, through the portal: a self-assessment, reviews, replies."""

import re
from datetime import timedelta

from sqlmodel import Session, select

from review_model.rounds import get_round
from review_model.tables import Recommendation, ReviewAssignment
from review_model.vocabulary import RecommendationStatus
from tests.support.messages import REVIEW_LINK, link_in, reply_links, text_of
from tests.support.round_world import RoundWorld
from workflows.round_driver import advance_round
from workflows.stages.launch import open_invitation_stage

HOSTILE = '<script>alert("x")</script> & <b>fett</b>'
SELF_ASSESSMENT = {f"{field}.{guideline}": "2" for field in (
    "verwaltung", "it_kommunikation", "energie_umwelt", "mobilitaet", "gesellschaft_bildung", "gesundheit")
    for guideline in ("ziele", "teilhabe", "infrastruktur", "ressourcen")}  # fmt: skip
SELF_ASSESSMENT["gesamtbild.staerken"] = "Offene Daten"


def csrf_of(page: str) -> str:
    """The CSRF token a form page carries in its hidden field."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page[:300]
    return found.group(1)


def submit(world: RoundWorld, path: str) -> None:
    """Submit a complete self-assessment (every rating 2) through the form at `path`."""
    csrf = csrf_of(world.portal.get(path).text)
    response = world.portal.post(path, data={"csrf": csrf, "action": "submit", **SELF_ASSESSMENT},
                                 follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text[:500]


def review_all(world: RoundWorld, path: str, level: str = "0", comment: str | None = None) -> None:
    """Submit a review rating every item `level`, with `comment` on one item if given."""
    page = world.portal.get(path).text
    ratings = {key: level for key in re.findall(r'name="([a-z_]+\.[a-z]+)" id="f-', page)}
    if comment is not None:
        ratings["mobilitaet.teilhabe/comment"] = comment
    response = world.portal.post(path, data={"csrf": csrf_of(page), "action": "submit", **ratings},
                                 follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text[:300]


def reply(world: RoundWorld, path: str, general: str, action: str = "send") -> None:
    """Send (or save) a reviewed party's reply through the reply page at `path`."""
    csrf = csrf_of(world.portal.get(path).text)
    response = world.portal.post(
        path, data={"csrf": csrf, "action": action, "reply-general": general}, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:500]


def bring_to_drafting(world: RoundWorld) -> None:
    """Everyone submits, the coordinator confirms the assignment, every reviewer reviews; the stage closes."""
    with Session(world.engine) as session:
        deadline = get_round(session, world.round_id).submission_deadline
    open_invitation_stage(world.context, world.round_id, "test")
    advance_round(world.context, world.round_id)
    for message in world.received():
        submit(world, link_in(message))
    advance_round(world.context, world.round_id)
    with Session(world.engine) as session:
        for assignment in session.exec(select(ReviewAssignment)).all():
            assignment.confirmed_at = deadline - timedelta(days=10)
        session.commit()
    advance_round(world.context, world.round_id)
    for number, request in enumerate(m for m in world.received() if REVIEW_LINK.search(text_of(m))):
        for path in REVIEW_LINK.findall(text_of(request)):
            # 0 and 1: low, and reviewers disagree by one
            review_all(world, path, str(number % 2), comment=f"Kaum Beteiligung {HOSTILE}")


def approve_every_draft(world: RoundWorld) -> None:
    """The coordinator approves every drafted recommendation of the round."""
    with Session(world.engine) as session:
        for draft in session.exec(select(Recommendation)).all():
            draft.status = RecommendationStatus.approved
        session.commit()


def open_right_of_reply(world: RoundWorld) -> dict[str, str]:
    """The coordinator approves every draft and the driver opens the comment stage; each party's reply link
    path, by the local part of its address."""
    approve_every_draft(world)
    before = len(world.received())
    advance_round(world.context, world.round_id)
    return reply_links(world.received()[before:])
