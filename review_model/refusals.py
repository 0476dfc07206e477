"""Refusals: what a person asked for cannot be done, with every reason found, not only the first (a
coordinator fixes them all at once instead of one per try).

A reason is a `Reason`: the English sentence itself, so that it is compared, joined, logged and stored as
any string is, which also keeps the sentence's message id and values, so that whoever shows it to a person
can show it in that person's language (`reason_in`). A plain string is a reason too; it stays as it is.
"""

from collections.abc import Iterable
from typing import Any

from config.translations import translate
from review_model.vocabulary import Stage


class Reason(str):
    """One reason, in English: `Reason(N_("publication is planned for {when} UTC"), when=…)` is that sentence
    filled in. A `Stage` among the values is named as the store names it in English and by its label in any other
    language; a `Reason` among them (a name that is itself a phrase) is translated in turn; every other value (a
    number, an address, a date written out) is the same in every language."""

    message: str
    values: dict[str, Any]

    def __new__(cls, message: str, **values: Any) -> "Reason":
        reason = super().__new__(cls, message.format(**values) if values else message)
        reason.message = message
        reason.values = values
        return reason

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickled reason (in an exception sent to another process) keeps its message id and values.
        return _rebuilt, (self.message, self.values)

    def in_language(self, language: str) -> str:
        """The reason in `language`, from the review_model catalog, with the same values."""
        values = {name: _value_in(language, value) for name, value in self.values.items()}
        return translate(language, "review_model", self.message, **values)


def _rebuilt(message: str, values: dict[str, Any]) -> Reason:
    return Reason(message, **values)


def _value_in(language: str, value: Any) -> Any:
    if isinstance(value, Stage):
        return value if language == "en" else value.label(language)
    return value.in_language(language) if isinstance(value, Reason) else value


def reason_in(language: str, reason: str) -> str:
    """A reason in `language`; a plain string, which keeps no message id, as it is."""
    return reason.in_language(language) if isinstance(reason, Reason) else reason


def reasons_in(language: str, reasons: Iterable[str]) -> list[str]:
    """Every reason in `language`, in order."""
    return [reason_in(language, reason) for reason in reasons]


class Refused(Exception):
    """Cannot be done; `reasons` lists every reason. The message joins them, unless a subclass words it."""

    def __init__(self, reasons: list[str], message: str | None = None):
        super().__init__("; ".join(reasons) if message is None else message)
        self.reasons = list(reasons)
        self.worded = message is not None

    def in_language(self, language: str) -> str:
        """The refusal in `language`: its reasons joined, each translated. A message worded by whoever refused
        is already in the language they chose, and stays as it is; a subclass that words its own message from
        the reasons says here how."""
        return str(self) if self.worded else "; ".join(reasons_in(language, self.reasons))
