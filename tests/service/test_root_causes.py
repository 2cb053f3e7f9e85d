"""Root causes recorded at Explain, tagged with a Kano category, and Desk.insights."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import Desk, Kano, ValidationError
from closedloop.testing import ManualClock
from tests.helpers import make_feedback


def closable(desk: Desk) -> str:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Refunded")
    desk.thank(case.id, by="amy")
    return case.id


def test_a_root_cause_and_its_tag_reach_the_report(desk: Desk, clock: ManualClock) -> None:
    start = clock.now()
    case_id = closable(desk)
    closed = desk.explain(
        case_id, by="amy", what_failed="x", what_changes="y",
        root_cause="  returns policy not trained ", kano=Kano.DISSATISFIER,
    )  # fmt: skip
    assert closed.explanation is not None
    assert (closed.explanation.root_cause, closed.explanation.kano) == (
        "returns policy not trained", Kano.DISSATISFIER,
    )  # fmt: skip
    report = desk.reports.insights(start, clock.now() + timedelta(hours=1))
    assert [(c.label, c.count) for c in report.dissatisfiers] == [("returns policy not trained", 1)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kano": Kano.DELIGHTER}, "give root_cause"),
        ({"root_cause": "x", "kano": "dissatisfier"}, "kano must be one of"),
        ({"root_cause": "   "}, "root_cause must be"),
    ],
)
def test_bad_root_causes_are_refused_and_change_nothing(
    desk: Desk, kwargs: dict[str, object], message: str
) -> None:
    case_id = closable(desk)
    before = desk.get(case_id)
    with pytest.raises(ValidationError, match=message):
        desk.explain(case_id, by="amy", what_failed="x", what_changes="y", **kwargs)  # type: ignore[arg-type]
    assert desk.get(case_id) == before
