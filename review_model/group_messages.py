"""A message the coordinator writes to a group of a round's people: its text in German and English, the rules it
must keep, and who receives it.

The coordinator picks the group with a `PeopleFilter` (review_model.people_filter). Of the people it matches,
those withdrawn from the round get nothing (a withdrawn person is asked nothing more); someone who stopped
their reminders gets it as everyone else, for it is no reminder (review_model.reminder_opt_out). Each gets
the text in their language, or in the other one where the coordinator wrote only one. The same send is queued
once, however often it is retried: its messages carry an id of the send (`send_id`) in their idempotency keys.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col

from config.translations import N_
from review_model.people_filter import PeopleFilter, matching
from review_model.refusals import Reason, Refused
from review_model.reminder_opt_out import opted_out_of, reached_by
from review_model.tables import Enrolment, Organisation, Participant, Round
from review_model.vocabulary import ACTIVE_STAGES

COORDINATOR_MESSAGE = "coordinator_message"  # the kind of message it is sent as
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20_000
LANGUAGES = ("de", "en")


class GroupMessageRefused(Refused):
    """The message cannot be sent as it stands; `reasons` lists every reason found."""


@dataclass(frozen=True)
class GroupMessageText:
    """What the coordinator wrote: a subject and a body in German, in English, or both."""

    subject_de: str = ""
    body_de: str = ""
    subject_en: str = ""
    body_en: str = ""

    @classmethod
    def of(
        cls, subject_de: str | None, body_de: str | None, subject_en: str | None, body_en: str | None
    ) -> "GroupMessageText":
        """The text with surrounding blank space taken off each part, line ends made "\n"."""

        def tidy(value: str | None) -> str:
            return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()

        return cls(tidy(subject_de), tidy(body_de), tidy(subject_en), tidy(body_en))

    def given(self, language: str) -> bool:
        """Whether the coordinator wrote anything in `language`."""
        subject, body = self._parts(language)
        return bool(subject or body)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the coordinator wrote the message in."""
        return tuple(language for language in LANGUAGES if self.given(language))

    def language_for(self, reader: str) -> str:
        """The language a reader of `reader` gets it in: theirs if the coordinator wrote it, else the other."""
        return reader if self.given(reader) else next(iter(self.languages), reader)

    def in_language(self, language: str) -> tuple[str, str]:
        """(subject, body) in `language`."""
        return self._parts(language)

    def _parts(self, language: str) -> tuple[str, str]:
        return (self.subject_en, self.body_en) if language == "en" else (self.subject_de, self.body_de)

    def send_id(self, round_id: int, people: PeopleFilter) -> str:
        """The id of sending this text to this group of this round: the same send retried has the same id."""
        said = json.dumps([round_id, people.as_record(), self.subject_de, self.body_de, self.subject_en, self.body_en])
        return hashlib.sha256(said.encode()).hexdigest()[:16]


def text_problems(round_: Round, text: GroupMessageText) -> list[str]:
    """Every reason why the text cannot go out in the round now; empty when it can."""
    reasons: list[str] = []
    if round_.stage not in ACTIVE_STAGES:
        reasons.append(Reason(N_("round {slug} is in stage {stage}: messages go to a round's people between its "
                                 "launch and its publication"), slug=round_.slug, stage=round_.stage))  # fmt: skip
    if not text.languages:
        reasons.append(Reason(N_("write a subject and a text, in German, in English or in both")))
    names = {"de": Reason(N_("German")), "en": Reason(N_("English"))}
    for language in text.languages:
        subject, body = text.in_language(language)
        if not subject:
            reasons.append(Reason(N_("the {which} message has no subject"), which=names[language]))
        if not body:
            reasons.append(Reason(N_("the {which} message has no text"), which=names[language]))
        if "\n" in subject:
            reasons.append(Reason(N_("the {which} subject is more than one line"), which=names[language]))
        if len(subject) > SUBJECT_MAX_LENGTH:
            reasons.append(Reason(N_("the {which} subject is {length} characters long; at most {most} are sent"),
                                  which=names[language], length=len(subject), most=SUBJECT_MAX_LENGTH))  # fmt: skip
        if len(body) > BODY_MAX_LENGTH:
            reasons.append(Reason(N_("the {which} text is {length} characters long; at most {most} are sent"),
                                  which=names[language], length=len(body), most=BODY_MAX_LENGTH))  # fmt: skip
        if any(ord(c) < 32 and c not in "\t\n" for c in subject + body):
            reasons.append(Reason(N_("the {which} message holds a control character"), which=names[language]))
    return reasons


@dataclass(frozen=True)
class GroupMember:
    """Someone who receives the message."""

    enrolment_id: int
    participant: Participant
    organisation: Organisation


@dataclass(frozen=True)
class Group:
    """Who the filter picks in the round: those who receive the message, and how many it matched in all."""

    members: list[GroupMember]
    matched: int  # everyone the filter matches, also those who get nothing
    left_out: int  # matched, but withdrawn (or stopped their reminders, were this message a reminder)


def group_of(session: Session, round_: Round, people: PeopleFilter, now: datetime) -> Group:
    """The people of the round the filter picks, by organisation and name, in two queries."""
    statement = matching([Enrolment.id, Participant, Organisation], round_, people, now)
    members = [
        GroupMember(enrolment_id, participant, organisation)
        for enrolment_id, participant, organisation in session.exec(
            statement.where(col(Enrolment.withdrawn_at).is_(None), reached_by(COORDINATOR_MESSAGE)).order_by(
                col(Organisation.name), col(Participant.name), col(Enrolment.id)
            )
        ).all()
    ]
    left_out = session.exec(
        matching([func.count()], round_, people, now).where(
            or_(col(Enrolment.withdrawn_at).is_not(None), opted_out_of(COORDINATOR_MESSAGE))
        )
    ).one()[0]
    return Group(members, len(members) + int(left_out), int(left_out))


def refuse_unless_sendable(round_: Round, text: GroupMessageText, group: Group) -> None:
    """GroupMessageRefused with every reason the text cannot go to the group now."""
    reasons = text_problems(round_, text)
    if not group.members:
        if group.left_out:
            reasons.append(Reason(N_("nobody to write to: everyone the filter matches ({n}) was withdrawn from the "
                                     "round"), n=group.left_out))  # fmt: skip
        else:
            reasons.append(Reason(N_("nobody in round {slug} matches the filter"), slug=round_.slug))
    if reasons:
        raise GroupMessageRefused(reasons)
