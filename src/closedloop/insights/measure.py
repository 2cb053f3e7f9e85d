"""How each case did against its standards (moved to :mod:`closedloop.domain.reports`)."""

from closedloop.domain.reports.measure import Measurement, as_of, label, measurements

__all__ = ["Measurement", "as_of", "label", "measurements"]
