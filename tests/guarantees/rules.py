"""The guarantees of docs/guarantees.md as checks on a Desk, one function per rule.

Each check reads only the public API, works the answer out from the case's history on its
own (it does not ask closedloop's own helpers the question it checks), and raises
AssertionError saying which rule broke and where. The whole-Desk state machine
(test_whole_desk.py) runs them after every step.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from closedloop import (
    Case,
    Channel,
    CustomerView,
    Desk,
    FeedbackKind,
    Invitation,
    Notification,
    OriginKind,
    Queue,
    Rag,
    Stage,
    SummaryPage,
    SweepReport,
    Target,
)
from closedloop.domain.cases.case import replay
from closedloop.domain.cases.contact import (
    ContactLogged,
    MessageReceived,
    Noted,
    Paused,
    Replied,
)
from closedloop.domain.cases.events import (
    Acknowledged,
    ActionTaken,
    CaseOpened,
    CasesMerged,
    CustomerReplied,
    Erased,
    Escalated,
    Event,
    Explained,
    MessageAdded,
    Reopened,
    StepEvent,
    Thanked,
)
from closedloop.domain.cases.lateness import PromiseLate
from closedloop.domain.checks import instant
from closedloop.insights import compute
from closedloop.ports import CaseStore

#: The customer's own words.
CUSTOMER_WORDS: tuple[type[Event], ...] = (
    CaseOpened, MessageAdded, MessageReceived, CustomerReplied,
)  # fmt: skip


def _answers_customer(case_kind: FeedbackKind, event: Event) -> bool:
    """Staff wrote or spoke to the customer: a template step, their own words, a call."""
    if isinstance(event, Acknowledged | Thanked | Explained | Replied | ContactLogged):
        return True
    if isinstance(event, Paused):
        return bool(event.question)
    return isinstance(event, ActionTaken) and case_kind is FeedbackKind.QUESTION


def owed_a_reply(case: Case) -> datetime | None:
    """When the customer spoke, if nothing staff sent them came after it (in history order)."""
    owed: datetime | None = None
    for event in case.events:
        if isinstance(event, CUSTOMER_WORDS) or (
            isinstance(event, Reopened) and event.by == case.customer
        ):
            owed = owed or event.at
        elif isinstance(event, CasesMerged) and event.unanswered_since is not None:
            earlier = [t for t in (owed, event.unanswered_since) if t is not None]
            owed = min(earlier, key=instant)  # a duplicate nobody had answered joined
        elif _answers_customer(case.kind, event):
            owed = None
    return owed


def g1_every_active_case_waits_on_someone(desk: Desk, case: Case, queued: set[str]) -> None:
    """G1: an active case has a deadline, or is paused with a reason and a resume-by time
    (or is at the top of the ladder, past every deadline); and it is in exactly one work
    queue, the one its state says (``queued``: the ids found in that queue)."""
    if not case.is_active:
        assert case.queue is None, f"G1: closed or merged case {case.id} is in a queue"
        return
    if case.pause is not None:
        assert case.pause.reason, f"G1: case {case.id} is paused without a reason"
        assert case.pause.resume_by is not None, f"G1: case {case.id} is paused for good"
        assert case.due_at is not None, f"G1: paused case {case.id} is watched by no sweep"
    elif case.due_at is None:
        assert case.escalation_level >= desk.policy.ladder.top, (
            f"G1: active case {case.id} at {case.stage.value} has no deadline"
        )
    assert case.id in queued, f"G1: active case {case.id} is not in its queue {case.queue}"


def g2_every_customer_message_is_owed_a_reply(desk: Desk, case: Case) -> None:
    """G2: an active case whose customer spoke after staff last answered them is in the
    queue of cases owed a reply (or, never acknowledged, of unanswered ones), with a
    deadline (or escalated to the top of the ladder already); a pause does not hide it."""
    if not case.is_active:
        return
    spoke = owed_a_reply(case)
    if spoke is None:
        assert case.queue is not Queue.AWAITING_REPLY, (
            f"G2: case {case.id} waits for a reply though staff answered last"
        )
        return
    expected = Queue.UNANSWERED if case.stage is Stage.LISTENED else Queue.AWAITING_REPLY
    assert case.queue is expected, (
        f"G2: the customer of case {case.id} wrote at {spoke}, but it is in {case.queue}"
    )
    assert case.due_at is not None or case.escalation_level >= desk.policy.ladder.top, (
        f"G2: the reply owed on case {case.id} has no deadline"
    )


def g3_a_low_score_reaches_a_person(desk: Desk, case: Case, now: datetime) -> None:
    """G3: a recovery case gets a personal contact (staff's own words or a logged call)
    within its standard, or it is escalated; a template does not count."""
    if case.origin is None or case.origin.kind is not OriginKind.RECOVERY or not case.is_active:
        return
    contacted = next((e.at for e in case.events if isinstance(e, Replied | ContactLogged)), None)
    assert case.contacted_at == contacted, f"G3: case {case.id} counts a template as contact"
    standard = desk.policy.standards.for_case(case, Target.CONTACT)
    if standard is None or contacted is not None:
        return
    deadline = standard.calendar.add(case.opened_at, standard.within)
    if instant(now) > instant(deadline) + timedelta(hours=1):  # a sweep ran since
        assert any(isinstance(e, Escalated) for e in case.events), (
            f"G3: recovery case {case.id} was due a personal contact by {deadline}, had none "
            "and was not escalated"
        )


def no_survey_about_an_open_matter(desk: Desk, case: Case) -> None:
    """Nobody is asked "how did we do?" about a matter that is not resolved: no invitation
    about a case still open, or merged into another (where the matter goes on), is open."""
    if case.is_closed and case.merged_into is None:
        return
    for invitation in desk.surveys.of_customer(case.customer):
        assert not (invitation.case_id == case.id and invitation.is_open), (
            f"invitation {invitation.id} about case {case.id} is {invitation.status.value}, "
            f"but the case is {'merged' if case.merged_into else 'open'}"
        )


def g4_one_customer_is_one_customer(
    desk: Desk, handles: Iterable[str], invitations: Iterable[Invitation], since: datetime
) -> None:
    """G4: across every handle of one customer, known as one since ``since`` (when they were
    linked), one survey reaches them at most once per survey cooldown, and at most one
    recovery case is open at a time."""
    cooldown = desk.policy.surveys.survey_cooldown
    asked = sorted(
        (i for i in invitations if i.reached_customer and i.token_digests),
        key=lambda i: (i.survey.name, instant(i.created_at)),
    )
    for a, b in itertools.pairwise(asked):
        if a.survey.name == b.survey.name and instant(b.created_at) > instant(since):
            gap = instant(b.created_at) - instant(a.created_at)
            assert gap >= cooldown, (
                f"G4: {a.customer} and {b.customer} (one customer) were both asked "
                f"{a.survey.name!r} within {gap}"
            )
    recoveries = sorted(
        (
            c
            for handle in set(handles)
            for c in desk.cases_of(handle)
            if c.is_active and c.origin is not None and c.origin.kind is OriginKind.RECOVERY
        ),
        key=lambda c: instant(c.opened_at),
    )
    if len(recoveries) > 1:
        assert instant(recoveries[-1].opened_at) <= instant(since), (
            f"G4: one customer has recovery cases {[c.id for c in recoveries]} open"
        )


def g5_nothing_marked_sent_unless_handed_over(
    marked_sent: Iterable[str], handed: Iterable[str]
) -> None:
    """G5: every key the outbox settled as sent was handed to the notifier."""
    missing = set(marked_sent) - set(handed)
    assert not missing, f"G5: marked sent but never handed to a notifier: {sorted(missing)}"


#: What each case event type says happened, as the case's history holds it (G7).
_CASE_EVENT_CLASSES: dict[str, tuple[str, ...]] = {
    "case.opened": ("CaseOpened",),
    "recovery.opened": ("CaseOpened",),
    "case.acknowledged": ("Acknowledged",),
    "case.action_taken": ("ActionTaken",),
    "case.declined": ("Declined",),
    "case.thanked": ("Thanked",),
    "case.explained": ("Explained",),
    "case.reopened": ("Reopened",),
    "case.assigned": ("Assigned",),
    "case.escalated": ("Escalated",),
    "promise.missed": ("Escalated",),
    "case.customer_replied": ("CustomerReplied", "MessageAdded", "MessageReceived"),
    "case.paused": ("Paused", "AwaitingCustomer"),
    "promise.made": ("Promised",),
    "promise.kept": ("PromiseKept",),
    "promise.warned": ("PromiseWarned",),
    "promise.late_announced": ("PromiseLate",),
}
_SURVEY_STATUS = {
    "survey.answered": "answered",
    "survey.expired": "expired",
    "survey.withdrawn": "withdrawn",
    "survey.suppressed": "suppressed",
}


def g7_every_event_delivered_was_committed(desk: Desk, delivered: Iterable[dict[str, Any]]) -> None:
    """G7: every host event handed to the host stands for a change the store committed: the
    case's history holds the event at that version and instant (of a type that gives it),
    or the invitation reached the state the event says; one id is always one event."""
    seen: dict[str, dict[str, Any]] = {}
    for event in delivered:
        first = seen.setdefault(event["id"], event)
        assert first == event, f"G7: event {event['id']} was delivered twice, differently"
        name, data = event["type"], event["data"]
        if name.startswith("survey."):
            invitation = desk.surveys.get(data["invitation_id"])
            wanted = _SURVEY_STATUS.get(name)
            assert wanted is None or invitation.status.value == wanted, (
                f"G7: {name} delivered for invitation {invitation.id}, which is "
                f"{invitation.status.value}"
            )
            continue
        case = desk.get(event["case_id"])
        version = data["case_version"]
        assert version <= len(case.events), (
            f"G7: {event['id']} delivered, but case {case.id} has no version {version}"
        )
        happened = case.events[version - 1]
        assert happened.at.isoformat() == event["occurred_at"], f"G7: {event['id']} at another time"
        classes = _CASE_EVENT_CLASSES.get(name)
        assert classes is None or type(happened).__name__ in classes, (
            f"G7: {event['id']} delivered for a {type(happened).__name__}"
        )
        if name == "case.closed":
            assert getattr(happened, "stage", None) is Stage.CLOSED, f"G7: {event['id']} not closed"


def g6_a_move_keeps_history_and_deadlines(before: Case, after: Case, channel: Channel) -> None:
    """G6: moving a case to another channel keeps its history, its deadlines and its
    promises, and the new channel is in its channel history."""
    assert after.events[: len(before.events)] == before.events, "G6: the move lost history"
    assert after.due_at == before.due_at, (
        f"G6: moving case {before.id} to {channel.name} moved its deadline "
        f"from {before.due_at} to {after.due_at}"
    )
    assert after.promises == before.promises, "G6: the move changed the promises"
    assert channel in after.channels, f"G6: {channel.name} is missing from case.channels"


def a_merge_keeps_every_decline(into: Case, other: Case, after: Case) -> None:
    """A merge loses no decline: the case the matter goes on on holds the record of every
    request declined on either case (and on those merged into them), each once."""
    had = sorted((*into.declines, *other.declines), key=repr)
    assert sorted(after.declines, key=repr) == had, (
        f"merging case {other.id} into {into.id} left declines {after.declines}, not {had}"
    )


def a_split_keeps_every_decline(before: Case, kept: Case, new: Case) -> None:
    """A split loses no decline and copies none: each record stays or goes to the new case,
    and it goes exactly when it came from another case and the split takes the messages of
    the customer it was said to, leaving none of theirs."""
    assert sorted((*kept.declines, *new.declines), key=repr) == sorted(before.declines, key=repr), (
        f"splitting case {before.id} left declines {kept.declines} and {new.declines}, "
        f"not {before.declines}"
    )
    staying = {m.customer for m in kept.messages}
    going = {m.customer for m in new.messages} - staying
    for no in before.declines:
        goes = no.case_id != before.id and no.customer in going
        assert (no in new.declines) is goes, (
            f"splitting case {before.id}: the decline said to {no.customer} on case "
            f"{no.case_id} {'stayed' if goes else 'went'}"
        )


def reopen_within_the_window(case: Case, window: timedelta) -> None:
    """G2's window: a closed case reopens only within the reopen window of its closing."""
    closed_at: datetime | None = None
    for event in case.events:
        if isinstance(event, Reopened) and closed_at is not None:
            late = instant(event.at) - instant(closed_at)
            assert late <= window, f"reopen window: case {case.id} reopened {late} after closing"
        if isinstance(event, StepEvent):
            closed_at = event.at if event.stage is Stage.CLOSED else None


def g8_nothing_internal_on_the_status_page(
    page: CustomerView, case: Case, own: frozenset[str]
) -> None:
    """G8: the customer's status page shows no internal note, call summary or action summary
    (unless the same words were said to the customer), and what "you wrote" only what one
    of their handles (``own``) wrote."""
    internal = {e.text for e in case.events if isinstance(e, Noted)}
    internal |= {e.summary for e in case.events if isinstance(e, ContactLogged | ActionTaken)}
    public = {e.text for e in case.events if isinstance(e, Replied)}
    public |= {m.text for m in case.messages}
    shown = [entry.text for entry in page.entries]
    for text in internal - public:
        assert not any(text in seen for seen in shown), f"G8: {text!r} is on the status page"
    written = [getattr(e, "feedback", None) for e in case.events]  # split off since, too
    written += [m for e in case.events for m in getattr(e, "messages", ())]
    theirs = {fb.text for fb in written if fb is not None and fb.customer in own}
    for entry in page.entries:
        if entry.what == "You wrote":
            assert entry.text in theirs, f"G8: {entry.text!r} is not theirs to have written"


def nothing_written_on_a_channel_that_cannot_carry_it(sent: Iterable[Notification]) -> None:
    """G5's companion: no message is handed over on a channel that carries no writing (a
    phone caller's message goes to a written address linked to them, or is not written)."""
    for notification in sent:
        assert notification.channel.written, (
            f"{notification.key} was handed over on {notification.channel.name}, which "
            "carries no written message"
        )


def a_missed_promise_is_announced(desk: Desk, case: Case, now: datetime) -> None:
    """Honest lateness: once the sweep has nothing left to do, under a policy that notifies,
    no promise the sweep awaits (an explicit one, the acknowledgement's promise of a next
    contact) is past its deadline — each miss was announced and moved to a new time — and a
    miss recorded without telling the customer was on a channel that carries no writing, or
    of a customer erased (nobody reads their pseudonym)."""
    lateness = desk.policy.lateness
    if not lateness.notifies or case.merged_into is not None:
        return
    awaited = [p for p in case.promises if p.watched]
    if case.contact_promise is not None and case.contact_promise.is_open:
        awaited.append(case.contact_promise)
    late = [p.id for p in awaited if p.overdue(now)]
    assert not late, f"case {case.id}: promises {late} missed and not announced"
    for event in case.events:
        if isinstance(event, PromiseLate):
            assert event.was_due < event.at < event.new_due, event
            if event.at == now and not event.told:
                erased = any(isinstance(e, Erased) for e in case.events)
                then = replay(case.events[: event.version - 1])  # the channel when it missed
                assert erased or not then.reply_channel.written, (
                    f"case {case.id}: a silent miss {event}"
                )


def a_sweep_leaves_nothing_due(store: CaseStore, now: datetime, report: SweepReport) -> None:
    """The sweep moves each case it sweeps past now (``docs/standards.md``): right after it,
    at the same instant, no case is due but those it could not read, and a second sweep
    would have nothing to do."""
    due = [ref.id for ref in store.due(now, 10_000)]
    assert set(due) <= set(report.unreadable), f"still due after the sweep at {now}: {due}"


def found_are_those_that_match(
    desk: Desk, found: list[str], case_ids: list[str], owner: str | None, rag: Rag | None
) -> None:
    """``desk.queues.find`` lists each case once, only active cases with that owner and RAG
    status now (as ``desk.standards.status`` reads it), and every such case the machine
    opened (``case_ids``; recovery cases it did not open may be listed too)."""

    def matches(case_id: str) -> bool:
        case = desk.get(case_id)
        if not case.is_active or (owner is not None and case.owner != owner):
            return False
        return rag is None or desk.standards.status(case_id) is rag

    assert len(found) == len(set(found))
    wrong = [case_id for case_id in found if not matches(case_id)]
    missed = [case_id for case_id in case_ids if case_id not in found and matches(case_id)]
    assert not wrong, f"listed but not matching: {wrong}"
    assert not missed, f"matching but not listed: {missed}"


def summaries_say_what_cases_say(desk: Desk, page: SummaryPage, found: list[str]) -> None:
    """``desk.queues.summaries`` lists the cases ``find`` listed for the same query (the
    first page of each), each summary as the case and ``desk.standards.status`` say."""
    assert [s.id for s in page.summaries] == found
    for summary in page.summaries:
        case = desk.get(summary.id)
        said = (summary.version, summary.stage, summary.owner, summary.team, summary.tags)
        assert said == (case.version, case.stage, case.owner, case.team, case.tags), summary
        assert summary.updated_at == case.events[-1].at, summary
        assert summary.rag is desk.standards.status(case.id), summary


def reports_read_what_replay_reads(
    desk: Desk, store: CaseStore, since: datetime, until: datetime
) -> None:
    """A report from the read model (each commit's facts) has the figures of replaying
    every case, under the desk's own standards."""
    policy = desk.policy
    replayed = compute(
        store, since, until, standards=policy.standards, lifecycle=policy.lifecycle, replay=True
    )
    assert desk.reports.insights(since, until) == replayed, "the read model disagrees"
