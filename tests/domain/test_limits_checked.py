"""``Limits.check_checked`` (what the Desk measures a commit with) refuses exactly what
``Limits.check`` refuses, with the same error, for records that passed ``check_record``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import Channel, Feedback, Limits, ValidationError
from closedloop.domain.cases.case import Case
from closedloop.testing.strategies import cases
from tests.helpers import START


def outcome(check: object, record: object) -> str | None:
    try:
        check([record])  # type: ignore[operator]
    except ValidationError as refused:
        return f"{refused.field}: {refused}"
    return None


@settings(max_examples=150, deadline=None)
@given(
    case=cases(),
    limits=st.builds(
        Limits, key=st.integers(1, 40), subject=st.integers(1, 40), text=st.integers(1, 80)
    ),
)
def test_measuring_lengths_alone_refuses_what_the_full_check_refuses(
    case: Case, limits: Limits
) -> None:
    for record in case.events:  # the first holds the Feedback, nested
        assert outcome(limits.check_checked, record) == outcome(limits.check, record)


def test_a_text_over_the_limit_is_refused_by_both() -> None:
    long = Feedback(
        customer="m@example.com", channel=Channel.EMAIL, received_at=START, text="x" * 11
    )
    refused = outcome(Limits(text=10).check_checked, long)
    assert refused is not None
    assert refused == outcome(Limits(text=10).check, long)
    assert outcome(Limits(text=11).check_checked, long) is None
