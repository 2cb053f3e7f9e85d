"""Erasure, searched by hypothesis on the in-memory store and SQLite: random customers whose
handles hold one another (``ann@example.com`` in ``joann@example.com``, ``11`` in ``211``),
random cases, replies, declines, merges across customers, messages added from another handle,
survey invitations and failed deliveries; then one customer is erased.

After it, on both stores alike: no record of anybody else changed (in a case that holds a
message the customer wrote, only the events naming them did), no record names any of the
customer's handles as a customer, author, recipient or handle, and none stands anywhere in
the records that were theirs.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from closedloop import (
    CaseStore,
    Channel,
    ClosedLoopError,
    Desk,
    Feedback,
    Notification,
    Policy,
    SQLiteStore,
    Survey,
    SurveyKind,
    UndeliverableError,
)
from closedloop.service import invitations
from closedloop.testing import InMemoryStore, ManualClock, SequentialIds
from tests.adapters.erasure_support import (
    World,
    changed,
    keys_of,
    named,
    records,
    stands_in,
    theirs,
)
from tests.helpers import START

POOL = (
    "ann@example.com", "joann@example.com", "ann@example.co", "jo.ann@example.com", "11",
    "211", "110", "1", "@ann", "@ann_t", "+44 7700 900123", "ann",
)  # fmt: skip
WORDS = ("kettle", "refund", "late", "order", "please", "box")
PSEUDONYM = "person-x"
YEARLY = Survey("yearly", SurveyKind.CSAT, "How satisfied are you with us?")

Action = tuple[Any, ...]


@st.composite
def people(draw: st.DrawFn) -> list[list[str]]:
    """Two to four customers, each with one or more handles from the pool."""
    handles = draw(st.lists(st.sampled_from(POOL), min_size=2, max_size=8, unique=True))
    owners = draw(st.lists(st.integers(0, 3), min_size=len(handles), max_size=len(handles)))
    groups = [[h for h, o in zip(handles, owners, strict=True) if o == n] for n in range(4)]
    found = [g for g in groups if g]
    if len(found) < 2:
        found = [[h] for h in handles]
    return found


words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
index = st.integers(0, 40)
actions = st.one_of(
    st.tuples(st.just("listen"), index, words, st.booleans()),
    st.tuples(st.just("acknowledge"), index),
    st.tuples(st.just("reply"), index, words),
    st.tuples(st.just("merge"), index, index),
    st.tuples(st.just("decline"), index, words),
    st.tuples(st.just("add"), index, index, words),
    st.tuples(st.just("dispatch"), st.frozensets(index, max_size=3)),
    st.tuples(st.just("invite"), index),
    st.tuples(st.just("later"), st.integers(1, 5)),
)


class Refusing:
    """Delivers, except to the recipients it is told to refuse (their messages die)."""

    def __init__(self) -> None:
        self.refuse: set[str] = set()
        self.sent: list[str] = []

    def send(self, notification: Notification) -> None:
        if notification.to in self.refuse:
            raise UndeliverableError(notification.key, "refused")
        self.sent.append(notification.key)


def play(
    store: CaseStore, customers: list[list[str]], script: Sequence[Action], victim: str
) -> tuple[World, dict[str, str], dict[str, str], frozenset[str]]:
    """Play the script, erase ``victim``: the world, records before and after, and the
    handles erased."""
    handles = [h for group in customers for h in group]
    clock = ManualClock(START)
    notifier = Refusing()
    desk = Desk(
        store, notifier, clock=clock, ids=SequentialIds(),
        policy=Policy(survey_url="https://example.com/s/{token}"),
    )  # fmt: skip
    ids = [f"crm-{n}" for n in range(len(customers))]
    for customer_id, group in zip(ids, customers, strict=True):
        desk.customers.link(*group, customer=customer_id, by="crm")
    cases: list[str] = []
    invited: list[str] = []

    def case(n: int) -> str:
        return cases[n % len(cases)]

    for action in script:
        name, *args = action
        if name in ("acknowledge", "reply", "merge", "add", "decline") and not cases:
            continue
        try:
            if name == "listen":
                author = handles[args[0] % len(handles)]
                text = f"{args[1]} {author}" if args[2] else args[1]  # their own handle only
                cases.append(desk.listen(feedback(author, text)).id)
            elif name == "acknowledge":
                desk.acknowledge(case(args[0]), by="amy")
            elif name == "reply":
                desk.conversation.reply(case(args[0]), args[1], by="amy")
            elif name == "decline":  # what was asked names the customer: a merge carries it
                asked = f"{args[1]} {desk.get(case(args[0])).customer}"
                desk.decline(case(args[0]), by="amy", reason=args[1], asked=asked)
            elif name == "merge":
                desk.conversation.merge(case(args[0]), case(args[1]), by="amy", reason="same")
            elif name == "add":
                author = handles[args[1] % len(handles)]
                desk.conversation.add_message(case(args[0]), feedback(author, args[2]))
            elif name == "dispatch":
                notifier.refuse = {handles[n % len(handles)] for n in args[0]}
                desk.outbox.dispatch()
            elif name == "invite":
                customer = handles[args[0] % len(handles)]
                made = desk.surveys.invite(YEARLY, customer=customer, channel=Channel.EMAIL)
                invited.append(made.invitation.id)
            else:
                clock.advance(hours=args[0])
        except ClosedLoopError:
            pass  # a step out of order, a merge refused: the same on both stores
    world = World(
        cases=tuple(cases),
        invitations=tuple(invited),
        customers=(*ids, PSEUDONYM),
        keys=keys_of(store, notifier.sent),
    )
    before = records(store, world)
    erasure = desk.customers.erase(victim, pseudonym=PSEUDONYM)
    return world, before, records(store, world), erasure.handles


def feedback(customer: str, text: str) -> Feedback:
    return Feedback(customer=customer, channel=Channel.EMAIL, received_at=START, text=text)


def check(before: dict[str, str], after: dict[str, str], erased: frozenset[str]) -> None:
    mine = theirs(before, erased) | {f"customer {PSEUDONYM}"}
    assert changed(before, after, mine) == []
    for name, text in after.items():
        assert named(json.loads(text)) & erased == set(), name  # as nobody, anywhere
        if name in mine:
            assert [h for h in erased if stands_in(h, text)] == [], name
    for name in mine:
        if name.startswith("case ") and name in before:
            old, new = (json.loads(r[name])["events"] for r in (before, after))
            for was, now in zip(old, new, strict=False):
                opener = old[0]["feedback"]["customer"]
                if opener not in erased and not named(was) & erased:
                    assert was == now, name  # another customer's case: only theirs changed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customers=people(),
    script=st.lists(actions, min_size=1, max_size=14),
    pick=st.integers(0, 40),
)
def test_erasing_one_customer_changes_nobody_elses_records(
    customers: list[list[str]], script: list[Action], pick: int
) -> None:
    victims = customers[pick % len(customers)]
    victim = victims[pick % len(victims)]
    results = []
    for make in (InMemoryStore, lambda: SQLiteStore(":memory:")):
        results.append(run(make, customers, script, victim))
    (_, before, after, erased), (_, sql_before, sql_after, _) = results
    assert erased >= set(victims)
    check(before, after, erased)
    assert (sql_before, sql_after) == (before, after)  # the stores agree


def run(
    make: Callable[[], CaseStore], customers: list[list[str]], script: list[Action], victim: str
) -> tuple[World, dict[str, str], dict[str, str], frozenset[str]]:
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invitations, "_secret", lambda: f"secret{next(counter)}")
        store = make()
        try:
            return play(store, customers, script, victim)
        finally:
            closer = getattr(store, "close", None)
            if closer is not None:
                closer()
