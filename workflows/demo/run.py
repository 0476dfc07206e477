"""Two rounds in a minute or two: the example round and the round that follows it up a year later, answered by
simulated participants over HTTP.

Everything is real except the people and the calendar: a fresh SQLite store, the development SMTP server
and the portal on loopback, the Prefect flows on Prefect's temporary local API. Participants act only on
the emails they receive, following the links in them; the demo's own clock jumps from one moment of the
round to the next (reminder days, deadlines), and the coordinator's decisions (confirming the reviewers,
approving the recommendations) are taken automatically and said so.
"""

import email
import email.policy
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import QueryableAttribute
from sqlmodel import col, select

from config.paths import EXAMPLES_DIR
from notifications.dev_mail_server import DevMailServer, ReceivedMessage, free_port
from portal.app import create_app
from portal.background import PortalThread
from review_model import clock
from review_model.audit_trail import record_event
from review_model.rounds import get_round
from review_model.store import reading_session, session_scope
from review_model.tables import (
    Finding,
    OutboxMessage,
    Participant,
    PublishedReport,
    Recommendation,
    Review,
    ReviewAssignment,
    Round,
    Submission,
)
from review_model.vocabulary import RecommendationStatus, Stage
from workflows.demo.personas import (
    Persona,
    answers_to_questions,
    consensus_comments,
    endorsement,
    joint_assessment,
    personas_for,
    reply_text,
    review_answers,
    review_question,
    self_assessment_answers,
)
from workflows.demo.web_forms import open_form, send_form
from workflows.prefect_output import prefect_log_file, send_prefect_logs_to_file
from workflows.prefect_server import flow_heartbeats_off

Say = Callable[[str], None]
COORDINATOR = "demo (the coordinator's step, taken automatically)"
# The demo's rounds, in order: each round file in config/examples, the second following up the first.
ROUND_FILES = ("round.yaml", "follow-up-round.yaml")
# The files the demo writes into FOLDER/report/<round> (and removes again before the next run).
REPORT_FILES = {("html", "de"): "report-de.html", ("html", "en"): "report-en.html", ("pdf", "de"): "report-de.pdf",
                ("pdf", "en"): "report-en.pdf", ("csv", "de"): "scores-de.csv", ("csv", "en"): "scores-en.csv",
                ("json", "de"): "scores-de.json", ("json", "en"): "scores-en.json"}  # fmt: skip
FIELDS = ["verwaltung", "it_kommunikation", "energie_umwelt", "mobilitaet", "gesellschaft_bildung", "gesundheit"]


@dataclass
class DemoSummary:
    """What happened in one round, for the closing lines."""

    folder: Path
    slug: str = ""
    title: str = ""
    report_files: list[Path] = field(default_factory=list)
    emails: Counter[str] = field(default_factory=Counter)
    invited: int = 0
    submissions: int = 0
    reviews: int = 0
    reviews_assigned: int = 0
    findings: int = 0
    recommendations_approved: int = 0
    replies: int = 0
    seconds: float = 0.0


class _Round:
    """The demo's view of the running round: its servers, its people, and what arrived by email."""

    def __init__(
        self, slug: str, mail: DevMailServer, engine: Engine, say: Say, rng: random.Random,
        personas: dict[str, Persona] | None = None,
    ) -> None:  # fmt: skip
        self.slug, self.mail, self.engine, self.say, self.rng = slug, mail, engine, say, rng
        self.seen = len(mail.catcher.received())  # what an earlier round received is not this round's
        with reading_session(engine) as session:
            round_ = session.exec(select(Round).where(Round.slug == slug)).one()
            assert round_.id is not None
            self.id: int = round_.id
            people = session.exec(select(Participant)).all()
            self.organisation_of = {p.email: p.organisation.name for p in people}
        # The same organisations in a later round: the same personas, so their story carries on.
        self.personas: dict[str, Persona] = personas or personas_for(
            sorted(set(self.organisation_of.values())), FIELDS, rng
        )

    def schedule(self) -> Round:
        with reading_session(self.engine) as session:
            return get_round(session, self.id)

    def new_mail(self) -> list[ReceivedMessage]:
        """What arrived since last asked, by recipient: delivery runs in parallel, so arrival order varies,
        and the seeded choices must meet the same people in the same order on every run."""
        received = self.mail.catcher.received()
        fresh, self.seen = received[self.seen :], len(received)
        return sorted(fresh, key=lambda message: (message.recipients[0], message.summary()))

    def advance(self) -> str:
        from workflows.flows import advance_round_flow

        report = advance_round_flow(self.id, self.slug)
        assert report is not None  # None only for a run given wait_seconds
        return report.summary()

    def travel(self, moment: datetime, why: str) -> None:
        clock.travel_to(moment)
        self.say(f"  ⏩ {moment.astimezone(_zone(self.schedule())):%d.%m.%Y %H:%M} – {why}")


