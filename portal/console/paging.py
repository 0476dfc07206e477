"""Long lists of the console shown a page at a time (a round may have 10,000 parties): which page was asked
for, its rows, and the links to the pages before and after it, keeping the page of the page's other lists."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request

PAGE_SIZE = 50
Row = TypeVar("Row")


@dataclass(frozen=True)
class Paged(Generic[Row]):
    """One page of a list: its rows, its number (from 1) of how many, the rows' place in the whole list, and the
    addresses of the pages before and after (None at either end)."""

    rows: Sequence[Row]
    number: int
    pages: int
    first: int  # the first row's place in the list, from 1
    total: int
    previous: str | None
    next: str | None

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def page_number(request: Request, name: str) -> int:
    """The page of list `name` the request asks for (`?<name>=3`); the first when it asks for none or nonsense."""
    given = request.query_params.get(name, "")
    return int(given) if given.isdigit() and 0 < len(given) < 7 and int(given) > 0 else 1


def paged(rows: Sequence[Row], request: Request, name: str, size: int | None = None) -> Paged[Row]:
    """The page of `rows` the request asks for under `name` (past the end: the last page), `size` rows a page
    (PAGE_SIZE unless given), with links that keep the request's other parameters."""
    size = size or PAGE_SIZE
    pages = max(1, -(-len(rows) // size))
    number = min(page_number(request, name), pages)
    start = (number - 1) * size
    kept: Mapping[str, str] = {key: value for key, value in request.query_params.items() if key not in (name, "lang")}

    def link(to: int) -> str:
        return f"{request.url.path}?{urlencode({**kept, name: str(to)})}#{name}"

    return Paged(
        rows=rows[start : start + size],
        number=number,
        pages=pages,
        first=start + 1,
        total=len(rows),
        previous=link(number - 1) if number > 1 else None,
        next=link(number + 1) if number < pages else None,
    )
