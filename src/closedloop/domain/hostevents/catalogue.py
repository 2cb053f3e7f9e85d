"""Every type of host event: its name, when it is sent, and what its ``data`` holds.

Names are stable; fields are only ever added. Which domain events give which types is in
:mod:`closedloop.domain.hostevents.sources`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from closedloop.domain.cases import events as ev
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.feedback import FeedbackKind
from closedloop.domain.cases.origins import Kano, OriginKind
from closedloop.domain.cases.priority import Priority
from closedloop.domain.hostevents.fields import DataField, Kind, json_value
from closedloop.domain.hostevents.sources import STEP_NAMES, resumed_reason
from closedloop.domain.latte import Stage
from closedloop.domain.surveys.survey import SurveyKind

__all__ = ["KINDS"]

_STR: Mapping[str, object] = {"type": "string"}
_TIME: Mapping[str, object] = {"type": "string", "format": "date-time"}
_INT: Mapping[str, object] = {"type": "integer"}
_BOOL: Mapping[str, object] = {"type": "boolean"}
_TAGS: Mapping[str, object] = {"type": "array", "items": {"type": "string"}}
_FIELDS: Mapping[str, object] = {"type": "object", "additionalProperties": {"type": "string"}}


def _maybe(schema: Mapping[str, object]) -> Mapping[str, object]:
    if "enum" in schema:
        return {"enum": [*schema["enum"], None]}  # type: ignore[misc]
    return {**schema, "type": [schema["type"], "null"]}


def _named(fields: Any) -> dict[str, str]:
    return {f.name: f.value for f in fields}


def _enum(values: Any) -> Mapping[str, object]:
    return {"enum": [v.value for v in values]}


def _attr(name: str, schema: Mapping[str, object], personal: bool = False) -> DataField:
    """A field read from the event's attribute of the same name."""
    return DataField(name, schema, lambda e, _: json_value(getattr(e, name)), personal)


def _renamed(name: str, attr: str, schema: Mapping[str, object]) -> DataField:
    return DataField(name, schema, lambda e, _: json_value(getattr(e, attr)))


def _feedback(name: str, attr: str, schema: Mapping[str, object], personal: bool) -> DataField:
    return DataField(name, schema, lambda e, _: json_value(getattr(e.feedback, attr)), personal)


def _promise(case: Case, promise_id: str) -> ev.Promised | None:
    return next(
        (e for e in case.events if isinstance(e, ev.Promised) and e.promise_id == promise_id),
        None,
    )


def _of_promise(name: str, attr: str, schema: Mapping[str, object], personal: bool) -> DataField:
    def get(e: Any, case: Case) -> object:
        made = _promise(case, e.promise_id)
        return None if made is None else json_value(getattr(made, attr))

    return DataField(name, _maybe(schema), get, personal)


_STAGE = _attr("stage", _enum(Stage))
_DUE = DataField("due_at", _maybe(_TIME), lambda e, _: json_value(getattr(e, "due_at", None)))
_CHANNEL = _attr("channel", _STR)
_REASON = _attr("reason", _STR, personal=True)
_WHY = DataField("reason", _STR, lambda e, _: resumed_reason(e), personal=True)  # a pause ended
_OPENED = (
    _feedback("kind", "kind", _enum(FeedbackKind), False),
    _feedback("channel", "channel", _STR, False),
    _attr("priority", _enum(Priority)),
    _attr("owner", _maybe(_STR)),
    _attr("team", _maybe(_STR)),
    DataField("tags", _TAGS, lambda e, _: list(e.feedback.tags)),
    DataField(
        "origin",
        _maybe(
            {
                "type": "object",
                "properties": {
                    "kind": _enum(OriginKind),
                    "case_id": _maybe(_STR),
                    "invitation_id": _maybe(_STR),
                },
                "required": ["kind", "case_id", "invitation_id"],
                "additionalProperties": False,
            }
        ),
        lambda e, _: (
            None
            if e.origin is None
            else {
                "kind": e.origin.kind.value,
                "case_id": e.origin.case_id,
                "invitation_id": e.origin.invitation_id,
            }
        ),
    ),
    _DUE,
    _feedback("customer", "customer", _STR, True),
    _feedback("subject", "subject", _maybe(_STR), True),
    _feedback("text", "text", _STR, True),
    _feedback("external_id", "external_id", _maybe(_STR), True),
    DataField("fields", _FIELDS, lambda e, _: _named(e.feedback.fields), personal=True),
)
_WROTE = (
    DataField(
        "channel",
        _maybe(_STR),
        lambda e, _: json_value(e.feedback.channel) if hasattr(e, "feedback") else None,
    ),
    _DUE,
    DataField(
        "text",
        _STR,
        lambda e, _: e.feedback.text if hasattr(e, "feedback") else e.text,
        personal=True,
    ),
)
_SURVEY = (
    DataField("invitation_id", _STR, lambda i, _: i.id),
    DataField("survey", _STR, lambda i, _: i.survey.name),
    DataField("survey_kind", _enum(SurveyKind), lambda i, _: i.survey.kind.value),
    DataField("customer", _STR, lambda i, _: i.customer, personal=True),
)


