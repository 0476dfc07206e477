"""The benchmark's rows as HTML: each organisation's rank per group, with its mean (and, normalised, the raw one).

Written here rather than in the template for the reason given in reports.profiles: a round of 10,000
parties has 90,000 cells, and the template spent about two seconds on them (a gettext call and several
escapes per cell); here the words are looked up and escaped once.
"""

from markupsafe import Markup, escape

from config.translations import gettext_for
from reports.contents import Report
from reports.rendering_numbers import number


def ranking_rows(report: Report) -> Markup:
    """The benchmark table's body rows, one <tr> per organisation in the report's order."""
    language = report.language
    _ = gettext_for(language, "reports")
    raw = escape(_("raw"))
    keys = [key for key, _ in report.ranking_columns]
    rows = []
    for party, ranks in report.ranking:
        cells = [f'<tr><th scope="row" class="plain">{escape(party)}</th>']
        for key in keys:
            entry = ranks.get(key)
            if entry is None:
                cells.append('<td class="num">–</td>')
                continue
            shown = number(entry.peer_mean, language)
            if report.normalised:
                shown += f"; {raw} {number(report.ranking_raw.get((party, key)), language)}"
            cells.append(f'<td class="num">{entry.rank} <span class="muted">({shown})</span></td>')
        cells.append("</tr>")
        rows.append("".join(cells))
    return Markup("\n".join(rows))
