"""Insights as one self-contained HTML file: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from html import escape

from closedloop.domain.standards.standard import Target
from closedloop.insights.charts import bars, nps_line, tiles
from closedloop.insights.figures import Insights, Scorecard
from closedloop.insights.text import duration, percent, scorecard_row

__all__ = ["render_html"]

# Every text colour here is at least 4.5:1 on its background (WCAG AA); the report's
# browser test measures it on the rendered page.
_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;
color:#1a1a1a;background:#fff;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
p{margin:.3rem 0}.note,.empty{color:#4d4d4d}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;text-align:left;
border-bottom:1px solid #eee;overflow-wrap:break-word}th{font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,15rem),1fr));gap:.75rem}
.tile{border:1px solid #ccc;border-left-width:.6rem;border-radius:6px;padding:.5rem .75rem}
.tile .head{font-size:1.3rem}.badge{font-size:.8rem;font-weight:700;padding:.1rem .4rem;
border-radius:4px;vertical-align:middle}.tile .standard{font-weight:600}
.tile .target,.tile .previous,.tile .times{font-size:.85rem;color:#4d4d4d}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,26rem),1fr));gap:1.5rem}
.cards td:first-child,#unanswered td:nth-child(3){overflow-wrap:anywhere}
figure{margin:0}figcaption{font-weight:600}svg{display:block;width:100%;height:auto}
svg text{font:13px system-ui,sans-serif;fill:#1a1a1a}
@media (max-width:30rem){body{margin:1rem auto;padding:0 .5rem}table{font-size:.85rem}
td,th{padding:.25rem .2rem}th{font-size:.75rem}}
"""


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]], table_id: str, none: str) -> str:
    if not rows:
        return f'<p class="empty" id="{table_id}">{escape(none)}</p>'
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _when(value: datetime) -> str:
    if value.time() == time(0) and value.utcoffset() == timedelta(0):
        return value.strftime("%d %B %Y")
    return value.isoformat(" ", "minutes")


def _period(i: Insights) -> str:
    return f"{_when(i.since)} to {_when(i.until)} (the end excluded)"


def _summary_rows(i: Insights) -> list[tuple[str, str]]:
    o, nps = i.overall, i.nps
    per_case = o.per_case(o.hand_offs)
    return [
        ("Cases opened", str(o.opened)),
        ("Loop closed", f"{o.closed} ({percent(o.closure_rate)})"),
        ("Reopened", f"{o.reopened} ({percent(o.reopen_rate)})"),
        (
            "Escalated (sweep / customer / avoidable)",
            f"{o.escalated_by_time} / {o.escalated_by_customer} / {o.avoidable}",
        ),
        ("Unanswered at the end", str(i.unanswered.total)),
        (
            "NPS",
            "no answers"
            if nps.score is None
            else f"{nps.score:+.0f} (95% interval {nps.low:+.0f} to {nps.high:+.0f}, "
            f"{nps.answered} answers)",
        ),
        ("CSAT satisfied", percent(i.csat.share)),
        ("CES low effort", percent(i.ces.share)),
        ("Detractors contacted in time", percent(i.recovery.close_the_loop_rate)),
        ("Customers won back", percent(i.recovery.recovery_rate)),
        ("Promises kept on time", percent(i.promises.kept_rate)),
        (
            "Promises missed: customer told / silent",
            f"{i.promises.missed_announced} / {i.promises.missed_silent}",
        ),
        ("Hand-offs per case", percent(None) if per_case is None else f"{per_case:.2f}"),
    ]


def _summary(i: Insights, previous: Insights | None) -> str:
    rows = _summary_rows(i)
    if previous is None:
        return _table(("Figure", "This period"), rows, "summary", "")
    before = _summary_rows(previous)
    return _table(
        ("Figure", "This period", "Previous period"),
        [(name, now, then) for (name, now), (_, then) in zip(rows, before, strict=True)],
        "summary",
        "",
    )


def _nothing_happened(i: Insights) -> bool:
    return not (
        i.overall.opened
        or i.overall.kpis
        or i.unanswered.total
        or i.nps.answered
        or i.csat.answered
        or i.ces.answered
        or i.promises.due
        or i.no_log.total
        or i.root_causes
    )


def _ack_note(i: Insights) -> str:
    acknowledged = sum(c.count for c in i.time_to_acknowledge)
    steps = sum(k.measured for k in i.overall.kpis if k.target is Target.ACKNOWLEDGE)
    if not acknowledged and not steps:
        return ""
    return (
        f'<p class="note" id="acknowledge-note">The time-to-acknowledge chart counts the '
        f"{acknowledged} cases opened in this period and acknowledged by its end, by "
        f"wall-clock time (nights and weekends count). The acknowledge tiles count "
        f"{steps} steps against their standard in business hours: steps done in this period, "
        "whenever the case opened, and steps still not done whose deadline fell in it; a "
        "detractor's case is measured by its own standard.</p>"
    )


def _words(name: str) -> str:
    return name.replace("_", " ")  # "point of sale" wraps on a phone, "point_of_sale" not