def _kind(name: str, description: str, *fields: DataField) -> Kind:
    return Kind(name, description, tuple(fields))


_ALL = (
    _kind("case.opened", "Feedback opened a case (of any origin).", *_OPENED),
    _kind(
        "recovery.opened", "A low survey score or a ticked 'contact me' opened a case.", *_OPENED
    ),
    _kind(
        "case.acknowledged",
        "The customer was told it arrived, who is on it and when they hear.",
        _STAGE,
        _attr("next_contact_by", _maybe(_TIME)),
        _DUE,
    ),
    _kind(
        "case.action_taken",
        "Something was done about it.",
        _STAGE,
        _DUE,
        _attr("summary", _STR, personal=True),
    ),
    _kind(
        "case.declined",
        "Action was taken by saying no (it goes in the no log).",
        _STAGE,
        _DUE,
        _attr("category", _STR),
        _REASON,
        _attr("asked", _STR, personal=True),
    ),
    _kind("case.thanked", "The customer was thanked.", _STAGE, _DUE),
    _kind(
        "case.explained",
        "The customer was told what failed and what changes.",
        _STAGE,
        _attr("root_cause", _maybe(_STR)),
        _attr("kano", _maybe(_enum(Kano))),
        _attr("what_failed", _STR, personal=True),
        _attr("what_changes", _STR, personal=True),
        _attr("open_promises", _maybe(_STR), personal=True),
    ),
    _kind(
        "case.closed",
        "The loop closed (by an explanation, an answer, or a silent customer).",
        _STAGE,
        DataField("step", _STR, lambda e, _: STEP_NAMES.get(type(e), "case.closed")),
    ),
    _kind("case.lapsed", "The case closed because the customer never answered.", _STAGE, _REASON),
    _kind(
        "case.reopened",
        "The customer said it is not resolved: back to Take action.",
        _STAGE,
        _DUE,
        _REASON,
    ),
    _kind(
        "case.assigned",
        "The case got a new owner or team (a hand-off, or an assignment rule's pick).",
        _attr("owner", _maybe(_STR)),
        _attr("team", _maybe(_STR)),
        _attr("reason", _maybe(_STR)),
        _attr("summary", _maybe(_STR), personal=True),
    ),
    _kind(
        "case.escalated",
        "A standard or a promise was missed: the case went up the ladder.",
        _attr("level", _INT),
        _attr("rung", _STR),
        _attr("target", _STR),
        # A missed promise's escalation names the promise by its words, which are personal
        # (``promise.missed`` carries them as ``what``, with personal data): "promise" here.
        DataField(
            "standard", _STR, lambda e, _: "promise" if e.promise_id else json_value(e.standard)
        ),
        _attr("promise_id", _maybe(_STR)),
        _DUE,
    ),
    _kind(
        "case.warned",
        "A pending step turned amber; its owner (else the ladder's first rung) was warned.",
        _attr("target", _STR),
        _attr("standard", _STR),
        _DUE,
    ),
    _kind(
        "case.escalated_by_customer",
        "The customer took the matter higher (an ombudsman).",
        _attr("to", _STR),
        _CHANNEL,
        _attr("breached", _BOOL),
        _attr("priority", _enum(Priority)),
        _DUE,
    ),
    _kind("case.customer_replied", "The customer wrote again, or answered a question.", *_WROTE),
    _kind(
        "case.replied",
        "Staff wrote to the customer in their own words.",
        _CHANNEL,
        _DUE,
        _attr("text", _STR, personal=True),
    ),
    _kind(
        "case.contact_logged",
        "Staff spoke to the customer outside closedloop.",
        _CHANNEL,
        _DUE,
        _attr("summary", _STR, personal=True),
    ),
    _kind("case.noted", "An internal note was added.", _attr("text", _STR, personal=True)),
    _kind(
        "case.paused",
        "The clocks stopped: the case waits on the customer, a third party or a date.",
        DataField(
            "waiting_on", _STR, lambda e, _: json_value(getattr(e, "waiting_on", "customer"))
        ),
        DataField(
            "resume_by", _maybe(_TIME), lambda e, _: json_value(getattr(e, "resume_by", None))
        ),
        _DUE,
        DataField("reason", _STR, lambda e, _: getattr(e, "reason", ""), personal=True),
        _attr("question", _STR, personal=True),
    ),
    _kind("case.resumed", "The clocks run again (resumed, or the customer wrote).", _DUE, _WHY),
    _kind(
        "case.closing_notice_sent",
        "A silent customer was told the case closes unless they write.",
        _attr("closes_at", _TIME),
        _DUE,
    ),
    _kind(
        "case.tagged",
        "Tags were added to or removed from the case.",
        DataField("added", _TAGS, lambda e, _: list(e.added)),
        DataField("removed", _TAGS, lambda e, _: list(e.removed)),
    ),
    _kind(
        "case.fields_set",
        "Custom fields were set or cleared on the case.",
        DataField("cleared", _TAGS, lambda e, _: list(e.cleared)),
        DataField("values", _FIELDS, lambda e, _: _named(e.values), personal=True),
    ),
    _kind(
        "case.priority_changed",
        "The case's priority changed.",
        _attr("priority", _enum(Priority)),
        _REASON,
    ),
    _kind(
        "case.channel_moved",
        "Replies go out on another channel from now on.",
        _CHANNEL,
        _DUE,
        _REASON,
    ),
    _kind(
        "case.merged",
        "Another case on the same matter was merged into this one.",
        _renamed("merged_case_id", "other", _STR),
        _REASON,
    ),
    _kind(
        "case.merged_into",
        "This case was merged into another, where it continues.",
        _renamed("into_case_id", "into", _STR),
        _REASON,
    ),
    _kind(
        "case.split",
        "Messages of this case became a case of their own.",
        _attr("new_case_id", _STR),
        DataField("messages", _INT, lambda e, _: len(e.moved)),
        _REASON,
    ),
    _kind("case.verification_requested", "The customer was asked whether the fix worked."),
    _kind(
        "case.verified",
        "The customer said whether the fix worked (no reopens the case).",
        _attr("resolved", _BOOL),
        _attr("comment", _STR, personal=True),
    ),
    _kind(
        "promise.made",
        "A promise was made to the customer.",
        _attr("promise_id", _STR),
        _attr("due_by", _TIME),
        _attr("owner", _STR),
        _DUE,
        _attr("what", _STR, personal=True),
    ),
    _kind(
        "promise.kept",
        "A promise was kept.",
        _attr("promise_id", _STR),
        _DUE,
        _attr("note", _STR, personal=True),
    ),
    _kind(
        "promise.missed",
        "A promise was broken: its due time passed unkept (it is escalated too).",
        _attr("promise_id", _STR),
        _of_promise("due_by", "due_by", _TIME, False),
        _of_promise("owner", "owner", _STR, False),
        _attr("level", _INT),
        _attr("rung", _STR),
        _of_promise("what", "what", _STR, True),
    ),
    _kind(
        "promise.warned",
        "A promise's deadline is near: its owner was warned (Policy.lateness).",
        _attr("promise_id", _STR),
        _attr("due_by", _TIME),
        _attr("owner", _STR),
        _DUE,
    ),
    _kind(
        "promise.late_announced",
        "A promise's deadline passed unkept: the customer was told, with the new time.",
        _attr("promise_id", _STR),
        _attr("was_due", _TIME),
        _attr("new_due", _TIME),
        _DUE,
        _attr("what", _STR, personal=True),
    ),
    _kind(
        "survey.invited",
        "A survey invitation was queued for the customer.",
        *_SURVEY,
        DataField("case_id", _maybe(_STR), lambda i, _: i.case_id),
        DataField("expires_at", _maybe(_TIME), lambda i, _: json_value(i.expires_at)),
    ),
    _kind(
        "survey.suppressed",
        "The survey rules said not to invite the customer.",
        *_SURVEY,
        DataField("reason", _maybe(_STR), lambda i, _: json_value(i.reason)),
    ),
    _kind(
        "survey.answered",
        "The customer answered a survey (a score, a skip or a dismissal).",
        *_SURVEY,
        DataField("score", _maybe(_INT), lambda i, _: i.response.score),
        DataField("answer", _STR, lambda i, _: i.response.answer.status.value),
        DataField("contact_me", _BOOL, lambda i, _: i.response.contact_me),
        DataField("needs_recovery", _BOOL, lambda i, _: i.needs_recovery),
        DataField("recovery_case_id", _maybe(_STR), lambda i, _: i.recovery_case_id),
        DataField("comment", _maybe(_STR), lambda i, _: i.response.comment, personal=True),
    ),
    _kind("survey.expired", "An invitation closed unanswered.", *_SURVEY),
    _kind(
        "survey.withdrawn",
        "An invitation was withdrawn (its case reopened, say).",
        *_SURVEY,
        DataField("note", _maybe(_STR), lambda i, _: i.note),
    ),
)

KINDS: Mapping[str, Kind] = {k.name: k for k in _ALL}
"""Every host event type by name."""
