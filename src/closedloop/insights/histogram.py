"""Durations in fixed memory (moved to :mod:`closedloop.domain.reports`)."""

from closedloop.domain.reports.histogram import Histogram

__all__ = ["Histogram"]
