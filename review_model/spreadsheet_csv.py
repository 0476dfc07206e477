"""CSV files that spreadsheet programs open safely: no cell is ever taken for a formula.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by spreadsheet
programs (an organisation named `=HYPERLINK(...)` becomes a link, worse ones run commands). Every CSV the
project writes goes through `guarded_cell`: such text gets a leading apostrophe, which spreadsheets show
as plain text. Plain numbers (`-0.5`) are left alone: they are no formula, and tools reading them back
need them as they are.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def guarded_cell(value: Any) -> Any:
    """The value as a spreadsheet should see it: text that would start a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class GuardedWriter:
    """csv.writer with every cell passed through `guarded_cell`."""

    def __init__(self, file: TextIO, **options: Any):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([guarded_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
