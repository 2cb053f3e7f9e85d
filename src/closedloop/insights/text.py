"""Insights as plain text for a terminal."""

from __future__ import annotations

from datetime import timedelta

from closedloop.domain.standards.standard import Target
from closedloop.insights.figures import Insights, Scorecard, Section

__all__ = ["duration", "percent", "render_text", "scorecard_row"]


def percent(share: float | None) -> str:
    """``0.834`` as ``"83%"``; ``"n/a"`` for None."""
    return "n/a" if share is None else f"{100 * share:.0f}%"


def duration(value: timedelta | None) -> str:
    """A duration in the two largest units: ``"2d 3h"``, ``"4h 10m"``, ``"12m"``."""
    if value is None:
        return "n/a"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts[:2]) or "0m"


def _number(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _heading(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _kpis(section: Section) -> list[str]:
    lines = []
    for k in section.kpis:
        rag = (k.rag.value if k.rag else "-").upper()
        lines.append(
            f"  {rag:<5} {k.standard:<48} {percent(k.share_met):>4} met "
            f"({k.met}/{k.measured})  p50 {duration(k.p50)}  p90 {duration(k.p90)}"
        )
    return lines or ["  no steps measured in this period"]


def _rates(s: Section) -> list[str]:
    return [
        f"  cases opened {s.opened}; loop closed {s.closed} ({percent(s.closure_rate)}); "
        f"reopened {s.reopened} ({percent(s.reopen_rate)} of those closed)",
        f"  escalated {s.escalated} ({percent(s.escalation_rate)}): by the sweep "
        f"{s.escalated_by_time}, by the customer {s.escalated_by_customer}, of which "
        f"avoidable {s.avoidable} ({percent(s.avoidable_share)})",
        f"  effort per case: hand-offs {_number(s.per_case(s.hand_offs), 2)}, channel "
        f"switches {_number(s.per_case(s.channel_switches), 2)}, repeat contacts "
        f"{_number(s.per_case(s.repeat_contacts), 2)}, repeats {_number(s.per_case(s.repeats), 2)}",
    ]


def _times(card: Scorecard, target: Target) -> str:
    kpi = card.main_kpi(target)
    if kpi is None or kpi.p50 is None:
        return "n/a"  # nothing measured, or no step of it done
    return f"{duration(kpi.p50)} / {duration(kpi.p90)}"


def scorecard_row(card: Scorecard, nobody: str) -> tuple[str, ...]:
    """One row of the KPIs per agent, team or tag: name, cases, standards met, the main
    acknowledge and close-the-loop standards' p50 / p90, reopen and escalation rates,
    hand-offs (total and per case), CSAT satisfied and NPS."""
    s = card.section
    score = card.nps.score
    return (
        card.name or nobody, str(s.opened), percent(card.share_met),
        _times(card, Target.ACKNOWLEDGE), _times(card, Target.CLOSE_LOOP),
        percent(s.reopen_rate), percent(s.escalation_rate),
        f"{s.hand_offs} ({_number(s.per_case(s.hand_offs), 2)})",
        percent(card.csat.share), "n/a" if score is None else f"{score:+.0f}",
    )  # fmt: skip


def _scorecards(title: str, cards: tuple[Scorecard, ...], nobody: str) -> list[str]:
    if not cards:
        return []
    lines = _heading(title)
    lines.append(
        f"  {'':<16} {'cases':>5} {'met':>4}  {'ack p50 / p90':<15} {'loop p50 / p90':<15}"
        f" {'reopen':>6} {'escal.':>6}  {'hand-offs':<11} {'CSAT':>4} {'NPS':>4}"
    )
    for card in cards:
        name, opened, met, ack, loop, reopen, escal, hand_offs, sat, score = scorecard_row(
            card, nobody
        )
        lines.append(
            f"  {name[:16]:<16} {opened:>5} {met:>4}  {ack:<15} {loop:<15} {reopen:>6}"
            f" {escal:>6}  {hand_offs:<11} {sat:>4} {score:>4}"
        )
    return lines


def render_text(insights: Insights) -> str:
    """A report a person can read in a terminal, 100 columns wide."""
    i = insights
    lines = [
        f"closedloop report: {i.since.isoformat()} to {i.until.isoformat()}",
        *_heading("Standards (KPI: share of steps met)"),
        *_kpis(i.overall),
        *_heading("Loops"),
        *_rates(i.overall),
    ]
    lines += _heading(f"Unanswered now: {i.unanswered.total}")
    if i.unanswered.by_channel:
        lines.append(
            "  by channel: " + ", ".join(f"{c.label} {c.count}" for c in i.unanswered.by_channel)
        )
        lines.append("  by age: " + ", ".join(f"{c.label} {c.count}" for c in i.unanswered.by_age))
    for w in i.unanswered.oldest[:10]:
        lines.append(f"  {duration(w.age):>8} old  {w.channel:<14} {w.case_id}  {w.subject[:50]}")
    nps, ci = i.nps, i.nps
    lines += _heading("Surveys")
    if nps.score is None:
        lines.append("  NPS: no answers")
    else:
        small = " (small sample)" if nps.small_sample else ""
        lines.append(
            f"  NPS {nps.score:+.0f} from {nps.answered} answers{small}; 95% interval "
            f"{ci.low:+.0f} to {ci.high:+.0f}; {nps.promoters} promoters, "
            f"{nps.detractors} detractors"
        )
    lines.append(
        f"  CSAT {percent(i.csat.share)} satisfied ({i.csat.answered} answers); "
        f"CES {percent(i.ces.share)} low effort ({i.ces.answered} answers)"
    )
    r = i.recovery
    lines.append(
        f"  detractors and 'contact me': {r.needing_recovery}; contacted in time "
        f"{r.contacted_in_time} ({percent(r.close_the_loop_rate)}); median time to contact "
        f"{duration(r.time_to_contact_median)}; won back {r.recovered} of {r.detractors} "
        f"({percent(r.recovery_rate)})"
    )
    p = i.promises
    lines += _heading("Promises")
    lines.append(
        f"  due {p.due}: kept on time {p.kept_on_time} ({percent(p.kept_rate)}), kept late "
        f"{p.kept_late}, still open {p.open}; missed {p.missed}: the customer told "
        f"{p.missed_announced}, silent {p.missed_silent}"
    )
    lines += _heading(f"The no log: {i.no_log.total} requests declined")
    for c in i.no_log.categories[:5]:
        unique = dict.fromkeys(e.asked or e.reason for e in c.examples)  # each request once
        asked = "; ".join(f'"{text}"' for text in list(unique)[:2])
        lines.append(f"  {c.count:>4}  {c.category:<14} e.g. {asked}")
    lines += _heading("Top root causes")
    for cause in i.root_causes[:5]:
        tag = f" [{cause.kano.value}]" if cause.kano else ""
        lines.append(f"  {cause.count:>4}  {cause.label}{tag}")
    if not i.root_causes:
        lines.append("  none recorded (explain(..., root_cause=...) records them)")
    if i.by_channel:
        lines += _heading("By channel")
        for name, s in i.by_channel:
            worst = min(
                (k for k in s.kpis if k.share_met is not None),
                key=lambda k: k.share_met or 0.0,
                default=None,
            )
            weakest = f"; weakest: {worst.standard} {percent(worst.share_met)}" if worst else ""
            lines.append(
                f"  {name:<14} opened {s.opened:>4}, closed {percent(s.closure_rate):>4}{weakest}"
            )
    lines += _scorecards("By agent (the cases each owned at the end)", i.by_owner, "unassigned")
    lines += _scorecards("By team", i.by_team, "no team")
    lines += _scorecards("By tag", i.by_tag, "")
    return "\n".join(lines) + "\n"
