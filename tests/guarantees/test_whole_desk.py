"""The whole Desk under random use, on the in-memory store and SQLite at once.

One hypothesis state machine drives the public surface as time passes — feedback from linked
handles and several channels, every LATTE step, replies, notes, logged calls, pauses and
customer replies, moves, merges and splits, reopening and verification, invitations and
answers (low ones included), promises, erasure, sweeps and dispatches through a notifier and a
host event handler that sometimes fail — on two desks sharing one clock: one on InMemoryStore,
one on SQLiteStore. Every call must give both the same result, and the rules of
docs/guarantees.md (tests/guarantees/rules.py) must hold after every step.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import attrs
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    precondition,
    rule,
)

from closedloop import (
    Assignment,
    Case,
    CaseQuery,
    Channel,
    ClosedLoopError,
    Delivery,
    Desk,
    DuplicateExternalIdError,
    Feedback,
    FeedbackKind,
    HostEvent,
    Invitation,
    Invited,
    LateMode,
    Lateness,
    MessageNotFoundError,
    Policy,
    Queue,
    Rag,
    Silence,
    SQLiteStore,
    StatusLinks,
    Subscribe,
    SummaryPage,
    Survey,
    SurveyKind,
    Team,
    ValidationError,
    WaitingOn,
    read_email,
)
from closedloop.adapters.notify.smtp import message_id_for
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.guarantees import rules, silence_rules
from tests.helpers import START, STEPS, take_step

ANN_EMAIL, ANN_PHONE, BOB = "ann@example.com", "+447700900001", "bob@example.com"
HANDLES = (ANN_EMAIL, ANN_PHONE, BOB)
#: Two teams: billing-tagged feedback goes to billing in turn; the rest joins no team.
TEAMS = (
    Team("care", members=("amy", "bob-staff", "cy-staff"), lead="care-lead"),
    Team("billing", members=("dee-staff", "eve-staff")),
)
AGENTS = ("amy", "bob-staff", "dee-staff", "eve-staff")
CHANNELS = (Channel.EMAIL, Channel.WEB_FORM, Channel.SOCIAL_MEDIA, Channel.PHONE)
AFTER_CASE = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
QUARTERLY = Survey("quarterly", SurveyKind.NPS, "How likely are you to recommend us?")
HOURS = (1, 3, 9, 26, 24 * 4, 24 * 12)


def outcome(act: Callable[[Desk], Any], desk: Desk) -> Any:
    """What a call gave: its value, or the closedloop error it raised (type and message)."""
    try:
        return act(desk)
    except ClosedLoopError as error:
        return (type(error), str(error))


class WholeDesk(RuleBasedStateMachine):
    cases = Bundle("cases")
    tokens = Bundle("tokens")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="closedloop-machine-"))
        self.clock = ManualClock(START)
        self.failing = False
        self.linked = False
        self.linked_at = START
        self.writes = 0
        self.notifiers = [
            RecordingNotifier(fail=lambda _: self.failing),
            RecordingNotifier(fail=lambda _: self.failing),
        ]
        self.sqlite = SQLiteStore(self.folder / "desk.db", synchronous="OFF")
        self.stores: list[CaseStore] = [InMemoryStore(), self.sqlite]
        # What each desk's event handler was handed (G7), failing when the notifiers do.
        self.events: list[list[dict[str, Any]]] = [[], []]
        parts = zip(self.stores, self.notifiers, self.events, strict=True)
        self.desks = [
            Desk(
                store, notifier, clock=self.clock, ids=SequentialIds(), rng=random.Random(7),
                events=Subscribe(self.handler(handed)),
                policy=Policy(
                    status_links=StatusLinks(secret="machine-status-link-secret"),
                    lateness=Lateness(LateMode.NOTIFY_AND_ESCALATE, warn_before=timedelta(hours=4)),
                    warn_at_amber=True,
                    # Short, so that sweeps tell silent customers and close their cases (G2).
                    silence=Silence(timedelta(hours=8), timedelta(hours=8)),
                    teams=TEAMS, assignment=Assignment(rule="round_robin",
                                                       teams_by_tag={"billing": "billing"}),
                ),
            )
            for store, notifier, handed in parts
        ]  # fmt: skip
        self.case_ids: list[str] = []
        self.emails = 0

    def handler(self, handed: list[dict[str, Any]]) -> Callable[[HostEvent], None]:
        def handle(event: HostEvent) -> None:
            if self.failing:
                raise ConnectionError("the CRM is down")
            handed.append(event.to_dict())

        return handle

    def teardown(self) -> None:
        self.sqlite.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- one call on both desks -----------------------------------------------------------

    def both(self, act: Callable[[Desk], Any]) -> Any:
        memory, sqlite = (outcome(act, desk) for desk in self.desks)
        assert memory == sqlite, f"the stores disagree:\n  memory: {memory!r}\n  sqlite: {sqlite!r}"
        return memory

    def feedback(self, handle: str, channel: Channel, **fields: Any) -> Feedback:
        return Feedback(customer=handle, channel=channel, received_at=self.clock.now(), **fields)

    def customer_of(self, case_id: str) -> str:
        return str(self.desks[0].get(case_id).customer)

    # -- time, the jobs ---------------------------------------------------------------------

    @rule(hours=st.sampled_from(HOURS))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))

    @rule(batch=st.sampled_from([1, 2, 500]))
    def sweep(self, batch: int) -> None:
        report = self.both(lambda d: d.sweep(batch=batch))
        assert not isinstance(report, tuple), f"the sweep failed: {report}"
        assert report.failed == (), f"the sweep could not move {report.failed}"
        if report.lapsed or report.noticed:  # how often the machine reaches G2's silence
            event(f"sweep: {'closed' if report.lapsed else 'told'} for silence")
        for store in self.stores:
            rules.a_sweep_leaves_nothing_due(store, self.clock.now(), report)
            silence_rules.g2_closed_for_silence_only_once_told(store, report)

    @rule()
    def sweep_until_done(self) -> None:
        for _ in range(100):
            report = self.both(lambda d: d.sweep())
            assert not isinstance(report, tuple), f"the sweep failed: {report}"
            assert report.failed == (), f"the sweep could not move {report.failed}"
            for store in self.stores:
                silence_rules.g2_closed_for_silence_only_once_told(store, report)
            if not (report.escalated or report.warned or report.late or report.resumed
                    or report.noticed or report.lapsed):  # fmt: skip
                break
        for desk in self.desks:
            for case_id in self.case_ids:
                rules.a_missed_promise_is_announced(desk, desk.get(case_id), self.clock.now())

    @rule(failing=st.booleans())
    def dispatch(self, failing: bool) -> None:
        self.failing = failing
        reports = [desk.outbox.dispatch() for desk in self.desks]
        assert reports[0] == reports[1], f"the stores dispatched differently: {reports}"
        assert self.events[0] == self.events[1], "the stores handed over different events"
        for store, report, notifier, events in zip(
            self.stores, reports, self.notifiers, self.events, strict=True
        ):
            # an event's id is "<tenant>/<its outbox key>"
            handed = [n.key for n in notifier.sent] + [e["id"].split("/", 1)[1] for e in events]
            settled = (*report.sent, *report.skipped)
            sent = [k for k in settled if store.outbox_message(k).status is Delivery.SENT]
            rules.g5_nothing_marked_sent_unless_handed_over(sent, handed)
            rules.nothing_written_on_a_channel_that_cannot_carry_it(notifier.sent)

    @rule()
    def drain_the_outbox(self) -> None:
        """G5: a day later, with a notifier that works, every message is delivered or a
        dead letter someone can see."""
        self.failing = False
        self.clock.advance(timedelta(days=1))
        for desk, store in zip(self.desks, self.stores, strict=True):
            while desk.outbox.dispatch(limit=500).sent:
                pass
            assert store.outbox_ready(self.clock.now() + timedelta(days=400), 500) == [], (
                "G5: messages neither delivered nor dead letters"
            )
        # G7: no event lost: every case's opening was handed over, or is a dead letter.
        for store, events in zip(self.stores, self.events, strict=True):
            handed = {e["id"].split("/", 1)[1] for e in events}  # "<tenant>/<key>"
            dead = {m.key for m in store.dead_letters(500)}
            for case_id in self.case_ids:
                key = f"{case_id}/1/case.opened"
                assert key in handed or key in dead, f"G7: {key} neither delivered nor dead"

    # -- customers --------------------------------------------------------------------------

    @precondition(lambda self: not self.linked)
    @rule()
    def link_ann(self) -> None:
        self.linked = True
        self.linked_at = self.clock.now()
        self.both(lambda d: d.customers.link(ANN_EMAIL, ANN_PHONE, customer="crm-ann", by="crm"))

    @precondition(lambda self: len(self.case_ids) < 6)
    @rule(
        target=cases,
        handle=st.sampled_from(HANDLES),
        channel=st.sampled_from(CHANNELS),
        kind=st.sampled_from(FeedbackKind),
        matter=st.sampled_from([None, "order-881"]),
        delivery=st.sampled_from([None, "webhook-1", "webhook-2"]),
        tags=st.sampled_from([(), ("billing",), ("Billing", "vip")]),
    )
    def listen(
        self, handle: str, channel: Channel, kind: FeedbackKind, matter: str | None,
        delivery: str | None, tags: tuple[str, ...],
    ) -> Any:  # fmt: skip
        case = self.both(
            lambda d: d.listen(
                self.feedback(
                    handle,
                    channel,
                    text="My order",
                    kind=kind,
                    matter_key=matter,
                    external_id=delivery,
                    tags=tags,
                    fields={"order_number": "881"} if matter else {},
                )
            )
        )
        if case.id in self.case_ids:
            return multiple()
        self.case_ids.append(case.id)
        return case.id

    @rule(case_id=cases, channel=st.sampled_from(CHANNELS), delivered=st.booleans())
    def customer_writes(self, case_id: str, channel: Channel, delivered: bool) -> None:
        customer = self.customer_of(case_id)
        # Sometimes by a delivery with its own id (an email's Message-ID), which a split
        # must be able to take with the message.
        self.writes += 1
        delivery = f"<write-{self.writes}@mail>" if delivered else None
        message = self.feedback(customer, channel, text="Any news?", external_id=delivery)
        self.both(lambda d: d.conversation.add_message(case_id, message))

    @rule(case_id=cases)
    def customer_replies(self, case_id: str) -> None:
        self.both(lambda d: d.conversation.customer_replied(case_id, text="Order 881"))

    @rule(case_id=cases, how=st.sampled_from(["reply", "auto_reply", "bounce"]))
    def email_arrives(self, case_id: str, how: str) -> None:
        """The customer answers the newest message sent to them by email; or their
        out-of-office does; or the mail system returns that message."""
        customer = self.customer_of(case_id)
        if "@" not in customer:
            return
        key = self.newest_message_to(case_id, customer)
        self.emails += 1
        answered = message_id_for(key, "acme.example") if key else f"<other-{self.emails}@x>"
        head = f"Message-ID: <mail-{self.emails}@mail.example>\r\nIn-Reply-To: {answered}\r\n"
        if how == "auto_reply":
            head += "Auto-Submitted: auto-replied\r\n"
        raw = f"From: {customer}\r\n{head}Subject: Re: your order\r\n\r\nStill waiting.\r\n"
        if how == "bounce":
            raw = (
                "From: MAILER-DAEMON@mx.example\r\nMIME-Version: 1.0\r\nContent-Type: "
                'multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\n'
                "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
                f"Final-Recipient: rfc822; {customer}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                f"\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {answered}"
                "\r\n\r\n--B--\r\n"
            )
        receipt = self.both(lambda d: d.inbox.receive(read_email(raw.encode())))
        if not isinstance(receipt, tuple):  # not an error
            event(f"email {how}: {receipt.outcome.value}")

    def newest_message_to(self, case_id: str, customer: str) -> str | None:
        store, case = self.stores[0], self.desks[0].get(case_id)
        for version in range(case.version, 0, -1):
            for purpose in ("acknowledgement", "reply", "question", "thanks", "explanation"):
                key = f"{case_id}/{version}/{purpose}"
                try:
                    if store.outbox_message(key).notification.to == customer:
                        return key
                except MessageNotFoundError:
                    continue
        return None

    @rule(case_id=cases, act=st.sampled_from(["view", "write", "not_resolved"]))
    def customer_uses_the_status_link(self, case_id: str, act: str) -> None:
        """The customer opens the link they were given a while ago, and may act on it."""
        token = self.both(lambda d: d.portal.link(case_id))
        self.clock.advance(timedelta(hours=1))
        do = {
            "view": lambda d: d.portal.view(token),
            "write": lambda d: d.portal.write(token, "Is there any news?"),
            "not_resolved": lambda d: d.portal.not_resolved(token, "It still does not work"),
        }[act]
        page = self.both(do)
        if not isinstance(page, tuple):  # the page, not an error
            desk = self.desks[0]
            case = desk.get(page.reference)
            known = desk.customers.of_handle(case.customer)
            own = frozenset({case.customer} | (known.handles if known else set()))
            rules.g8_nothing_internal_on_the_status_page(page, case, own)

    @rule()
    def erase_bob(self) -> None:
        # The default pseudonym is salted at random; both desks must pick the same one.
        with mock.patch("closedloop.service.customers._salt", return_value="machine"):
            self.both(lambda d: d.customers.erase(BOB).handles)

    # -- staff ------------------------------------------------------------------------------

    @rule(case_id=cases, step=st.sampled_from(STEPS))
    def step(self, case_id: str, step: str) -> None:
        self.both(lambda d: take_step(d, case_id, step))

    @rule(case_id=cases, how=st.sampled_from(["reply", "note", "call"]))
    def staff_write(self, case_id: str, how: str) -> None:
        conversation = {
            "reply": lambda d: d.conversation.reply(case_id, "It ships today", by="amy"),
            "note": lambda d: d.conversation.note(case_id, "Asked the warehouse", by="amy"),
            "call": lambda d: d.conversation.log_contact(
                case_id, Channel.PHONE, "Called about the order", by="amy"
            ),
        }
        self.both(conversation[how])

    @rule(
        case_id=cases,
        add=st.sampled_from([(), ("vip",), ("refund", "billing")]),
        remove=st.sampled_from([(), ("billing",)]),
        plan=st.sampled_from([None, "pro"]),
    )
    def label(self, case_id: str, add: tuple[str, ...], remove: tuple[str, ...],
              plan: str | None) -> None:  # fmt: skip
        add = tuple(t for t in add if t not in remove)
        self.both(lambda d: d.queues.tag(case_id, by="amy", add=add, remove=remove))
        values, clear = ({"plan": plan}, ()) if plan else ({}, ("plan",))
        self.both(lambda d: d.queues.set_fields(case_id, values, by="amy", clear=clear))

    @rule(case_id=cases, owner=st.sampled_from(["bob-staff", "cy-staff"]))
    def hand_off(self, case_id: str, owner: str) -> None:
        self.both(lambda d: d.assign(case_id, owner=owner, by="amy", summary="Order 881, late"))

    @rule(agent=st.sampled_from(AGENTS), days=st.sampled_from([None, 1]))
    def agent_goes_away(self, agent: str, days: int | None) -> None:
        until = None if days is None else self.clock.now() + timedelta(days=days)
        self.both(lambda d: d.teams.away(agent, until=until, by="lead"))

    @rule(agent=st.sampled_from(AGENTS))
    def agent_comes_back(self, agent: str) -> None:
        self.both(lambda d: d.teams.back(agent))

    @rule(case_id=cases, team=st.sampled_from(["care", "billing"]))
    def route(self, case_id: str, team: str) -> None:
        self.both(lambda d: d.teams.route(case_id, team=team, by="lead", summary="Over to you"))

    @rule(
        owner=st.sampled_from([None, *AGENTS]),
        rag=st.sampled_from([None, Rag.RED, Rag.AMBER]),
        order=st.sampled_from(["oldest_first", "due_first", "priority_then_due"]),
    )
    def find(self, owner: str | None, rag: Rag | None, order: str) -> None:
        pages = self.both(
            lambda d: [c.id for c in d.queues.find(owner=owner, rag=rag, order=order).cases]
        )
        if isinstance(pages, list):
            rules.found_are_those_that_match(self.desks[0], pages, self.case_ids, owner, rag)
        query = CaseQuery(owner=owner, rag=rag, order=order)  # type: ignore[arg-type]
        listed = self.both(lambda d: d.queues.summaries(query))
        if isinstance(listed, SummaryPage) and isinstance(pages, list):
            rules.summaries_say_what_cases_say(self.desks[0], listed, pages)

    @rule(case_id=cases)
    def ask_the_customer(self, case_id: str) -> None:
        self.both(lambda d: d.conversation.await_customer(case_id, by="amy", question="Which?"))

    @rule(case_id=cases, on=st.sampled_from([WaitingOn.THIRD_PARTY, WaitingOn.DATE]),
          days=st.integers(1, 10))  # fmt: skip
    def hold(self, case_id: str, on: WaitingOn, days: int) -> None:
        until = self.clock.now() + timedelta(days=days)
        self.both(
            lambda d: d.conversation.hold(case_id, on, by="amy", reason="Courier", resume_by=until)
        )

    @rule(case_id=cases)
    def resume(self, case_id: str) -> None:
        self.both(lambda d: d.conversation.resume(case_id, by="amy", reason="They answered"))

    @rule(case_id=cases, channel=st.sampled_from(CHANNELS))
    def move_channel(self, case_id: str, channel: Channel) -> None:
        before = self.desks[0].get(case_id)
        after = self.both(lambda d: d.conversation.move_channel(case_id, channel, by="amy"))
        if isinstance(after, Case):
            rules.g6_a_move_keeps_history_and_deadlines(before, after, channel)

    @rule(into=cases, other=cases)
    def merge(self, into: str, other: str) -> None:
        before = (self.desks[0].get(into), self.desks[0].get(other))
        after = self.both(lambda d: d.conversation.merge(into, other, by="amy", reason="duplicate"))
        if isinstance(after, Case):
            rules.a_merge_keeps_every_decline(*before, after)
            event("a merge of a case with a decline", str(bool(after.declines)))

    @rule(into=cases, other=cases)
    def merge_a_declined_duplicate(self, into: str, other: str) -> None:
        """The same request again, after the first was declined: the decline goes with it."""
        self.step(other, "acknowledge")
        self.step(other, "decline")
        self.merge(into, other)

    @rule(target=cases, case_id=cases)
    def split(self, case_id: str) -> Any:
        return self.split_off(case_id, [1])

    @rule(target=cases, into=cases, other=cases)
    def merge_and_split_off_again(self, into: str, other: str) -> Any:
        """A merge undone: a declined duplicate merged, and the messages it brought split
        off again (its decline goes with them, unless its customer wrote on ``into``)."""
        had = len(self.desks[0].get(into).messages)
        self.merge_a_declined_duplicate(into, other)
        now = len(self.desks[0].get(into).messages)
        return self.split_off(into, list(range(had, now))) if now > had else multiple()

    def split_off(self, case_id: str, moved: list[int]) -> Any:
        case = self.desks[0].get(case_id)
        if len(case.messages) < 2 or len(self.case_ids) >= 8:
            return multiple()
        split = self.both(lambda d: d.conversation.split(case_id, moved, by="amy", reason="two"))
        assert not (isinstance(split, tuple) and split[0] is DuplicateExternalIdError), (
            f"splitting case {case_id} was refused for its own messages' ids: {split[1]}"
        )
        if isinstance(split, tuple) and isinstance(split[1], Case):
            rules.a_split_keeps_every_decline(case, *split)
            event("a split taking a decline", str(bool(split[1].declines)))
            self.case_ids.append(split[1].id)
            return split[1].id
        return multiple()

    @rule(case_id=cases, days=st.integers(1, 10))
    def promise(self, case_id: str, days: int) -> None:
        due = self.clock.now() + timedelta(days=days)
        self.both(
            lambda d: d.promises.make(case_id, what="Call back", due_by=due, owner="amy", by="amy")
        )

    @rule(case_id=cases)
    def keep_promise(self, case_id: str) -> None:
        open_ = self.desks[0].get(case_id).open_promises
        if open_:
            self.both(lambda d: d.promises.keep(case_id, open_[0].id, by="amy"))

    @rule(case_id=cases, resolved=st.booleans())
    def verify(self, case_id: str, resolved: bool) -> None:
        self.both(lambda d: d.conversation.request_verification(case_id, by="amy"))
        self.both(lambda d: d.conversation.verify(case_id, resolved=resolved))

    # -- surveys ----------------------------------------------------------------------------

    def invited(self, act: Callable[[Desk], Invited]) -> Any:
        """Invite on both desks; their tokens differ (secrets are random), the rest may not."""
        found = [outcome(act, desk) for desk in self.desks]
        if isinstance(found[0], Invited) and isinstance(found[1], Invited):
            without = [attrs.evolve(i.invitation, token_digests=()) for i in found]
            assert without[0] == without[1], f"the stores invited differently: {without}"
            tokens = (found[0].token, found[1].token)
            return tokens if tokens[0] is not None and tokens[1] is not None else multiple()
        assert found[0] == found[1], f"the stores disagree: {found}"
        return multiple()

    @rule(target=tokens, case_id=cases)
    def invite(self, case_id: str) -> Any:
        return self.invited(lambda d: d.surveys.invite(AFTER_CASE, case_id=case_id))

    @rule(target=tokens, handle=st.sampled_from(HANDLES), channel=st.sampled_from(CHANNELS))
    def invite_to_relationship_survey(self, handle: str, channel: Channel) -> Any:
        return self.invited(lambda d: d.surveys.invite(QUARTERLY, customer=handle, channel=channel))

    @rule(tokens=consumes(tokens), score=st.integers(0, 10), contact_me=st.booleans())
    def respond(self, tokens: tuple[str, str], score: int, contact_me: bool) -> None:
        answered = [
            outcome(lambda d, t=token: d.surveys.respond(t, score, contact_me=contact_me), desk)
            for desk, token in zip(self.desks, tokens, strict=True)
        ]
        if isinstance(answered[0], Invitation) and isinstance(answered[1], Invitation):
            answered = [attrs.evolve(i, token_digests=()) for i in answered]
        assert answered[0] == answered[1], f"the stores answered differently: {answered}"

    @rule(handle=st.sampled_from(HANDLES), score=st.integers(0, 10))
    def answer_without_invitation(self, handle: str, score: int) -> None:
        self.both(
            lambda d: d.surveys.record_answer(
                QUARTERLY, customer=handle, channel=Channel.WEB_FORM, answer=score
            )
        )

    @precondition(lambda self: self.linked)
    @rule(channel=st.sampled_from(CHANNELS), score=st.integers(0, 10))
    def survey_a_customer_id(self, channel: Channel, score: int) -> None:
        """G4: Ann's customer id is no handle of hers; both stores refuse it as one."""
        for survey in (
            lambda d: d.surveys.invite(QUARTERLY, customer="crm-ann", channel=channel),
            lambda d: d.surveys.record_answer(
                QUARTERLY, customer="crm-ann", channel=channel, answer=score
            ),
        ):
            refused = self.both(survey)
            assert isinstance(refused, tuple), f"a customer id was taken as a handle: {refused}"
            assert refused[0] is ValidationError, refused

    @rule(days=st.sampled_from([1, 30, 400]))
    def report(self, days: int) -> None:
        until = self.clock.now() + timedelta(microseconds=1)  # what happened at now is in
        for desk, store in zip(self.desks, self.stores, strict=True):
            rules.reports_read_what_replay_reads(desk, store, until - timedelta(days=days), until)

    # -- the guarantees ---------------------------------------------------------------------

    @invariant()
    def the_stores_agree_and_the_rules_hold(self) -> None:
        memory = self.desks[0]
        for case_id in self.case_ids:
            cases = [desk.get(case_id) for desk in self.desks]
            assert cases[0] == cases[1], f"the stores hold case {case_id} differently"
        for desk in self.desks:
            queued = {c.id: q for q in Queue for c in desk.queue(q, limit=100)}
            for case_id in self.case_ids:
                case = desk.get(case_id)
                rules.g1_every_active_case_waits_on_someone(
                    desk, case, {i for i, q in queued.items() if q is case.queue}
                )
                assert case_id not in queued or queued[case_id] is case.queue
                rules.g2_every_customer_message_is_owed_a_reply(desk, case)
                rules.g3_a_low_score_reaches_a_person(desk, case, self.clock.now())
                rules.reopen_within_the_window(case, desk.policy.reopen_within)
                rules.no_survey_about_an_open_matter(desk, case)
        ann = (ANN_EMAIL, ANN_PHONE) if self.linked else (ANN_EMAIL,)
        for handles in (ann, (BOB,)):
            invitations: list[Invitation] = [
                i for h in handles for i in memory.surveys.of_customer(h)
            ]
            unique = {i.id: i for i in invitations}.values()
            since = self.linked_at if len(handles) > 1 else START
            rules.g4_one_customer_is_one_customer(memory, handles, unique, since)
        for desk, events in zip(self.desks, self.events, strict=True):
            rules.g7_every_event_delivered_was_committed(desk, events)


# 100 runs of up to 50 steps take about 25 seconds; set CLOSEDLOOP_MACHINE_EXAMPLES for a
# deeper search (1,000 take about eight minutes).
WholeDesk.TestCase.settings = settings(
    max_examples=int(os.environ.get("CLOSEDLOOP_MACHINE_EXAMPLES", "100")),
    stateful_step_count=50,
    deadline=None,
    database=None,
)
TestWholeDesk = WholeDesk.TestCase
