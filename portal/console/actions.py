"""The coordinator operations the console runs. Each runs as the same flow run as its `spr` command, tagged
with its round, and then starts the round's next advance, exactly as the command does; the console never
imports Prefect, so the operations come from outside (workflows.console_actions, handed over by `spr serve`).

A method returns what the operation did and what was started after it, or raises the operation's refusal
(a review_model.refusals.Refused) with every reason.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from review_model.people_filter import PeopleFilter


@dataclass(frozen=True)
class ActionDone:
    """What an operation did and what was started after it, each in a sentence in the staff member's language."""

    said: str
    followed: str = ""

    @property
    def notice(self) -> str:
        return f"{self.said} {self.followed}".strip()


class ConsoleActions(Protocol):
    """What a coordinator can do from the console; `actor` names them in the audit trail, `language` is theirs."""

    def launch(self, round_id: int, slug: str, actor: str, language: str) -> ActionDone:
        """Check the round and launch it: the invitations go out."""
        ...

    def remind(self, round_id: int, slug: str, participant_id: int | None, actor: str, language: str) -> ActionDone:
        """Remind now everyone the current stage waits for, or one person."""
        ...

    def close_stage(self, round_id: int, slug: str, actor: str, language: str, publish_now: bool = False) -> ActionDone:
        """Close the current stage before its deadline."""
        ...

    def extend_deadline(self, round_id: int, slug: str, until: datetime, actor: str, language: str) -> ActionDone:
        """Move the submission deadline and tell everyone who has not submitted."""
        ...

    def confirm_assignment(self, round_id: int, slug: str, actor: str, language: str) -> ActionDone:
        """Check every rule again and confirm the proposed assignment: the review requests go out."""
        ...

    def decide_recommendations(
        self, round_id: int, slug: str, ids: list[int], approve: bool, actor: str, language: str
    ) -> ActionDone:
        """Approve or reject drafted recommendations."""
        ...

    def revoke_links(
        self, round_id: int, slug: str, participant_id: int, reason: str, actor: str, language: str
    ) -> ActionDone:
        """Make a person's personal links in the round open nothing from now on."""
        ...

    def record_adoption(
        self, round_id: int, slug: str, body: str, on: date, changes: str | None, actor: str, language: str
    ) -> ActionDone:
        """Record that `body` adopted the round's results on `on`; a round that waits for it may be published."""
        ...

    def erase_person(self, participant_id: int, actor: str, language: str) -> ActionDone:
        """Erase a person in every round (GDPR Art. 17): name, address, links and messages go, what their
        organisation did stays."""
        ...

    def withdraw(
        self, round_id: int, slug: str, participant_id: int, reason: str, actor: str, language: str
    ) -> ActionDone:
        """Withdraw a person from the round."""
        ...

    def edit_recommendation(
        self,
        round_id: int,
        slug: str,
        recommendation_id: int,
        actor: str,
        language: str,
        *,
        de: str | None = None,
        en: str | None = None,
        priority: int | None = None,
        remove_quotes: list[int] | None = None,
    ) -> ActionDone:
        """Change a drafted recommendation's texts (None: unchanged; an empty English text shows the German
        one), priority or quotes (numbered from 1); an approved one goes back to draft."""
        ...

    def resend_link(self, round_id: int, slug: str, participant_id: int, actor: str, language: str) -> ActionDone:
        """Send a person the message of the current stage again, with the link they hold."""
        ...

    def retry_failed(self, round_id: int, slug: str, message_id: int | None, actor: str, language: str) -> ActionDone:
        """Queue the round's failed messages again (or the one with `message_id`), each to the person's current
        address; the next advance sends them."""
        ...

    def message_group(
        self,
        round_id: int,
        slug: str,
        people: PeopleFilter,
        subject_de: str | None,
        body_de: str | None,
        subject_en: str | None,
        body_en: str | None,
        actor: str,
        language: str,
    ) -> ActionDone:
        """Queue the coordinator's message to the people of the round the filter picks, each in their language
        (or the one written); the next advance sends it."""
        ...

    def change_lead(
        self, round_id: int, slug: str, submission_id: int, reviewer: str, actor: str, language: str
    ) -> ActionDone:
        """Make the party's reviewer with the address `reviewer` its lead, who writes the joint assessment in the
        consensus stage (a LeadRefused names every reason it cannot)."""
        ...

    def swap_reviewer(
        self, round_id: int, slug: str, submission_id: int, remove: int, add: int, actor: str, language: str
    ) -> ActionDone:
        """Put the reviewer `add` (a participant id) on a submission instead of `remove`; every rule of the round
        is checked and each one broken named (an AssignmentRefused). The assignment is then confirmed again."""
        ...
