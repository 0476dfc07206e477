"""Figures as the report's readers write them."""

from functools import lru_cache


@lru_cache(maxsize=8192)
def number(value: float | None, language: str, digits: int = 1) -> str:
    """2,5 in German, 2.5 in English; a dash when there is no figure. Cached: means repeat across a round."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "de" else text


def signed(value: float | None, language: str) -> str:
    """A difference with its sign: +0,5 or -1,0."""
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + number(value, language)
