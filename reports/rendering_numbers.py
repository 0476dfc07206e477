"""Figures as the report's readers write them, rounded by the project's one rule (review_model.exact_figures)."""

from functools import lru_cache

from review_model.exact_figures import FigureValue, written


@lru_cache(maxsize=8192)
def number(value: FigureValue | None, language: str, digits: int = 1) -> str:
    """2,5 in German, 2.5 in English, halves away from zero; a dash when there is no figure. Cached: means
    repeat across a round."""
    return written(value, language, digits)


def signed(value: FigureValue | None, language: str, digits: int = 1, minus: str = "-") -> str:
    """A difference with its sign, as rounded: +0,5, -1,0, ±0,0. The report keeps the ASCII hyphen: a single
    character beyond Latin-1 (such as the minus sign U+2212) makes Python hold a whole profile card at two
    bytes a character, 70 MB more for 10,000 parties; a page of a few figures may pass minus="−"."""
    if value is None:
        return "–"
    shown = number(abs(value), language, digits)
    return ("±" if not shown.strip("0,.") else "+" if value > 0 else minus) + shown
