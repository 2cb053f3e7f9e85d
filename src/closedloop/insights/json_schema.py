"""The JSON Schema (draft 2020-12) of the insights document, and its version.

:func:`~closedloop.insights.export.to_dict` writes documents of this shape; ``docs/insights.md``
describes every field.
"""

from __future__ import annotations

from typing import Any

from closedloop.domain.standards.standard import Target

__all__ = ["SCHEMA_VERSION", "schema"]

SCHEMA_VERSION = 1
"""The version of `to_json`'s layout: bumped when a field changes meaning or goes away; new
fields may appear without a bump."""


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
            "target": {"enum": [target.value for target in Target]},
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
    csat = _object(
        {
            "share": _SHARE,
            "mean": _MAYBE_NUM,
            "answered": _INT,
            "satisfied": _INT,
            "neutral": _INT,
            "dissatisfied": _INT,
        }
    )
    scorecard = _list(
        _object(
            {
                "name": {"type": ["string", "null"]},
                **section["properties"],
                "steps_measured": _INT,
                "steps_met": _INT,
                "share_met": _SHARE,
                "csat": csat,
                "nps": nps,
            }
        )
    )
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
                        "csat": csat,
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
                        "missed": _INT,
                        "missed_announced": _INT,
                        "missed_silent": _INT,
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
                "by_owner": scorecard,
                "by_team": scorecard,
                "by_tag": scorecard,
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