def run_demo(folder: Path, *, participants: int | None = None, seed: int = 2027, say: Say = print) -> list[DemoSummary]:
    """Run the example round and its follow-up round from creation to publication in `folder`; returns what
    happened in each."""
    started = time.perf_counter()
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    # An earlier demo's store (with its secret key, spr-demo.db.key), log and reports go; nothing else is touched.
    reports = [path for path in (folder / "report").glob("**/*") if path.name in REPORT_FILES.values()]
    for leftover in [*folder.glob("spr-demo.db*"), folder / "prefect.log", *reports]:
        leftover.unlink(missing_ok=True)
    mail_port, portal_port = free_port(), free_port()
    # The demo's settings live in the environment while it runs (the Prefect flows read them there): its
    # own, not whatever SPR_* variables the shell has, and Prefect's temporary local API, not a profile's
    # (no profiles file; PREFECT_API_URL unset, as an empty one makes Prefect's events client fail on every
    # event). Prefect's log goes into the demo's folder unless it was asked for on the terminal.
    previous_environment = dict(os.environ)
    for inherited in [key for key in os.environ if key.startswith("SPR_") or key == "PREFECT_API_URL"]:
        del os.environ[inherited]
    prefect_log = send_prefect_logs_to_file(folder / "prefect.log") if prefect_log_file() else None
    loopback = ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1,localhost"]))
    os.environ.update({
        "NO_PROXY": loopback, "no_proxy": loopback,  # Prefect's client talks to its local API through no proxy
        "PREFECT_PROFILES_PATH": str(folder / "prefect-profiles.toml"), "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "SPR_DATABASE_URL": f"sqlite:///{folder / 'spr-demo.db'}", "SPR_SMTP_HOST": "127.0.0.1",
        "SPR_SMTP_PORT": str(mail_port), "SPR_SMTP_TLS": "none", "SPR_SMTP_USER": "", "SPR_SMTP_PASSWORD": "",
        "SPR_PUBLIC_BASE_URL": f"http://127.0.0.1:{portal_port}",
        "SPR_SMTP_RETRY_SECONDS": "1",
    })  # fmt: skip
    from config.settings import get_settings
    from review_model.schema_migrations import upgrade_store
    from review_model.store import make_engine

    summaries: list[DemoSummary] = []
    rng = random.Random(seed)
    engine = None
    try:
        get_settings.cache_clear()
        settings = get_settings()
        engine = make_engine(settings.database_url)
        upgrade_store(engine)
        with (
            DevMailServer(port=mail_port) as mail,
            PortalThread(create_app(settings, engine), portal_port),
            flow_heartbeats_off(),  # the demo's flows run on Prefect's temporary API
        ):
            logged = f" · Prefect's log {prefect_log}" if prefect_log else ""
            say(f"spr demo · store {folder / 'spr-demo.db'} · portal http://127.0.0.1:{portal_port} · "
                f"mail server 127.0.0.1:{mail_port}{logged}")  # fmt: skip
            previous: _Round | None = None
            for number, round_file in enumerate(ROUND_FILES, start=1):
                if previous is not None:  # the next round starts a year after the one before began
                    say(f"\nRound {number} follows up the round before (previous_round): the same organisations.")
                    previous.travel(previous.schedule().created_at + timedelta(days=365), "a year later")
                slug = _create_round(engine, round_file, participants, say)
                world = _Round(slug, mail, engine, say, rng, previous.personas if previous else None)
                summary = DemoSummary(folder, slug=slug, title=world.schedule().title)
                invitations = _launch(world, summary)
                _submission_stage(world, invitations)
                _review_stage(world, summary)
                _drafting(world, summary)
                _comment_stage(world, summary)
                _write_report(world, summary)
                count_outcomes(engine, world.id, summary)
                summaries.append(summary)
                previous = world
    finally:
        clock.back_to_real_time()
        if engine is not None:
            engine.dispose()
        os.environ.clear()
        os.environ.update(previous_environment)
        get_settings.cache_clear()
    for summary in summaries:
        summary.seconds = time.perf_counter() - started
    return summaries


