"""G2's "never silently" after a sweep: a case closes for the customer's silence only once
they were told it would (its closing notice handed to the notifier)."""

from __future__ import annotations

from closedloop import Delivery, SweepReport
from closedloop.domain.cases.contact import ClosingNoticeSent, Lapsed
from closedloop.ports import CaseStore


def g2_closed_for_silence_only_once_told(store: CaseStore, report: SweepReport) -> None:
    """G2's "never silently": each case the sweep just closed for the customer's silence had
    its closing notice (the last one before it closed) delivered, handed to the notifier."""
    for case_id in report.lapsed:
        events = store.get(case_id).events
        closed = max(i for i, e in enumerate(events) if isinstance(e, Lapsed))
        notice = next(e for e in reversed(events[:closed]) if isinstance(e, ClosingNoticeSent))
        key = f"{case_id}/{notice.version}/closing_notice"
        status = store.outbox_message(key).status
        assert status is Delivery.SENT, (
            f"G2: case {case_id} closed for silence, its closing notice {status.value}"
        )
