"""Labelling a case and routing it to a team: the step functions staff call (:func:`tag`,
:func:`set_fields`, :func:`route`). Like every step, none reads a clock or does I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from closedloop.domain.cases.case import Case, apply
from closedloop.domain.cases.events import Assigned
from closedloop.domain.cases.label_events import FieldsSet, Tagged
from closedloop.domain.cases.labels import (
    MAX_LABELS,
    field_values,
    require_field_name,
    tags_of,
)
from closedloop.domain.checks import (
    require_actor,
    require_aware,
    require_filled,
    require_key,
    shown,
)
from closedloop.domain.errors import ValidationError

__all__ = ["route", "set_fields", "tag"]


def tag(
    case: Case,
    *,
    at: datetime,
    by: str,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> Case:
    """Add the tags ``add`` and remove those in ``remove``; a tag named in both is refused.
    Tags the case has already (or lacks, for ``remove``) are left out of the event; when
    nothing changes the case is returned as it was, with no event."""
    added, removed = tags_of(add, "add"), tags_of(remove, "remove")
    both = set(added) & set(removed)
    if both:
        raise ValidationError.of(
            "remove", f"a tag cannot be both added and removed: {sorted(both)}"
        )
    had = set(case.tags)
    added = tuple(t for t in added if t not in had)
    removed = tuple(t for t in removed if t in had)
    count = len(had) + len(added) - len(removed)
    if count > MAX_LABELS and added:
        raise ValidationError.of(
            "add", f"a case may have at most {MAX_LABELS} tags; this makes {count}"
        )
    if not added and not removed:
        require_aware("at", at)
        require_actor(by)
        return case
    event = Tagged(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=require_actor(by),
        added=added,
        removed=removed,
    )
    return apply(case, event)


def set_fields(
    case: Case,
    *,
    at: datetime,
    by: str,
    values: object,
    clear: Iterable[str] = (),
) -> Case:
    """Set the custom fields in ``values`` (a mapping of names to strings) and clear those
    named in ``clear``. Values the case has already are left out of the event; when nothing
    changes the case is returned as it was, with no event."""
    new = field_values(values, "values")
    if isinstance(clear, str) or not isinstance(clear, Iterable):
        raise ValidationError.of(
            "clear", f"clear must be a list of field names, e.g. ['plan'], got {shown(clear)}"
        )
    cleared = tuple(sorted({require_field_name(n, "clear") for n in clear}))
    both = {f.name for f in new} & set(cleared)
    if both:
        raise ValidationError.of("clear", f"a field cannot be both set and cleared: {sorted(both)}")
    have = {f.name: f.value for f in case.fields}
    new = tuple(f for f in new if have.get(f.name) != f.value)
    cleared = tuple(n for n in cleared if n in have)
    require_aware("at", at)
    require_actor(by)
    if not new and not cleared:
        return case
    count = len({*have, *(f.name for f in new)} - set(cleared))
    if count > MAX_LABELS and count > len(have):
        raise ValidationError.of(
            "values", f"a case may have at most {MAX_LABELS} custom fields; this makes {count}"
        )
    event = FieldsSet(
        case_id=case.id, version=case.version + 1, at=at, by=by, values=new, cleared=cleared
    )
    return apply(case, event)


def route(
    case: Case,
    *,
    at: datetime,
    by: str,
    owner: str | None,
    team: str | None,
    reason: str = "manual",
    summary: str | None = None,
) -> Case:
    """Give the case to ``owner`` (None: nobody, back to the team's queue) in ``team``
    (None: no team), saying why (``reason``: ``"manual"``, an assignment rule's name...) and,
    for a hand-off, what the next owner needs to know (``summary``)."""
    if owner is not None:
        require_key("owner", owner)
    if team is not None:
        require_key("team", team)
    require_filled("reason", reason)
    if summary is not None:
        require_filled("summary", summary)
    event = Assigned(
        case_id=case.id,
        version=case.version + 1,
        at=require_aware("at", at),
        by=require_actor(by),
        owner=owner,
        team=team,
        reason=reason,
        summary=summary,
    )
    return apply(case, event)