def _create_round(engine: Engine, round_file: str, participants: int | None, say: Say) -> str:
    from review_model.participant_import import import_participants, read_participants_file
    from review_model.rounds import create_round_from_file

    with session_scope(engine) as session:
        creation = create_round_from_file(
            session, EXAMPLES_DIR / round_file, now=clock.now(), default_time_zone="Europe/Berlin",
            default_language="de", actor="demo",
        )  # fmt: skip
        rows = read_participants_file(EXAMPLES_DIR / "participants.csv")[:participants]
        # A shortened list keeps only conflicts and preferences among the organisations still in it.
        present = {row.organisation for row in rows}
        rows = [
            replace(row, conflicts=tuple(o for o in row.conflicts if o in present),
                    preferences=tuple(o for o in row.preferences if o in present))
            for row in rows
        ]  # fmt: skip
        import_participants(session, creation.round, rows, "participants.csv")
        round_ = creation.round
        say(f"① The coordinator creates the round “{round_.title}” with {len(rows)} participants "
            f"(questionnaire {round_.questionnaire_id}).")  # fmt: skip
        return round_.slug


def _launch(world: _Round, summary: DemoSummary) -> list[ReceivedMessage]:
    from workflows.flows import launch_round_flow

    world.say("② Launch: a Prefect flow checks the round and sends the invitations (Prefect starts its local API).")
    report = launch_round_flow(world.id, world.slug, "demo (coordinator)")
    invitations = [m for m in world.new_mail() if _links(m, "a")]
    summary.invited = len(invitations)
    world.say(f"  {report.summary()}; {len(invitations)} invitations arrived.")
    return invitations


