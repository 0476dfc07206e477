"""Each party's profile as HTML: its charts, its figures per group, its largest disagreements.

Written here rather than in the template because a large round has thousands of profiles: a template
escapes and wraps every value it prints (microseconds each), while here the names, which repeat on every
profile, are escaped once and each row is one string.
"""

from functools import lru_cache

from markupsafe import Markup, escape

from reports.charts import profile_chart
from reports.contents import PartyProfile, Report
from reports.rendering_numbers import number, signed


def profile_cards(report: Report, words: dict[str, str]) -> list[Markup]:
    """Every party's profile, in the report's order, each a <div class="profile">."""
    language = report.language
    scale_names = {name: words.get(f"scale_{name}", name) for name in report.scales}
    several_scales = len(report.scales) > 1
    head = (
        f'<thead><tr><th scope="col">{_escaped(words["group"])}</th><th scope="col" class="num">'
        f'{_escaped(words["self"])}</th><th scope="col" class="num">{_escaped(words["peers"])}</th>'
        f'<th scope="col" class="num">{_escaped(words["gap"])}</th></tr></thead>'
    )
    return [
        _card(profile, report, words, head, scale_names if several_scales else None, language)
        for profile in report.profiles
    ]


def _card(
    profile: PartyProfile,
    report: Report,
    words: dict[str, str],
    head: str,
    scale_names: dict[str, str] | None,
    language: str,
) -> Markup:
    parts = [f'<div class="profile" id="party-{profile.submission_id}"><h3>{escape(profile.name)}</h3>']
    where = f" · {escape(profile.state)}" if profile.state else ""
    parts.append(f'<p class="muted">{_escaped(profile.kind)}{where}</p>')
    column = report.tag_titles.get(report.column_tag or "", "")
    for name, scale in report.scales.items():
        shown = [g for g in profile.groups if g.scale == name and g.tag == report.column_tag]
        alt = words["chart_alt"].format(party=profile.name, scale=words.get(f"scale_{name}", name), column=column)
        parts.append(profile_chart(shown, scale, language, alt))
    caption = escape(words["profile_caption"].format(party=profile.name))
    parts.append(f"<table><caption>{caption}</caption>{head}")
    heading = None
    # One heading per kind of group: stored in questionnaire order, a party's guidelines come between its
    # first field of action and the next.
    tag_order = {tag: i for i, tag in enumerate(dict.fromkeys(group.tag for group in profile.groups))}
    for group in sorted(profile.groups, key=lambda g: tag_order[g.tag]):
        title = report.tag_titles.get(group.tag, group.tag)
        if title != heading:
            parts.append(("</tbody>" if heading else "") + f'<tbody><tr><th colspan="4" scope="rowgroup">'
                         f"{_escaped(title)}</th></tr>")  # fmt: skip
            heading = title
        label = _escaped(group.label) + (f" ({_escaped(scale_names[group.scale])})" if scale_names else "")
        parts.append(
            f'<tr><th scope="row" class="plain">{label}</th><td class="num">{number(group.self_mean, language)}</td>'
            f'<td class="num">{number(group.peer_mean, language)}</td><td class="num">{signed(group.gap, language)}'
            "</td></tr>"
        )
    parts.append(("</tbody>" if heading else "") + "</table>")
    if profile.reviewers:
        names = "; ".join(_escaped(name) for name in profile.reviewers)
        parts.append(f'<p class="muted">{_escaped(words["reviewed_by"])}: {names}</p>')
    if profile.progress:
        changes = ", ".join(f"{_escaped(c.value)} {signed(c.change, language)}" for c in profile.progress)
        parts.append(f'<p class="muted">{_escaped(words["previous_change"])}: {changes}</p>')
    if profile.disagreement_count:
        parts.append(f"<p>{_escaped(words['disagreements_of'].format(count=profile.disagreement_count))}</p><ul>")
        for d in profile.disagreements:
            peers = ", ".join(str(int(score)) for score in d.peer_scores)
            parts.append(
                f"<li>{_escaped(d.item)}: {_escaped(words['self'])} {number(d.self_score, language, 0)}, "
                f"{_escaped(words['peers'])} {peers}</li>"
            )
        parts.append("</ul>")
    parts.append("</div>")
    return Markup("".join(parts))


@lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    return str(escape(text))
