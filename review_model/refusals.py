"""Refusals: what a person asked for cannot be done, with every reason found, not only the first (a
coordinator fixes them all at once instead of one per try)."""


class Refused(Exception):
    """Cannot be done; `reasons` lists every reason. The message joins them, unless a subclass words it."""

    def __init__(self, reasons: list[str], message: str | None = None):
        super().__init__("; ".join(reasons) if message is None else message)
        self.reasons = list(reasons)