def _submission_stage(world: _Round, invitations: list[ReceivedMessage]) -> None:
    round_ = world.schedule()
    world.say("③ Self-assessment: participants follow the link in their invitation and fill in the form.")
    world.rng.shuffle(invitations)
    early, late = invitations[: len(invitations) * 2 // 3], invitations[len(invitations) * 2 // 3 :]
    world.travel(round_.stage_entered_at + timedelta(days=2), "two days after the invitations")
    _self_assess(world, early)
    world.say(f"  {len(early)} self-assessments submitted.")
    world.travel(round_.submission_deadline - timedelta(days=7) + timedelta(minutes=5), "a week before the deadline")
    world.say(f"  {world.advance()}")
    # Those who submitted got receipts; a link to the form arriving for one who did not is a reminder.
    waiting = {m.recipients[0] for m in late}
    reminders = [m for m in world.new_mail() if _links(m, "a") and m.recipients[0] in waiting]
    stragglers = reminders[: max(len(reminders) - 2, 0)]
    _self_assess(world, stragglers)
    world.say(f"  {len(reminders)} reminders arrived; {len(stragglers)} answer theirs, "
              f"{len(late) - len(stragglers)} never answer.")  # fmt: skip
    if round_.previous_round_id is not None:
        world.say(f"  In the same form each organisation said what became of the recommendations of the round "
                  f"before to its level: {_follow_up_line(world)}.")  # fmt: skip
    grace = timedelta(hours=round_.late_grace_hours)
    world.travel(round_.submission_deadline + grace + timedelta(minutes=5), "the deadline (and its grace) passed")
    world.say(f"  {world.advance()}")


def _follow_up_line(world: _Round) -> str:
    """The statements about the earlier round's recommendations so far, by status: "3 implemented, …"."""
    from review_model.follow_up import reported_status_counts

    with reading_session(world.engine) as session:
        counts = reported_status_counts(session, get_round(session, world.id))
    return ", ".join(f"{n} {status.label('en')}" for status, n in counts.items() if n) or "no statement"


def _self_assess(world: _Round, invitations: list[ReceivedMessage]) -> None:
    for message in invitations:
        persona = world.personas[world.organisation_of[message.recipients[0]]]
        page = open_form(_links(message, "a")[0])
        _check(send_form(page, {**self_assessment_answers(page, persona, world.rng), "action": "submit"}),
               "a self-assessment")  # fmt: skip


def _check(status: int, what: str) -> None:
    """A form post answers 303 (saved, see the page again); anything else means the portal refused it."""
    if status != 303:
        raise RuntimeError(f"the portal refused {what} (HTTP {status})")


def _review_stage(world: _Round, summary: DemoSummary) -> None:
    with session_scope(world.engine) as session:
        pairs = session.exec(select(ReviewAssignment).where(ReviewAssignment.round_id == world.id)).all()
        for pair in pairs:
            pair.confirmed_at = clock.now()
        record_event(session, world.id, COORDINATOR, "assignment confirmed", pairs=len(pairs))
    summary.reviews_assigned = len(pairs)
    world.say(f"④ Reviewer assignment: the solver proposed {len(pairs)} review pairs without conflicts of interest; "
              "the coordinator confirms them (taken automatically).")  # fmt: skip
    world.say(f"  {world.advance()}")
    requests = [m for m in world.new_mail() if _links(m, "r")]
    world.say(f"⑤ Peer review: {len(requests)} reviewers get their requests and rate the same points.")
    round_ = world.schedule()
    world.travel(round_.stage_entered_at + timedelta(days=3), "three days into the review stage")
    asked: list[int] = []
    done = sum(_review(world, message, leave_one=world.rng.random() > 0.85, asked=asked) for message in requests)
    world.say(f"  {done} of {len(pairs)} reviews submitted; {sum(asked)} reviewers asked the organisation they "
              "review a question on the form.")  # fmt: skip
    _questions_answered(world)
    world.travel(round_.review_deadline - timedelta(days=3) + timedelta(minutes=5), "three days before the deadline")
    world.say(f"  {world.advance()}")
    reminders = [m for m in world.new_mail() if _review_tasks(m)]  # receipts carry a link, but no task list
    late = sum(_review(world, message, leave_one=False) for message in reminders[::2])
    world.say(f"  {len(reminders)} review reminders arrived; {late} more reviews follow them.")
    world.travel(round_.review_deadline + timedelta(minutes=5), "the review deadline passed")
    if round_.consensus_deadline is not None:
        world.say("  The reviewers of each organisation now seek a common view (the consensus stage).")
        world.say(f"  {world.advance()}")
        _consensus_stage(world, round_.consensus_deadline)
        world.travel(round_.consensus_deadline + timedelta(minutes=5), "the consensus stage ended")
    world.say("⑥ Consolidation and drafting: findings per party and group, recommendations drafted by the rules.")
    world.say(f"  {world.advance()}")


def _questions_answered(world: _Round) -> None:
    """A day later the organisations asked find their reviewers' questions behind the link in their email, and
    all but one answer them; the reviewers are told."""
    world.travel(clock.now() + timedelta(days=1), "the next day")
    world.say(f"  {world.advance()}")
    notices = [m for m in world.new_mail() if _links(m, "q")]
    for message in notices[1:]:  # one organisation leaves its questions for a reminder
        page = open_form(_links(message, "q")[0])
        _check(send_form(page, {**answers_to_questions(page, world.rng), "action": "save"}), "answers to questions")
    world.say(f"  {len(notices)} organisations were told of questions; {max(len(notices) - 1, 0)} answer them on "
              "their questions page, and the reviewers who asked are told.")  # fmt: skip


def _consensus_stage(world: _Round, deadline: datetime) -> None:
    """Each reviewer sees the co-reviewers' ratings by number, some revise their own and comment on the points
    to discuss; each party's lead reviewer writes the joint assessment, the others endorse or comment on it."""
    invitations = [m for m in world.new_mail() if _consensus_tasks(m)]
    revised = commented = written = 0
    for message in invitations:
        for organisation, link, lead in _consensus_tasks(message):
            if world.rng.random() < 0.3:  # the co-reviewers' view changed their mind on some points
                page = open_form(link)
                answers = review_answers(page, world.personas[organisation], world.rng)
                _check(send_form(page, {**answers, "action": "submit"}), "a revised review")
                revised += 1
            page = open_form(f"{link}/consensus")
            comments = consensus_comments(page, world.rng)
            if comments:
                _check(send_form(page, {**comments, "action": "comments"}), "comments on points to discuss")
                commented += 1
            if lead:
                _check(send_form(page, {**joint_assessment(world.rng), "action": "assessment-submit"}),
                       "a joint assessment")  # fmt: skip
                written += 1
    world.say(f"  {len(invitations)} reviewers see their co-reviewers' ratings; {revised} reviews revised, "
              f"{commented} times a reviewer comments on points to discuss, {written} lead reviewers submit the joint "
              "assessment.")  # fmt: skip
    world.travel(clock.now() + timedelta(days=2), "two days later")
    world.say(f"  {world.advance()}")
    told = [m for m in world.new_mail() if _consensus_links(m)]
    for message in told:
        page = open_form(_consensus_links(message)[0])
        _check(send_form(page, {**endorsement(world.rng), "action": "endorse"}), "an answer to a joint assessment")
    world.say(f"  {len(told)} co-reviewers answer the joint assessments (endorse, or say why not).")
    world.travel(deadline - timedelta(days=1) + timedelta(minutes=5), "a day before the consensus deadline")
    world.say(f"  {world.advance()}")


def _review(world: _Round, message: ReceivedMessage, *, leave_one: bool, asked: list[int] | None = None) -> int:
    """A reviewer works through the links in a request or reminder, now and then asking a question (counted in
    `asked`); returns the reviews submitted."""
    tasks = _review_tasks(message)
    for organisation, link in tasks[:-1] if leave_one else tasks:
        page = open_form(link)
        answers = review_answers(page, world.personas[organisation], world.rng)
        question = review_question(page, world.rng) if asked is not None else {}
        _check(send_form(page, {**answers, **question, "action": "submit"}), "a review")
        if asked is not None:
            asked.append(len(question))
    return len(tasks) - 1 if leave_one else len(tasks)


def _drafting(world: _Round, summary: DemoSummary) -> None:
    with session_scope(world.engine) as session:
        drafts = session.exec(select(Recommendation).where(Recommendation.round_id == world.id)).all()
        for draft in drafts:
            draft.status, draft.decided_at, draft.decided_by = RecommendationStatus.approved, clock.now(), COORDINATOR
        record_event(session, world.id, COORDINATOR, "recommendations approved", ids=[d.id for d in drafts])
    world.say(f"⑦ The coordinator approves all {len(drafts)} drafted recommendations (taken automatically).")
    world.travel(clock.now() + timedelta(days=1), "the next day")
    world.say(f"  {world.advance()}")


def _comment_stage(world: _Round, summary: DemoSummary) -> None:
    invitations = [m for m in world.new_mail() if _links(m, "c")]
    world.say(f"⑧ Right of reply: {len(invitations)} reviewed organisations get their draft findings.")
    for index, message in enumerate(invitations):
        page = open_form(_links(message, "c")[0])
        if index % 3 == 0:
            _check(send_form(page, {"reply-general": reply_text(world.rng), "action": "send"}), "a reply")
        elif index % 3 == 1:
            _check(send_form(page, {"action": "send"}), "a reply")  # nothing to add
    world.say(f"  {len(invitations[::3])} reply, {len(invitations[1::3])} have nothing to add, the rest stay silent.")
    round_ = world.schedule()
    world.travel(round_.comment_deadline - timedelta(days=3) + timedelta(minutes=5), "three days before the deadline")
    world.say(f"  {world.advance()}")
    if round_.adoption_required:
        _adopt(world)
    publication = max(round_.comment_deadline, round_.publication_at or round_.comment_deadline)
    world.travel(publication + timedelta(minutes=5), "the right of reply ended; publication day")
    world.say(f"⑨ Publication: {world.advance()}")


def _adopt(world: _Round) -> None:
    """The round file asks for adoption: the plenary adopts the results, and the coordinator records it."""
    from review_model.adoption import record_adoption

    body = "Plenum des Stakeholder Peer Review"
    with session_scope(world.engine) as session:
        round_ = get_round(session, world.id)
        now = clock.now()
        record_adoption(session, round_, body, now.astimezone(_zone(round_)).date(), None, COORDINATOR, now)
    world.say(f"  The {body} adopts the results; the coordinator records it (taken automatically).")


def _write_report(world: _Round, summary: DemoSummary) -> None:
    target = summary.folder / "report" / world.slug
    target.mkdir(parents=True, exist_ok=True)
    with reading_session(world.engine) as session:
        for document in session.exec(select(PublishedReport).where(PublishedReport.round_id == world.id)).all():
            path = target / REPORT_FILES[(document.format, document.language)]
            path.write_bytes(document.content)
            summary.report_files.append(path)


def count_outcomes(engine: Engine, round_id: int, summary: DemoSummary) -> None:
    """What the round came to, from its store: emails by kind, submissions, reviews, findings, published
    recommendations, replies. Raises when the round did not reach publication."""
    with reading_session(engine) as session:

        def count(model: type, *conditions: ColumnElement[bool] | QueryableAttribute[bool] | bool) -> int:
            return session.exec(select(func.count()).select_from(model).where(*conditions)).one()

        kinds = select(OutboxMessage.kind, func.count()).where(OutboxMessage.round_id == round_id)
        summary.emails = Counter(dict(session.exec(kinds.group_by(OutboxMessage.kind)).all()))
        summary.submissions = count(Submission, Submission.round_id == round_id,
                                    Submission.is_submitted)  # fmt: skip
        summary.reviews = count(Review, Review.round_id == round_id, Review.is_submitted)
        summary.findings = count(Finding, Finding.round_id == round_id)
        summary.recommendations_approved = count(Recommendation, Recommendation.round_id == round_id,
                                                 Recommendation.status == RecommendationStatus.published)  # fmt: skip
        summary.replies = count(Submission, Submission.round_id == round_id,
                                col(Submission.reply_submitted_at).is_not(None))  # fmt: skip
        stage = get_round(session, round_id).stage
    if stage is not Stage.published:
        raise RuntimeError(f"the demo round ended in stage {stage}, not published")


_LINK = re.compile(r"(https?://\S+/(a|r|c|q)/[A-Za-z0-9_-]{43})")
_TASK = re.compile(r"^- (.+):\n\s+(https?://\S+/r/[A-Za-z0-9_-]{43})", re.MULTILINE)
# A consensus invitation's lines: "- Organisation: you are the lead reviewer …; 2 points to discuss" and its link.
_CONSENSUS_TASK = re.compile(r"^- ([^:\n]+): (.+)\n\s+(https?://\S+/r/[A-Za-z0-9_-]{43})$", re.MULTILINE)
_CONSENSUS_LINK = re.compile(r"(https?://\S+/r/[A-Za-z0-9_-]{43}/consensus)")


def _text(message: ReceivedMessage) -> str:
    parsed = email.message_from_bytes(message.data, policy=email.policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None  # every message of the engine has a plain text part
    text: str = body.get_content()
    return text


def _links(message: ReceivedMessage, kind: str) -> list[str]:
    return [link for link, found in _LINK.findall(_text(message)) if found == kind]


def _review_tasks(message: ReceivedMessage) -> list[tuple[str, str]]:
    """(reviewed organisation, link) for each review a request asks for."""
    return [(organisation.strip(), link) for organisation, link in _TASK.findall(_text(message))]


def _consensus_tasks(message: ReceivedMessage) -> list[tuple[str, str, bool]]:
    """(reviewed organisation, review link, whether the reader leads its reviewers) for each party a consensus
    invitation names."""
    return [(organisation.strip(), link, "lead reviewer" in said or "federführend" in said)
            for organisation, said, link in _CONSENSUS_TASK.findall(_text(message))]  # fmt: skip


def _consensus_links(message: ReceivedMessage) -> list[str]:
    return _CONSENSUS_LINK.findall(_text(message))


def _zone(round_: Round) -> ZoneInfo:
    return ZoneInfo(round_.time_zone)
