"""Insights: where standards are broken, and the conversations and causes behind them.

:func:`compute` reads one period from any :class:`~closedloop.CaseStore` in streamed
passes (memory stays flat however many cases there are) and returns :class:`Insights`; a
store with the read model (:class:`~closedloop.ports.ReportStorage`) aggregates facts
written with each commit instead of replaying cases (:func:`rebuild_facts` back-fills them);
:func:`render_text`, :func:`to_json` and :func:`render_html` present it. Every figure is
described in ``docs/insights.md``.
"""

from __future__ import annotations

from closedloop.domain.cases.promises import PromiseFigures
from closedloop.domain.customers.nolog import NoLog, NoLogCategory, NoLogEntry
from closedloop.domain.surveys.recovery import RecoveryFigures
from closedloop.domain.surveys.scoring import CesResult, CsatResult, NpsResult
from closedloop.insights.compute import compute
from closedloop.insights.export import to_dict, to_json
from closedloop.insights.figures import (
    Count,
    Insights,
    Kpi,
    KpiThresholds,
    NpsWeek,
    Queue,
    RootCause,
    Scorecard,
    Section,
    Waiting,
)
from closedloop.insights.histogram import Histogram
from closedloop.insights.html import render_html
from closedloop.insights.json_schema import SCHEMA_VERSION, schema
from closedloop.insights.read_model import rebuild_facts
from closedloop.insights.text import render_text

__all__ = [
    "SCHEMA_VERSION",
    "CesResult",
    "Count",
    "CsatResult",
    "Histogram",
    "Insights",
    "Kpi",
    "KpiThresholds",
    "NoLog",
    "NoLogCategory",
    "NoLogEntry",
    "NpsResult",
    "NpsWeek",
    "PromiseFigures",
    "Queue",
    "RecoveryFigures",
    "RootCause",
    "Scorecard",
    "Section",
    "Waiting",
    "compute",
    "rebuild_facts",
    "render_html",
    "render_text",
    "schema",
    "to_dict",
    "to_json",
]
