"""Which host event types a case's domain event, or a change to a survey invitation, gives.

A domain event may give two: an explanation is ``case.explained`` and ``case.closed``; a
recovery case's opening is ``case.opened`` and ``recovery.opened``; a missed promise is
``case.escalated`` and ``promise.missed``; the customer's word that ends a pause (their
reply, a message, a duplicate merged in that they were owed a reply on) is
``case.customer_replied`` (or ``case.merged``) and ``case.resumed``. A promise moved to a new
time gives ``promise.late_announced`` only when the customer was told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from closedloop.domain.cases import contact
from closedloop.domain.cases import events as ev
from closedloop.domain.cases.label_events import FieldsSet, Tagged
from closedloop.domain.cases.lateness import PromiseLate, PromiseWarned
from closedloop.domain.cases.origins import OriginKind
from closedloop.domain.latte import Stage
from closedloop.domain.surveys.invitation import Invitation, InvitationStatus

__all__ = ["STEP_NAMES", "case_kinds", "invitation_kinds", "is_a_customers_word", "resumed_reason"]

_BY_EVENT: Mapping[type, str] = {
    ev.CaseOpened: "case.opened",
    ev.Acknowledged: "case.acknowledged",
    ev.ActionTaken: "case.action_taken",
    ev.Declined: "case.declined",
    ev.Thanked: "case.thanked",
    ev.Explained: "case.explained",
    contact.Lapsed: "case.lapsed",
    ev.Reopened: "case.reopened",
    ev.Assigned: "case.assigned",
    ev.Escalated: "case.escalated",
    ev.Warned: "case.warned",
    ev.CustomerEscalated: "case.escalated_by_customer",
    ev.CustomerReplied: "case.customer_replied",
    ev.MessageAdded: "case.customer_replied",
    contact.MessageReceived: "case.customer_replied",
    contact.Replied: "case.replied",
    contact.ContactLogged: "case.contact_logged",
    contact.Noted: "case.noted",
    contact.Paused: "case.paused",
    ev.AwaitingCustomer: "case.paused",
    contact.Resumed: "case.resumed",
    contact.ClosingNoticeSent: "case.closing_notice_sent",
    Tagged: "case.tagged",
    FieldsSet: "case.fields_set",
    ev.PriorityChanged: "case.priority_changed",
    ev.ChannelMoved: "case.channel_moved",
    ev.CasesMerged: "case.merged",
    ev.MergedInto: "case.merged_into",
    ev.SplitOff: "case.split",
    ev.VerificationRequested: "case.verification_requested",
    ev.Verified: "case.verified",
    ev.Promised: "promise.made",
    ev.PromiseKept: "promise.kept",
    PromiseWarned: "promise.warned",
    PromiseLate: "promise.late_announced",
}
STEP_NAMES: Mapping[type, str] = {
    cls: name for cls, name in _BY_EVENT.items() if issubclass(cls, ev.StepEvent)
}
"""The host event type of each LATTE step event (the step that closed a case)."""


def case_kinds(event: ev.Event, history: Sequence[ev.Event]) -> tuple[str, ...]:
    """The host event types one of a case's domain events gives, in order (none for the
    engine's bookkeeping: a reschedule, an erasure). ``history`` is the case's events (at
    least up to ``event``): whether it was paused before."""
    name = _BY_EVENT.get(type(event))
    if name is None or (isinstance(event, PromiseLate) and not event.told):
        return ()  # a miss the customer could not be told of is counted, not announced
    found = [name]
    if isinstance(event, ev.CaseOpened) and event.origin is not None:
        if event.origin.kind is OriginKind.RECOVERY:
            found.append("recovery.opened")
    elif isinstance(event, ev.StepEvent) and event.stage is Stage.CLOSED:
        found.append("case.closed")
    elif isinstance(event, ev.Escalated) and event.promise_id is not None:
        found.append("promise.missed")
    elif is_a_customers_word(event) and contact.paused_before(history, event.version):
        found.append("case.resumed")  # the clocks run again, as after a resume
    return tuple(found)


def is_a_customers_word(event: ev.Event) -> bool:
    """Whether ``event`` is the customer's word reaching the case: their reply, a message,
    or a merged duplicate with a message of theirs still unanswered (each ends a pause)."""
    if isinstance(event, ev.CasesMerged):
        return event.unanswered_since is not None
    return isinstance(event, ev.CustomerReplied | ev.MessageAdded | contact.MessageReceived)


def resumed_reason(event: ev.Event) -> str:
    """Why ``event`` ended a pause, as its ``case.resumed`` says: staff's (or the sweep's)
    reason, or the customer's word."""
    if isinstance(event, contact.Resumed):
        return event.reason
    if isinstance(event, ev.CasesMerged):
        return "a merged case brought a message from the customer"
    return "the customer wrote"


_SETTLED = {
    InvitationStatus.ANSWERED: "survey.answered",
    InvitationStatus.EXPIRED: "survey.expired",
    InvitationStatus.WITHDRAWN: "survey.withdrawn",
}


def invitation_kinds(invitation: Invitation, expected_version: int) -> tuple[str, ...]:
    """The host event types a committed change to ``invitation`` (from
    ``expected_version``) gives: a new one is invited or suppressed; one that reached
    answered, expired or withdrawn says so (an invitation settles once)."""
    status = invitation.status
    if expected_version == 0 and status is InvitationStatus.QUEUED:
        return ("survey.invited",)
    if expected_version == 0 and status is InvitationStatus.SUPPRESSED:
        return ("survey.suppressed",)
    settled = _SETTLED.get(status)
    return () if settled is None else (settled,)
