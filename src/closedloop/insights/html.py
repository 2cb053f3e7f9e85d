"""Insights as one self-contained HTML file: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

import textwrap
from datetime import datetime, time, timedelta
from html import escape

from closedloop.domain.standards.standard import Rag
from closedloop.insights.figures import Count, Insights, Kpi, NpsWeek
from closedloop.insights.text import duration, percent

__all__ = ["render_html"]

_COLOURS = {Rag.GREEN: "#2e7d32", Rag.AMBER: "#f9a825", Rag.RED: "#c62828", None: "#9e9e9e"}

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;
color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;text-align:left;
border-bottom:1px solid #eee}th{font-weight:600}.num{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0}figcaption{font-weight:600}
svg text{font:12px system-ui,sans-serif}
"""


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _tiles(kpis: tuple[Kpi, ...]) -> str:
    width, height, gap = 220, 100, 12
    columns = 4
    rows = max(1, -(-len(kpis) // columns))
    parts = [
        f'<svg id="rag-tiles" role="img" aria-label="RAG status per standard" '
        f'width="{columns * (width + gap)}" height="{rows * (height + gap)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for n, k in enumerate(kpis):
        x, y = (n % columns) * (width + gap), (n // columns) * (height + gap)
        rag = "none" if k.rag is None else k.rag.value
        parts.append(
            f'<g class="tile" data-standard="{_attr(k.standard)}" data-rag="{rag}" '
            f'data-share="{_attr("" if k.share_met is None else round(k.share_met, 4))}" '
            f'data-measured="{k.measured}">'
            f"<title>{escape(k.standard)}: {k.met} of {k.measured} met</title>"
            f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" '
            f'fill="{_COLOURS[k.rag]}"/>'
            f'<text x="{x + 10}" y="{y + 30}" fill="#fff" style="font-size:22px;font-weight:700">'
            f"{percent(k.share_met)}</text>"
            + "".join(
                f'<text x="{x + 10}" y="{y + 50 + 15 * n}" fill="#fff">{escape(line)}</text>'
                for n, line in enumerate(textwrap.wrap(k.standard, 32)[:2])
            )
            + f'<text x="{x + 10}" y="{y + 88}" fill="#fff">{k.met}/{k.measured} met, '
            f"p90 {duration(k.p90)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _bars(chart_id: str, caption: str, counts: tuple[Count, ...], colour: str) -> str:
    width, height, left, bottom = 460, 220, 40, 40
    top = max((c.count for c in counts), default=0) or 1
    step = (width - left) / max(len(counts), 1)
    parts = [
        f'<figure><figcaption>{escape(caption)}</figcaption><svg id="{chart_id}" role="img" '
        f'aria-label="{_attr(caption)}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="#999"/>'
    ]
    for n, c in enumerate(counts):
        h = (height - bottom - 20) * c.count / top
        x = left + n * step + step * 0.15
        y = height - bottom - h
        parts.append(
            f'<g class="bar" data-label="{_attr(c.label)}" data-count="{c.count}">'
            f"<title>{escape(c.label)}: {c.count}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/>'
            f'<text x="{x + step * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">{c.count}</text>'
            f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{escape(c.label)}</text></g>"
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def _nps_line(weeks: tuple[NpsWeek, ...]) -> str:
    width, height, left, bottom = 460, 220, 40, 40
    points = [(w, w.nps.score) for w in weeks if w.nps.score is not None]
    inner = height - bottom - 20

    def y_of(score: float) -> float:
        return 10 + inner * (100 - score) / 200

    step = (width - left - 20) / max(len(points) - 1, 1)
    parts = [
        '<figure><figcaption>NPS by week</figcaption><svg id="nps-weekly" role="img" '
        f'aria-label="NPS by week" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for level in (100, 0, -100):
        parts.append(
            f'<line x1="{left}" y1="{y_of(level):.1f}" x2="{width}" y2="{y_of(level):.1f}" '
            f'stroke="#ddd"/><text x="2" y="{y_of(level) + 4:.1f}">{level:+d}</text>'
        )
    coords = [(left + 10 + n * step, y_of(score)) for n, (_, score) in enumerate(points)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    for (week, score), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{week.week.strftime('%d %b')}</text>"
        )
        parts.append(
            f'<g class="point" data-week="{week.week.isoformat()}" data-nps="{score:.1f}" '
            f'data-answered="{week.nps.answered}"><title>week of {week.week.isoformat()}: '
            f"NPS {score:+.0f} from {week.nps.answered} answers</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1565c0"/></g>'
        )
    if not points:
        parts.append(f'<text x="{left}" y="{height / 2}">no NPS answers in this period</text>')
    parts.append("</svg></figure>")
    return "".join(parts)


def _table(head: tuple[str, ...], rows: list[tuple[str, ...]], table_id: str) -> str:
    if not rows:
        return "<p>None in this period.</p>"
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _when(value: datetime) -> str:
    if value.time() == time(0) and value.utcoffset() == timedelta(0):
        return value.strftime("%d %B %Y")
    return value.isoformat(" ", "minutes")


def render_html(insights: Insights, *, title: str = "closedloop report") -> str:
    """The report as one HTML document: no script, no font or image fetched from anywhere."""
    i = insights
    o = i.overall
    nps = i.nps
    nps_line = (
        "no answers"
        if nps.score is None
        else f"{nps.score:+.0f} (95% interval {nps.low:+.0f} to {nps.high:+.0f}, "
        f"{nps.answered} answers)"
    )
    summary = _table(
        ("Figure", "Value"),
        [
            ("Cases opened", str(o.opened)),
            ("Loop closed", f"{o.closed} ({percent(o.closure_rate)})"),
            ("Reopened", f"{o.reopened} ({percent(o.reopen_rate)})"),
            (
                "Escalated (sweep / customer / avoidable)",
                f"{o.escalated_by_time} / {o.escalated_by_customer} / {o.avoidable}",
            ),
            ("Unanswered now", str(i.unanswered.total)),
            ("NPS", nps_line),
            ("CSAT satisfied", percent(i.csat.share)),
            ("CES low effort", percent(i.ces.share)),
            ("Detractors contacted in time", percent(i.recovery.close_the_loop_rate)),
            ("Customers won back", percent(i.recovery.recovery_rate)),
            ("Promises kept on time", percent(i.promises.kept_rate)),
            (
                "Hand-offs per case",
                percent(None)
                if o.per_case(o.hand_offs) is None
                else f"{o.per_case(o.hand_offs):.2f}",
            ),
        ],
        "summary",
    )
    queue = _table(
        ("Age", "Channel", "Case", "Subject"),
        [(duration(w.age), w.channel, w.case_id, w.subject) for w in i.unanswered.oldest],
        "unanswered",
    )
    no_log = _table(
        ("Category", "Declined", "Examples"),
        [
            (c.category, str(c.count), "; ".join(e.asked or e.reason for e in c.examples))
            for c in i.no_log.categories
        ],
        "no-log",
    )
    causes = _table(
        ("Root cause", "Kano", "Loops"),
        [(c.label, c.kano.value if c.kano else "", str(c.count)) for c in i.root_causes],
        "root-causes",
    )
    channels = _table(
        ("Channel", "Opened", "Closed", "Escalated", "Unanswered share of queue"),
        [
            (
                name,
                str(s.opened),
                percent(s.closure_rate),
                str(s.escalated),
                str(next((c.count for c in i.unanswered.by_channel if c.label == name), 0)),
            )
            for name, s in i.by_channel
        ],
        "by-channel",
    )
    period = f"{_when(i.since)} to {_when(i.until)} (the end excluded)"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(period)}</p>"
        f"<h2>Standards</h2>{_tiles(o.kpis)}"
        f"<h2>Summary</h2>{summary}"
        '<h2>Charts</h2><div class="charts">'
        f"{_nps_line(i.nps_weekly)}"
        f"{_bars('time-to-acknowledge', 'Time to acknowledge', i.time_to_acknowledge, '#1565c0')}"
        f"{_bars('unanswered-by-age', 'Unanswered queue by age', i.unanswered.by_age, '#c62828')}"
        "</div>"
        f"<h2>Unanswered, oldest first</h2>{queue}"
        f"<h2>Top root causes</h2>{causes}"
        f"<h2>The no log</h2>{no_log}"
        f"<h2>By channel</h2>{channels}"
        "</body></html>\n"
    )
