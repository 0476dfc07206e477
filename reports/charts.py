"""The report's charts as inline SVG: drawn here rather than in a template, because a round of thousands of
parties draws thousands of them and string building is several times faster than a template macro."""

from collections.abc import Sequence
from functools import lru_cache

from markupsafe import Markup, escape

from reports.contents import GroupRow, ScaleView
from reports.rendering_numbers import number

WIDTH, LABEL_WIDTH, ROW, BAR = 520, 200, 22, 7
PLOT = WIDTH - LABEL_WIDTH - 40
SELF_COLOUR, PEER_COLOUR, GRID_COLOUR = "#9ecae1", "#0b5394", "#c8ced4"


def profile_chart(groups: Sequence[GroupRow], scale: ScaleView, language: str, alt: str) -> Markup:
    """Horizontal bars per group: the party's own mean (light) above its peers' mean (dark), on the scale.
    `alt` says what the chart shows, for those who cannot see it (its figures are in the table beside it)."""
    if not groups:
        return Markup("")
    height = len(groups) * ROW + 24
    span = (scale.high - scale.low) or 1
    alt = escape(alt)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{alt}"><title>{alt}</title>'
    ]
    for row, group in enumerate(groups):
        y = row * ROW + 4
        parts.append(f'<text x="0" y="{y + 12}" font-size="11">{_label(group.label)}</text>')
        for offset, value, colour in ((0, group.self_mean, SELF_COLOUR), (BAR + 1, group.peer_mean, PEER_COLOUR)):
            if value is not None:
                width = float(value - scale.low) / span * PLOT
                parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + offset}" width="{width:.1f}" height="{BAR}" '
                             f'fill="{colour}"/>')  # fmt: skip
        parts.append(f'<text x="{WIDTH - 34}" y="{y + 12}" font-size="11">{number(group.peer_mean, language)}</text>')
    parts.append(_axis(scale, len(groups)))
    parts.append("</svg>")
    return Markup("".join(parts))


@lru_cache(maxsize=4096)
def _label(text: str) -> str:
    """A group's name, shortened to fit beside the bars, escaped (the same few names recur on every chart)."""
    return str(escape(text if len(text) <= 32 else text[:31] + "…"))


@lru_cache(maxsize=64)
def _axis(scale: ScaleView, rows: int) -> str:
    span = (scale.high - scale.low) or 1
    lines = []
    for level in scale.levels:
        x = LABEL_WIDTH + (level.value - scale.low) / span * PLOT
        lines.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{rows * ROW + 6}" stroke="{GRID_COLOUR}" '
                     f'stroke-width="0.6"/><text x="{x - 3:.1f}" y="{rows * ROW + 20}" font-size="10">{level.value}'
                     "</text>")  # fmt: skip
    return "".join(lines)
