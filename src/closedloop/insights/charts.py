"""The HTML report's standard tiles and SVG charts: each chart scales to its container
(a ``viewBox``, no fixed width), keeps its labels inside it, and says so when it is empty."""

from __future__ import annotations

import math
from html import escape

from closedloop.domain.standards.standard import Rag
from closedloop.insights.figures import Count, Kpi, KpiThresholds, NpsWeek
from closedloop.insights.text import duration, percent

__all__ = ["bars", "nps_line", "tiles"]

#: A RAG status's badge: background and text colour, each pair at least 4.5:1 (WCAG AA).
BADGES = {
    Rag.GREEN: ("#2e7d32", "#ffffff"),  # 5.1:1
    Rag.AMBER: ("#f9a825", "#1a1a1a"),  # 9.6:1; white on this amber is 1.97:1
    Rag.RED: ("#c62828", "#ffffff"),  # 5.6:1
    None: ("#616161", "#ffffff"),  # 6.2:1
}
_WIDTH, _HEIGHT, _LEFT, _RIGHT, _TOP, _BOTTOM = 480, 240, 44, 36, 20, 40


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _share(share: float | None) -> str:
    return "" if share is None else str(round(share, 4))


def _previous_line(kpi: Kpi, previous: Kpi | None) -> str:
    if previous is None or previous.share_met is None:
        return '<p class="previous">Previous period: nothing measured</p>'
    change = ""
    if kpi.share_met is not None:
        points = round(100 * (kpi.share_met - previous.share_met))
        change = (
            " (no change)"
            if points == 0
            else f" (now {abs(points)} point{'s' if abs(points) > 1 else ''} "
            f"{'higher' if points > 0 else 'lower'})"
        )
    return (
        f'<p class="previous">Previous period: {percent(previous.share_met)} '
        f"({previous.met} of {previous.measured}){change}</p>"
    )


def tiles(
    kpis: tuple[Kpi, ...],
    thresholds: KpiThresholds,
    previous: tuple[Kpi, ...] | None,
) -> str:
    """One tile per standard: its status in words and colour, the share met, the target,
    and the previous period's share beside this one (when ``previous`` is given)."""
    if not kpis:
        return (
            '<div id="rag-tiles" class="tiles"><p class="empty">No standard measured a '
            "step in this period: no step was done or fell due in it.</p></div>"
        )
    before = {(k.target, k.standard): k for k in previous or ()}
    parts = ['<div id="rag-tiles" class="tiles">']
    for k in kpis:
        background, ink = BADGES[k.rag]
        status = "no data" if k.rag is None else k.rag.value
        prior = before.get((k.target, k.standard))
        measured = (
            f"{k.met} of {k.measured} steps met"
            if k.measured
            else "no step done or due in this period"
        )
        parts.append(
            f'<div class="tile" data-standard="{_attr(k.standard)}" '
            f'data-rag="{k.rag.value if k.rag else "none"}" '
            f'data-share="{_attr(_share(k.share_met))}" '
            f'data-measured="{k.measured}" data-target="{thresholds.green_at}" '
            f'data-previous-share="{_attr(_share(prior.share_met) if prior else "")}" '
            f'style="border-color:{background}">'
            f'<p class="head"><span class="badge" style="background:{background};color:{ink}">'
            f"{status.upper()}</span> <strong>{percent(k.share_met)}</strong> met</p>"
            f'<p class="standard">{escape(k.standard)}</p>'
            f"<p>{measured}</p>"
            f'<p class="target">Target: {percent(thresholds.green_at)} met for green, '
            f"{percent(thresholds.amber_at)} for amber</p>"
            f"{'' if previous is None else _previous_line(k, prior)}"
            f'<p class="times">Wall-clock time taken: p50 {duration(k.p50)}, '
            f"p90 {duration(k.p90)}</p></div>"
        )
    parts.append("</div>")
    return "".join(parts)