def _channels(i: Insights) -> str:
    waiting = {c.label: c.count for c in i.unanswered.by_channel}
    total = i.unanswered.total

    def share(name: str) -> str:
        n = waiting.get(name, 0)
        return f"{percent(n / total)} ({n})" if total else "n/a (queue empty)"

    return _table(
        ("Channel", "Opened", "Closed", "Escalated", "Unanswered (share)"),
        [
            (_words(name), str(s.opened), percent(s.closure_rate), str(s.escalated), share(name))
            for name, s in i.by_channel
        ],
        "by-channel",
        "No case was opened or active in this period.",
    )


def _no_log(i: Insights) -> str:
    def examples(texts: list[str]) -> str:
        unique = list(dict.fromkeys(texts))  # the same request declined twice shows once
        return "; ".join(f"\u201c{t}\u201d" for t in unique)

    return _table(
        ("Category", "Declined", "Examples"),
        [
            (c.category, str(c.count), examples([e.asked or e.reason for e in c.examples]))
            for c in i.no_log.categories
        ],
        "no-log",
        "No request was declined in this period.",
    )


def _scorecards(cards: tuple[Scorecard, ...], who: str, nobody: str, table_id: str) -> str:
    rows = []
    for card in cards:
        name, opened, met, ack, loop, reopen, escal, hand_offs, sat, score = scorecard_row(
            card, nobody
        )
        rows.append((name, f"{opened}, {met}", f"{ack}; {loop}",
                     f"{reopen}, {escal}, {hand_offs}", f"{sat}, {score}"))  # fmt: skip
    table = _table(
        (who, "Cases, standards met", "p50 / p90 to acknowledge; to close the loop",
         "Reopened, escalated, hand-offs (per case)", "CSAT, NPS"),
        rows, table_id, "No case was active in this period.",
    )  # fmt: skip
    return table.replace("<table ", '<table class="cards" ', 1)


_CARDS_NOTE = (
    '<p class="note">Each case counts for its owner and team as they stood at the end of the '
    "period (a case closed in it, as it closed); the survey answers received in the period "
    "count for the owner and team of the case they are about. The times are those of the "
    "main acknowledge and close-the-loop standards.</p>"
)


def _section(section_id: str, heading: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(heading)}</h2>{body}</section>'


def render_html(
    insights: Insights, *, title: str = "closedloop report", previous: Insights | None = None
) -> str:
    """The report as one HTML document: no script, no font or image fetched from anywhere.

    ``previous`` is the period before (``[since - (until - since), since)``, computed like
    this one): each standard's tile and the summary show it beside this period.
    """
    i = insights
    queue = _table(
        ("Age", "Channel", "Case", "Subject"),
        [(duration(w.age), _words(w.channel), w.case_id, w.subject) for w in i.unanswered.oldest],
        "unanswered",
        "Nobody was left waiting for an answer at the end of this period.",
    )
    causes = _table(
        ("Root cause", "Kano", "Loops"),
        [(c.label, c.kano.value if c.kano else "", str(c.count)) for c in i.root_causes],
        "root-causes",
        "No root cause was recorded in this period.",
    )
    compared = (
        ""
        if previous is None
        else f'<p class="note">Compared with the previous period: {escape(_period(previous))}.</p>'
    )
    empty = (
        '<p class="empty" id="nothing">Nothing happened in this period: no case was opened '
        "or measured, no survey answered, no request declined.</p>"
        if _nothing_happened(i)
        else ""
    )
    charts = (
        '<div class="charts">'
        f"{nps_line(i.nps_weekly)}"
        + bars(
            "time-to-acknowledge",
            "Time to acknowledge, wall-clock (cases opened in this period)",
            i.time_to_acknowledge,
            "#1565c0",
            "No case opened in this period was acknowledged",
        )
        + bars(
            "unanswered-by-age",
            "Unanswered at the end of the period, by age",
            i.unanswered.by_age,
            "#c62828",
            "Nobody was waiting for an answer",
        )
        + f"</div>{_ack_note(i)}"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(_period(i))}</p>{compared}{empty}"
        + _section(
            "standards",
            "Standards",
            tiles(
                i.overall.kpis, i.thresholds, None if previous is None else previous.overall.kpis
            ),
        )
        + _section("summary-section", "Summary", _summary(i, previous))
        + _section("charts", "Charts", charts)
        + _section("unanswered-section", "Unanswered, oldest first", queue)
        + _section("root-causes-section", "Top root causes", causes)
        + _section("no-log-section", "The no log", _no_log(i))
        + _section("by-channel-section", "By channel", _channels(i))
        + _section(
            "by-owner-section",
            "KPIs per agent",
            _CARDS_NOTE + _scorecards(i.by_owner, "Agent", "unassigned", "by-owner"),
        )
        + _section(
            "by-team-section", "KPIs per team", _scorecards(i.by_team, "Team", "no team", "by-team")
        )
        + (
            _section("by-tag-section", "By tag", _scorecards(i.by_tag, "Tag", "", "by-tag"))
            if i.by_tag
            else ""
        )
        + "</body></html>\n"
    )
