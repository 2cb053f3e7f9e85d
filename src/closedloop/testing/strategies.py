"""Hypothesis strategies for closedloop's values, for property tests in host suites.

Needs ``hypothesis`` (``pip install closedloop[testing]``)::

    from hypothesis import given
    from closedloop.testing import strategies as cls

    @given(cls.cases())
    def test_every_case_replays(case):
        assert replay(case.events) == case
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from closedloop.domain.cases import steps as domain
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.feedback import SCORE_MAX, SCORE_MIN, Feedback, FeedbackKind
from closedloop.domain.cases.lifecycle import LATTE
from closedloop.domain.cases.priority import Priority
from closedloop.domain.checks import instant
from closedloop.domain.latte import Step

__all__ = [
    "aware_datetimes",
    "cases",
    "channels",
    "customers",
    "feedback",
    "feedback_kinds",
    "priorities",
    "texts",
]

# hypothesis takes naive bounds; the timezones= argument makes every value aware.
_START = datetime(2020, 1, 1)  # noqa: DTZ001
_END = datetime(2035, 12, 31)  # noqa: DTZ001


def aware_datetimes() -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes: UTC, fixed offsets from -12h to +14h, and IANA zones
    (DST gaps and folds included)."""
    offsets = st.integers(min_value=-12 * 4, max_value=14 * 4).map(
        lambda q: timezone(timedelta(minutes=15 * q))
    )
    zones = st.just(UTC) | offsets | st.timezones()
    return st.datetimes(min_value=_START, max_value=_END, timezones=zones)


def channels(custom: bool = False) -> st.SearchStrategy[Channel]:
    """A built-in channel, or (with ``custom=True``) also host-defined ones."""
    builtin = st.sampled_from(Channel.builtins())
    if not custom:
        return builtin
    made = st.builds(
        Channel.custom,
        st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
        public=st.booleans(),
        written=st.booleans(),
    )
    return builtin | made


def texts() -> st.SearchStrategy[str]:
    """Non-blank text, unicode included."""
    return st.text(min_size=1, max_size=80).filter(lambda s: s.strip() != "")


def customers() -> st.SearchStrategy[str]:
    """Customer references: email-like handles and opaque ids."""
    return st.emails().map(str) | st.from_regex(r"cust-[0-9]{1,6}", fullmatch=True)


def feedback_kinds() -> st.SearchStrategy[FeedbackKind]:
    """Any feedback kind."""
    return st.sampled_from(FeedbackKind)


def priorities() -> st.SearchStrategy[Priority]:
    """Any priority."""
    return st.sampled_from(Priority)


@st.composite
def feedback(draw: st.DrawFn, kind: FeedbackKind | None = None) -> Feedback:
    """Valid feedback; text, score, external id and subject vary."""
    score = draw(st.none() | st.integers(SCORE_MIN, SCORE_MAX))
    text = draw(texts() if score is None else st.just("") | texts())
    return Feedback(
        customer=draw(customers()),
        channel=draw(channels()),
        received_at=draw(aware_datetimes()),
        text=text,
        kind=kind if kind is not None else draw(feedback_kinds()),
        score=score,
        external_id=draw(st.none() | st.uuids().map(str)),
        subject=draw(st.none() | texts()),
    )


def _move(case: Case, step: Step, at: datetime, draw: st.DrawFn) -> Case:
    by = draw(st.sampled_from(["amy", "bo", "chen", "dara"]))
    args: dict[str, Any] = {"at": at, "by": by}
    if step is Step.TAKE_ACTION:
        return domain.take_action(case, summary=draw(texts()), **args)
    if step is Step.DECLINE:
        return domain.decline(case, reason=draw(texts()), **args)
    if step is Step.EXPLAIN:
        return domain.explain(case, what_failed=draw(texts()), what_changes=draw(texts()), **args)
    if step is Step.REOPEN:
        return domain.reopen(case, reason=draw(texts()), **args)
    if step is Step.ACKNOWLEDGE:
        return domain.acknowledge(case, next_contact_by=at + timedelta(days=2), **args)
    return domain.thank(case, **args)


@st.composite
def cases(draw: st.DrawFn, max_steps: int = 8) -> Case:
    """Cases reached by a random sequence of legal steps (and reassignments) from Listen."""
    fb = draw(feedback())
    at = fb.received_at
    case = domain.open_case(draw(st.uuids().map(str)), fb, at=at, priority=draw(priorities()))
    for _ in range(draw(st.integers(0, max_steps))):
        later = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
        at = (instant(at) + later).astimezone(at.tzinfo)  # real time: wall time may go back
        allowed = LATTE.allowed(case)
        if not allowed or draw(st.integers(0, 5)) == 0:
            case = domain.assign(case, at=at, by="lead", owner=draw(st.sampled_from(["amy", "bo"])))
            continue
        case = _move(case, draw(st.sampled_from(allowed)), at, draw)
    return case