def _open(chart_id: str, caption: str) -> str:
    return (
        f'<figure><figcaption>{caption}</figcaption><svg id="{chart_id}" role="img" '
        f'aria-label="{_attr(caption)}" viewBox="0 0 {_WIDTH} {_HEIGHT}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
    )


def _nothing(chart_id: str, caption: str, text: str) -> str:
    return (
        f"<figure><figcaption>{caption}</figcaption>"
        f'<p class="empty" id="{chart_id}">{escape(text)}.</p></figure>'
    )


def bars(chart_id: str, caption: str, counts: tuple[Count, ...], colour: str, empty: str) -> str:
    """A bar chart of labelled counts, each bar with its number; ``empty`` is said instead
    of a chart when every count is zero."""
    if not any(c.count for c in counts):
        return _nothing(chart_id, escape(caption), empty)
    parts = [_open(chart_id, escape(caption))]
    axis = _HEIGHT - _BOTTOM
    top = max(c.count for c in counts)
    step = (_WIDTH - _LEFT - 8) / len(counts)
    parts.append(f'<line x1="{_LEFT}" y1="{axis}" x2="{_WIDTH - 8}" y2="{axis}" stroke="#767676"/>')
    for n, c in enumerate(counts):
        h = (axis - _TOP - 6) * c.count / top
        x = _LEFT + n * step + step * 0.15
        middle = x + step * 0.35
        parts.append(
            f'<g class="bar" data-label="{_attr(c.label)}" data-count="{c.count}">'
            f"<title>{escape(c.label)}: {c.count}</title>"
            f'<rect x="{x:.1f}" y="{axis - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/>'
            f'<text x="{middle:.1f}" y="{axis - h - 4:.1f}" text-anchor="middle">{c.count}</text>'
            f'<text x="{middle:.1f}" y="{axis + 16}" text-anchor="middle">{escape(c.label)}</text>'
            "</g>"
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def nps_line(weeks: tuple[NpsWeek, ...]) -> str:
    """NPS week by week on a -100 to +100 scale; a week's date is shown under its point
    (every other one, or fewer, when they would collide)."""
    points = [(w, w.nps.score) for w in weeks if w.nps.score is not None]
    caption = "NPS by week (weeks from Monday, UTC)"
    if not points:
        return _nothing("nps-weekly", caption, "No NPS answers in this period")
    parts = [_open("nps-weekly", caption)]
    inner = _HEIGHT - _BOTTOM - _TOP

    def y_of(score: float) -> float:
        return _TOP + inner * (100 - score) / 200

    for level in (100, 0, -100):
        parts.append(
            f'<line x1="{_LEFT}" y1="{y_of(level):.1f}" x2="{_WIDTH - 8}" y2="{y_of(level):.1f}" '
            f'stroke="#bdbdbd"/><text x="{_LEFT - 6}" y="{y_of(level) + 4:.1f}" '
            f'text-anchor="end">{level:+d}</text>'.replace("+0<", "0<")
        )
    # Labels are centred under their points: keep a half label's width clear at both ends.
    first, last = _LEFT + 30, _WIDTH - _RIGHT
    step = (last - first) / max(len(points) - 1, 1)
    every = math.ceil(52 / step) if len(points) > 1 else 1  # a date is under 52 units wide
    coords = [(first + n * step, y_of(score)) for n, (_, score) in enumerate(points)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    for n, ((week, score), (x, y)) in enumerate(zip(points, coords, strict=True)):
        if n % every == 0:
            parts.append(
                f'<text x="{x:.1f}" y="{_HEIGHT - _BOTTOM + 18}" text-anchor="middle">'
                f"{week.week.strftime('%d %b')}</text>"
            )
        parts.append(
            f'<g class="point" data-week="{week.week.isoformat()}" data-nps="{score:.1f}" '
            f'data-answered="{week.nps.answered}"><title>week of {week.week.isoformat()}: '
            f"NPS {score:+.0f} from {week.nps.answered} answers</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1565c0"/></g>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)
