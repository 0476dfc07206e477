"""Each party's profile as HTML: its charts, its figures per group, its largest disagreements.

Written here rather than in the template because a large round has thousands of profiles: a template
escapes and wraps every value it prints (microseconds each), while here the names, which repeat on every
profile, are escaped once and each row is one string.
"""

from functools import lru_cache

from markupsafe import Markup, escape

from config.translations import gettext_for, ngettext_for
from reports.charts import profile_chart
from reports.contents import PartyProfile, Report
from reports.rendering_numbers import number, signed
from reports.scale_names import scale_name
from review_model.consensus import AgreedAssessment


def profile_cards(report: Report) -> list[Markup]:
    """Every party's profile, in the report's order, each a <div class="profile">."""
    language = report.language
    _ = gettext_for(language, "reports")
    scale_names = {name: scale_name(name, language) for name in report.scales}
    several_scales = len(report.scales) > 1
    group, self_, peers, gap = (_escaped(word) for word in (_("Group"), _("Self"), _("Peers"), _("Gap")))
    # With `normalise: leniency`, the peers' mean corrected for their leniency stands beside the raw one.
    corrected_word = _escaped(_("Peers, corrected"))
    corrected = f'<th scope="col" class="num">{corrected_word}</th>' if report.normalised else ""
    head = (
        f'<thead><tr><th scope="col">{group}</th><th scope="col" class="num">{self_}</th><th scope="col" '
        f'class="num">{peers}</th>{corrected}<th scope="col" class="num">{gap}</th></tr></thead>'
    )
    return [_card(profile, report, head, scale_names, several_scales, language) for profile in report.profiles]


def _card(
    profile: PartyProfile,
    report: Report,
    head: str,
    scale_names: dict[str, str],
    several_scales: bool,
    language: str,
) -> Markup:
    _ = gettext_for(language, "reports")
    parts = [f'<div class="profile" id="party-{profile.submission_id}"><h3>{escape(profile.name)}</h3>']
    where = f" · {escape(profile.state)}" if profile.state else ""
    parts.append(f'<p class="muted">{_escaped(profile.kind)}{where}</p>')
    column = report.tag_titles.get(report.column_tag or "", "")
    for name, scale in report.scales.items():
        shown = [g for g in profile.groups if g.scale == name and g.tag == report.column_tag]
        alt = _(
            "Bar chart for {party} ({scale}): per {column}, the self-assessment (light) and the peers' mean (dark); "
            "the table below gives the figures."
        ).format(party=profile.name, scale=scale_names[name], column=column)
        parts.append(profile_chart(shown, scale, language, alt))
    caption = escape(_("Self-assessment, peers' mean and gap per group: {party}").format(party=profile.name))
    # The corrected column makes the table wider than a phone: it scrolls on its own, as the wide tables do.
    scrolls = f'<div class="scroll" tabindex="0" role="region" aria-label="{caption}">' if report.normalised else ""
    parts.append(f"{scrolls}<table><caption>{caption}</caption>{head}")
    heading = None
    columns = 5 if report.normalised else 4
    # One heading per kind of group: stored in questionnaire order, a party's guidelines come between its
    # first field of action and the next.
    tag_order = {tag: i for i, tag in enumerate(dict.fromkeys(group.tag for group in profile.groups))}
    for group in sorted(profile.groups, key=lambda g: tag_order[g.tag]):
        title = report.tag_titles.get(group.tag, group.tag)
        if title != heading:
            parts.append(("</tbody>" if heading else "") + f'<tbody><tr><th colspan="{columns}" '
                         f'scope="rowgroup">{_escaped(title)}</th></tr>')  # fmt: skip
            heading = title
        label = _escaped(group.label) + (f" ({_escaped(scale_names[group.scale])})" if several_scales else "")
        parts.append(
            f'<tr><th scope="row" class="plain">{label}</th><td class="num">{number(group.self_mean, language)}</td>'
            f'<td class="num">{number(group.peer_mean, language)}</td>'
            + (f'<td class="num">{number(group.corrected_peer_mean, language)}</td>' if report.normalised else "")
            + f'<td class="num">{signed(group.gap, language)}</td></tr>'
        )
    parts.append(("</tbody>" if heading else "") + "</table>" + ("</div>" if scrolls else ""))
    if profile.reviewers:
        names = "; ".join(_escaped(name) for name in profile.reviewers)
        reviewed_by = _escaped(_("Reviewed by (open review)"))
        parts.append(f'<p class="muted">{reviewed_by}: {names}</p>')
    if profile.progress:
        changes = ", ".join(f"{_escaped(c.value)} {signed(c.change, language)}" for c in profile.progress)
        since = _escaped(_("since the previous round"))
        parts.append(f'<p class="muted">{since}: {changes}</p>')
    if profile.disagreement_count:
        count = profile.disagreement_count
        ngettext = ngettext_for(language, "reports")
        disagreed = ngettext(
            "{count} point with disagreement:", "{count} points with disagreement; the largest:", count
        )
        parts.append(f"<p>{_escaped(disagreed.format(count=count))}</p><ul>")
        self_word, peers_word = _escaped(_("Self")), _escaped(_("Peers"))
        for d in profile.disagreements:
            peers = ", ".join(str(int(score)) for score in d.peer_scores)
            parts.append(
                f"<li>{_escaped(d.item)}: {self_word} {number(d.self_score, language, 0)}, {peers_word} {peers}</li>"
            )
        parts.append("</ul>")
    if profile.joint_assessment is not None:
        parts.append(_joint_assessment(profile.joint_assessment, language))
    parts.append("</div>")
    return Markup("".join(parts))


def _joint_assessment(assessment: AgreedAssessment, language: str) -> str:
    """The reviewers' joint assessment of the party: strengths, weaknesses, recommendations to the party, and
    how the co-reviewers answered it (each by pseudonym, or by name in an open review)."""
    _, ngettext = gettext_for(language, "reports"), ngettext_for(language, "reports")
    title = _escaped(_("Joint assessment"))
    parts = [f'<div class="joint-assessment"><h4>{title}</h4>']
    for title, text in ((_("Strengths"), assessment.strengths), (_("Weaknesses"), assessment.weaknesses)):
        parts.append(f'<h5>{_escaped(title)}</h5><p class="written">{escape(text)}</p>')
    if assessment.recommendations:
        heading = _escaped(_("Recommendations to the party"))
        parts.append(f"<h5>{heading}</h5><ol>")
        parts.extend(f'<li class="written">{escape(text)}</li>' for text in assessment.recommendations)
        parts.append("</ol>")
    endorsed = ngettext(
        "Endorsed by {endorsed} of {count} co-reviewer.",
        "Endorsed by {endorsed} of {count} co-reviewers.",
        assessment.co_reviewers,
    ).format(endorsed=assessment.endorsed_by, count=assessment.co_reviewers)
    parts.append(f'<p class="muted">{escape(endorsed)}</p>')
    if assessment.comments:
        parts.append('<ul class="muted">')
        for answer in assessment.comments:
            stance = _("endorses") if answer.endorses else _("does not endorse")
            parts.append(f"<li>{escape(answer.reviewer)} ({_escaped(stance)}): {escape(answer.comment)}</li>")
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


@lru_cache(maxsize=4096)
def _escaped(text: str) -> str:
    return str(escape(text))
