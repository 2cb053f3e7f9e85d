"""Recovery figures: did low scores reach a human in time, and were customers won back?

Pure: the service streams the period's answers and looks up the cases; these functions
only count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs

from closedloop.domain.cases.case import Case
from closedloop.domain.checks import instant
from closedloop.domain.standards.standard import Standards, Target
from closedloop.domain.surveys.invitation import Invitation

__all__ = ["RecoveryFigures", "contact_deadline", "recovery_figures"]


@attrs.frozen
class RecoveryFigures:
    """Recovery over a period's answers. Rates are None when their denominator is zero."""

    answers: int
    """Answers received in the period."""
    needing_recovery: int
    """Those with a low score or "contact me" ticked."""
    contacted: int
    """Of those, the ones whose customer staff spoke to in person (their own words or a logged call;
    a template does not count)."""
    contacted_in_time: int
    """Of those, the ones contacted within the contact standard."""
    time_to_contact_median: timedelta | None
    """The median time from the answer to the contact, over those contacted; None when none was."""
    detractors: int
    """Distinct customers who gave a low score."""
    recovered: int
    """Detractors whose next answer to the same survey, at any time later, was not low."""

    @property
    def close_the_loop_rate(self) -> float | None:
        """Share of answers needing recovery whose customer was contacted within standard."""
        return self.contacted_in_time / self.needing_recovery if self.needing_recovery else None

    @property
    def recovery_rate(self) -> float | None:
        """Share of detractors who later answered with a score that is not low."""
        return self.recovered / self.detractors if self.detractors else None


def contact_deadline(case: Case, standards: Standards) -> datetime | None:
    """When the customer behind a recovery case must have been contacted in person."""
    standard = standards.for_case(case, Target.CONTACT)
    return None if standard is None else standard.calendar.add(case.opened_at, standard.within)


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def recovery_figures(
    answers: Iterable[Invitation],
    *,
    case: Callable[[str], Case],
    later_answers: Callable[[Invitation], Iterable[Invitation]],
    standards: Standards,
    person: Callable[[str], str] = str,
) -> RecoveryFigures:
    """Count recovery over ``answers`` (one period's, in any order). ``case`` loads a
    recovery case by id; ``later_answers`` gives a customer's answers (from every handle
    of theirs) after a given one; ``person`` who a handle is, so that the low scores of one
    customer's handles make one detractor, from their earliest."""
    total = needing = contacted = in_time = 0
    waits: list[timedelta] = []
    detractors: dict[str, Invitation] = {}
    for answer in answers:
        total += 1
        response = answer.response
        if response is None or not answer.needs_recovery:
            continue
        needing += 1
        if answer.is_low:
            who = person(answer.customer)
            earlier = detractors.get(who)
            if earlier is None or _key(answer) < _key(earlier):
                detractors[who] = answer
        if answer.recovery_case_id is None:
            continue
        recovery = case(answer.recovery_case_id)
        reached = recovery.contacted_at  # in person: a template acknowledgement is not it
        if reached is None:
            continue
        contacted += 1
        start = max(instant(response.received_at), instant(recovery.opened_at))
        waits.append(max(instant(reached) - start, timedelta(0)))
        deadline = contact_deadline(recovery, standards)
        if deadline is None or instant(reached) <= instant(deadline):
            in_time += 1
    recovered = sum(1 for first in detractors.values() if _won_back(first, later_answers(first)))
    return RecoveryFigures(
        answers=total,
        needing_recovery=needing,
        contacted=contacted,
        contacted_in_time=in_time,
        time_to_contact_median=_median(waits),
        detractors=len(detractors),
        recovered=recovered,
    )


def _key(answer: Invitation) -> tuple[datetime, str]:
    assert answer.response is not None
    return instant(answer.response.received_at), answer.id


def _won_back(first: Invitation, later: Iterable[Invitation]) -> bool:
    assert first.response is not None
    after = instant(first.response.received_at)
    following = sorted(
        (
            a
            for a in later
            if a.response is not None
            and a.response.score is not None
            and a.survey.name == first.survey.name
            and instant(a.response.received_at) > after
        ),
        key=lambda a: (instant(a.response.received_at), a.id),  # type: ignore[union-attr]
    )
    return bool(following) and not following[0].is_low
