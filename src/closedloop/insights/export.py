"""Insights as JSON: a documented, stable shape (``docs/insights.md``).

The shape's JSON Schema and version are in :mod:`closedloop.insights.json_schema`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from closedloop.domain.cases.promises import PromiseFigures
from closedloop.domain.customers.nolog import NoLog
from closedloop.domain.surveys.recovery import RecoveryFigures
from closedloop.domain.surveys.scoring import CesResult, CsatResult, NpsResult
from closedloop.insights.figures import Count, Insights, Kpi, Queue, RootCause, Scorecard, Section
from closedloop.insights.json_schema import SCHEMA_VERSION

__all__ = ["to_dict", "to_json"]


def to_json(insights: Insights, *, indent: int | None = 2) -> str:
    """The insights as a JSON document (see :func:`~closedloop.insights.json_schema.schema`)."""
    return json.dumps(to_dict(insights), indent=indent, ensure_ascii=False)


def to_dict(insights: Insights) -> dict[str, Any]:
    """The insights as JSON-ready values: times ISO 8601, durations in seconds, shares
    from 0 to 1, and ``null`` where there was nothing to measure."""
    i = insights
    return {
        "schema_version": SCHEMA_VERSION,
        "since": _time(i.since),
        "until": _time(i.until),
        "thresholds": {"green_at": i.thresholds.green_at, "amber_at": i.thresholds.amber_at},
        "overall": _section(i.overall),
        "by_channel": _groups(i.by_channel),
        "by_priority": _groups(i.by_priority),
        "by_kind": _groups(i.by_kind),
        "unanswered": _queue(i.unanswered),
        "time_to_acknowledge": _counts(i.time_to_acknowledge),
        "surveys": {
            "nps": _nps(i.nps),
            "nps_weekly": [{"week": _day(w.week), **_nps(w.nps)} for w in i.nps_weekly],
            "csat": _csat(i.csat),
            "ces": _ces(i.ces),
            "ces2": _ces(i.ces2),
        },
        "recovery": _recovery(i.recovery),
        "promises": _promises(i.promises),
        "no_log": _no_log(i.no_log),
        "root_causes": [_cause(c) for c in i.root_causes],
        "dissatisfiers": [_cause(c) for c in i.dissatisfiers],
        "by_owner": [_scorecard(c) for c in i.by_owner],
        "by_team": [_scorecard(c) for c in i.by_team],
        "by_tag": [_scorecard(c) for c in i.by_tag],
    }


def _scorecard(c: Scorecard) -> dict[str, Any]:
    return {
        "name": c.name,
        **_section(c.section),
        "steps_measured": c.measured,
        "steps_met": c.met,
        "share_met": c.share_met,
        "csat": _csat(c.csat),
        "nps": _nps(c.nps),
    }


def _time(value: datetime) -> str:
    return value.isoformat()


def _day(value: date) -> str:
    return value.isoformat()


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds()


def _counts(counts: tuple[Count, ...]) -> list[dict[str, Any]]:
    return [{"label": c.label, "count": c.count} for c in counts]


def _kpi(k: Kpi) -> dict[str, Any]:
    return {
        "target": k.target.value,
        "standard": k.standard,
        "measured": k.measured,
        "met": k.met,
        "share_met": k.share_met,
        "p50_seconds": _seconds(k.p50),
        "p90_seconds": _seconds(k.p90),
        "rag": None if k.rag is None else k.rag.value,
    }


def _section(s: Section) -> dict[str, Any]:
    return {
        "opened": s.opened,
        "closed": s.closed,
        "closure_rate": s.closure_rate,
        "reopened": s.reopened,
        "reopen_rate": s.reopen_rate,
        "escalated": s.escalated,
        "escalation_rate": s.escalation_rate,
        "escalated_by_time": s.escalated_by_time,
        "escalated_by_customer": s.escalated_by_customer,
        "avoidable_escalations": s.avoidable,
        "effort": {
            name: {"total": total, "per_case": s.per_case(total)}
            for name, total in (
                ("hand_offs", s.hand_offs),
                ("channel_switches", s.channel_switches),
                ("repeat_contacts", s.repeat_contacts),
                ("repeats", s.repeats),
            )
        },
        "kpis": [_kpi(k) for k in s.kpis],
    }


def _groups(groups: tuple[tuple[str, Section], ...]) -> dict[str, Any]:
    return {name: _section(section) for name, section in groups}


def _queue(q: Queue) -> dict[str, Any]:
    return {
        "total": q.total,
        "oldest": [
            {
                "case_id": w.case_id,
                "channel": w.channel,
                "customer": w.customer,
                "subject": w.subject,
                "opened_at": _time(w.opened_at),
                "age_seconds": w.age.total_seconds(),
            }
            for w in q.oldest
        ],
        "by_age": _counts(q.by_age),
        "by_channel": _counts(q.by_channel),
    }


def _nps(r: NpsResult) -> dict[str, Any]:
    return {
        "score": r.score,
        "answered": r.answered,
        "promoters": r.promoters,
        "passives": r.passives,
        "detractors": r.detractors,
        "skipped": r.skipped,
        "dismissed": r.dismissed,
        "interval": None
        if r.low is None
        else {"adjusted": r.adjusted, "low": r.low, "high": r.high},
        "small_sample": r.small_sample,
    }


def _csat(r: CsatResult) -> dict[str, Any]:
    return {
        "share": r.share,
        "mean": r.mean,
        "answered": r.answered,
        "satisfied": r.satisfied,
        "neutral": r.neutral,
        "dissatisfied": r.dissatisfied,
    }


def _ces(r: CesResult) -> dict[str, Any]:
    return {
        "share_low_effort": r.share,
        "mean": r.mean,
        "answered": r.answered,
        "low_effort": r.low_effort,
        "neutral": r.neutral,
        "high_effort": r.high_effort,
    }


def _recovery(r: RecoveryFigures) -> dict[str, Any]:
    return {
        "answers": r.answers,
        "needing_recovery": r.needing_recovery,
        "contacted": r.contacted,
        "contacted_in_time": r.contacted_in_time,
        "close_the_loop_rate": r.close_the_loop_rate,
        "time_to_contact_median_seconds": _seconds(r.time_to_contact_median),
        "detractors": r.detractors,
        "recovered": r.recovered,
        "recovery_rate": r.recovery_rate,
    }


def _promises(p: PromiseFigures) -> dict[str, Any]:
    return {
        "due": p.due,
        "kept_on_time": p.kept_on_time,
        "kept_late": p.kept_late,
        "open": p.open,
        "kept_rate": p.kept_rate,
        "missed": p.missed,
        "missed_announced": p.missed_announced,
        "missed_silent": p.missed_silent,
    }


def _no_log(log: NoLog) -> list[dict[str, Any]]:
    return [
        {
            "category": c.category,
            "count": c.count,
            "examples": [
                {"case_id": e.case_id, "asked": e.asked, "reason": e.reason, "at": _time(e.at)}
                for e in c.examples
            ],
        }
        for c in log.categories
    ]


def _cause(c: RootCause) -> dict[str, Any]:
    return {
        "label": c.label,
        "kano": None if c.kano is None else c.kano.value,
        "count": c.count,
        "examples": list(c.examples),
    }
