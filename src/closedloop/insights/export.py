"""Insights as JSON: a documented, stable shape (``docs/insights.md``), with its schema."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from closedloop.domain.cases.promises import PromiseFigures
from closedloop.domain.customers.nolog import NoLog
from closedloop.domain.surveys.recovery import RecoveryFigures
from closedloop.domain.surveys.scoring import CesResult, CsatResult, NpsResult
from closedloop.insights.figures import Count, Insights, Kpi, Queue, RootCause, Section

__all__ = ["SCHEMA_VERSION", "schema", "to_dict", "to_json"]

#: Bumped when a field changes meaning or goes away; new fields may appear without a bump.
SCHEMA_VERSION = 1


def to_json(insights: Insights, *, indent: int | None = 2) -> str:
    """The insights as a JSON document (see :func:`schema`)."""
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


# -- the schema ----------------------------------------------------------------------------

_NUM = {"type": "number"}
_INT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_MAYBE_NUM = {"type": ["number", "null"]}
_STR = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _list(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that :func:`to_dict` output satisfies."""
    counts = _list(_object({"label": _STR, "count": _INT}))
    kpi = _object(
        {
            "target": {"enum": ["acknowledge", "take_action", "close_loop"]},
            "standard": _STR,
            "measured": _INT,
            "met": _INT,
            "share_met": _SHARE,
            "p50_seconds": _MAYBE_NUM,
            "p90_seconds": _MAYBE_NUM,
            "rag": {"enum": ["green", "amber", "red", None]},
        }
    )
    effort = _object({"total": _INT, "per_case": _MAYBE_NUM})
    section = _object(
        {
            "opened": _INT,
            "closed": _INT,
            "closure_rate": _SHARE,
            "reopened": _INT,
            "reopen_rate": _SHARE,
            "escalated": _INT,
            "escalation_rate": _SHARE,
            "escalated_by_time": _INT,
            "escalated_by_customer": _INT,
            "avoidable_escalations": _INT,
            "effort": _object(
                dict.fromkeys(
                    ("hand_offs", "channel_switches", "repeat_contacts", "repeats"), effort
                )
            ),
            "kpis": _list(kpi),
        }
    )
    groups = {"type": "object", "additionalProperties": section}
    nps = _object(
        {
            "score": {"type": ["number", "null"], "minimum": -100, "maximum": 100},
            "answered": _INT,
            "promoters": _INT,
            "passives": _INT,
            "detractors": _INT,
            "skipped": _INT,
            "dismissed": _INT,
            "interval": {
                "oneOf": [
                    {"type": "null"},
                    _object({"adjusted": _NUM, "low": _NUM, "high": _NUM}),
                ]
            },
            "small_sample": {"type": "boolean"},
        }
    )
    weekly = dict(
        nps, properties={**nps["properties"], "week": {"type": "string", "format": "date"}}
    )
    weekly["required"] = sorted(weekly["properties"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "closedloop insights",
        **_object(
            {
                "schema_version": {"const": SCHEMA_VERSION},
                "since": _TIME,
                "until": _TIME,
                "thresholds": _object({"green_at": _SHARE, "amber_at": _SHARE}),
                "overall": section,
                "by_channel": groups,
                "by_priority": groups,
                "by_kind": groups,
                "unanswered": _object(
                    {
                        "total": _INT,
                        "oldest": _list(
                            _object(
                                {
                                    "case_id": _STR,
                                    "channel": _STR,
                                    "customer": _STR,
                                    "subject": _STR,
                                    "opened_at": _TIME,
                                    "age_seconds": _NUM,
                                }
                            )
                        ),
                        "by_age": counts,
                        "by_channel": counts,
                    }
                ),
                "time_to_acknowledge": counts,
                "surveys": _object(
                    {
                        "nps": nps,
                        "nps_weekly": _list(weekly),
                        "csat": _object(
                            {
                                "share": _SHARE,
                                "mean": _MAYBE_NUM,
                                "answered": _INT,
                                "satisfied": _INT,
                                "neutral": _INT,
                                "dissatisfied": _INT,
                            }
                        ),
                        "ces": _ces_schema(),
                        "ces2": _ces_schema(),
                    }
                ),
                "recovery": _object(
                    {
                        "answers": _INT,
                        "needing_recovery": _INT,
                        "contacted": _INT,
                        "contacted_in_time": _INT,
                        "close_the_loop_rate": _SHARE,
                        "time_to_contact_median_seconds": _MAYBE_NUM,
                        "detractors": _INT,
                        "recovered": _INT,
                        "recovery_rate": _SHARE,
                    }
                ),
                "promises": _object(
                    {
                        "due": _INT,
                        "kept_on_time": _INT,
                        "kept_late": _INT,
                        "open": _INT,
                        "kept_rate": _SHARE,
                    }
                ),
                "no_log": _list(
                    _object(
                        {
                            "category": _STR,
                            "count": _INT,
                            "examples": _list(
                                _object(
                                    {"case_id": _STR, "asked": _STR, "reason": _STR, "at": _TIME}
                                )
                            ),
                        }
                    )
                ),
                "root_causes": _list(_cause_schema()),
                "dissatisfiers": _list(_cause_schema()),
            }
        ),
    }


def _ces_schema() -> dict[str, Any]:
    return _object(
        {
            "share_low_effort": _SHARE,
            "mean": _MAYBE_NUM,
            "answered": _INT,
            "low_effort": _INT,
            "neutral": _INT,
            "high_effort": _INT,
        }
    )


def _cause_schema() -> dict[str, Any]:
    return _object(
        {
            "label": _STR,
            "kano": {"enum": ["delighter", "satisfier", "dissatisfier", None]},
            "count": _INT,
            "examples": _list(_STR),
        }
    )
