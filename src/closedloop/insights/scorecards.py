"""The KPIs per agent, team and tag: each case's section counted for whom it belonged to at
the period's end, and the survey answers about it joined to the same owner, team and tags."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from closedloop.domain.cases.case import Case
from closedloop.domain.errors import CaseNotFoundError
from closedloop.domain.reports.facts import Attribution
from closedloop.domain.reports.measure import as_of
from closedloop.domain.reports.totals import COUNTS, attributed
from closedloop.domain.surveys.invitation import Invitation
from closedloop.domain.surveys.scoring import csat, nps
from closedloop.domain.surveys.survey import Answer, SurveyKind
from closedloop.insights.figures import Scorecard, Section
from closedloop.ports import CaseStore, ReadsManyCases, ReportStorage

__all__ = ["GROUPS", "SurveysByCase", "attributions", "scorecards"]

#: The groups a case is counted in for whom it belongs to (see ``attributed``).
GROUPS = ("owner", "team", "tag")
_KINDS = (SurveyKind.CSAT, SurveyKind.NPS)
_PAGE = 500
_EMPTY = Section(**dict.fromkeys(COUNTS, 0), kpis=())


def attributions(
    store: CaseStore, case_ids: Sequence[str], until: datetime, *, read_model: bool
) -> dict[str, Attribution]:
    """The owner, team and tags of each of ``case_ids`` as it stood at ``until``: from the
    read model where its facts hold there (``read_model``), else from the case replayed.
    A case the store does not hold has none."""
    found: dict[str, Attribution] = {}
    if read_model and isinstance(store, ReportStorage):
        found.update(store.attributions(case_ids, until))
    missing = [case_id for case_id in case_ids if case_id not in found]
    for case in _cases(store, missing):
        then = as_of(case, until)
        if then is not None:
            found[case.id] = Attribution.of(then)
    return found


def _cases(store: CaseStore, case_ids: Sequence[str]) -> Iterator[Case]:
    if isinstance(store, ReadsManyCases):
        yield from store.get_many(case_ids).values()
        return
    for case_id in case_ids:
        try:
            yield store.get(case_id)
        except CaseNotFoundError:
            continue


class SurveysByCase:
    """CSAT and NPS answers counted for the owner, team and tags of the case they are
    about, a page of answers at a time (relationship surveys, about no case, count for
    nobody here)."""

    def __init__(self, store: CaseStore, until: datetime, *, read_model: bool) -> None:
        self._store, self._until, self._read_model = store, until, read_model
        self._pending: list[tuple[str, SurveyKind, Answer]] = []
        self.counts: dict[tuple[str, str], dict[tuple[SurveyKind, Answer], int]] = {}

    def add(self, invitation: Invitation) -> None:
        """Count one answered invitation."""
        kind = invitation.survey.kind
        if invitation.response is None or invitation.case_id is None or kind not in _KINDS:
            return
        self._pending.append((invitation.case_id, kind, invitation.response.answer))
        if len(self._pending) >= _PAGE:
            self.flush()

    def flush(self) -> None:
        """Attribute and count the answers held."""
        ids = sorted({case_id for case_id, _, _ in self._pending})
        found = attributions(self._store, ids, self._until, read_model=self._read_model)
        for case_id, kind, answer in self._pending:
            attribution = found.get(case_id)
            if attribution is None:
                continue
            for key in attributed(attribution):
                tally = self.counts.setdefault(key, {})
                tally[kind, answer] = tally.get((kind, answer), 0) + 1
        self._pending.clear()

    def answers(self, key: tuple[str, str], kind: SurveyKind) -> Iterator[Answer]:
        """The answers of ``kind`` counted for ``key`` (``("owner", name)``...)."""
        for (k, answer), n in self.counts.get(key, {}).items():
            if k is kind:
                yield from itertools.repeat(answer, n)


def scorecards(
    group: str, sections: Mapping[str, Section], surveys: SurveysByCase
) -> tuple[Scorecard, ...]:
    """The scorecards of ``group`` (``"owner"``, ``"team"`` or ``"tag"``) from its sections
    by name (``""``: nobody's) and the answers counted for each: by name, nobody's last."""
    names = set(sections) | {name for g, name in surveys.counts if g == group}
    return tuple(
        Scorecard(
            name or None,
            sections.get(name, _EMPTY),
            csat(surveys.answers((group, name), SurveyKind.CSAT)),
            nps(surveys.answers((group, name), SurveyKind.NPS)),
        )
        for name in sorted(names, key=lambda n: (n == "", n))
    )
