"""The public surface as a catalogue: every call, its arguments and a good value for each.

A call made with the good values succeeds on a fresh :class:`~tests.badinput.world.World`;
the suites put a bad value into one argument (or several) and look at what happens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from closedloop import Answer, Channel, Kano, Queue, WaitingOn
from tests.badinput.world import START, SURVEY, World, feedback

Good = Callable[[World], Any]


@attrs.frozen
class Call:
    """``run(world, **arguments)``; ``args`` gives each argument's good value."""

    name: str
    run: Callable[..., Any]
    args: dict[str, Good]
    writes: bool = True

    def good(self, world: World) -> dict[str, Any]:
        return {name: make(world) for name, make in self.args.items()}


def _case(which: str) -> Good:
    return lambda w: getattr(w, which)


def _v(value: Any) -> Good:
    return lambda w: value


LATER = START + timedelta(days=2)
SINCE, UNTIL = START - timedelta(days=1), START + timedelta(days=30)
BY = {"by": _v("Sam")}


def _desk(name: str, args: dict[str, Good], writes: bool = True) -> Call:
    area, _, method = name.rpartition(".")

    def run(w: World, **a: Any) -> Any:
        target = w.desk if not area else getattr(w.desk, area)
        out = getattr(target, method)(**a)
        return list(out) if name.startswith("customers.link") else out

    return Call(f"desk.{name}", run, args, writes)


def _positional(name: str, star: str, args: dict[str, Good]) -> Call:
    """A call whose ``star`` argument is spread: ``link(*handles, ...)``. Its good value is
    a list; a bad value goes in as one of the arguments spread: ``erase(["a"])``."""
    area, _, method = name.rpartition(".")

    def run(w: World, **a: Any) -> Any:
        spread = a.pop(star)
        if not isinstance(spread, _Spread):
            spread = _Spread([spread])
        target = getattr(w.desk, area)
        return getattr(target, method)(*spread, **a)

    good = {k: (lambda w, make=make: _Spread(make(w))) if k == star else make
            for k, make in args.items()}  # fmt: skip
    return Call(f"desk.{name}", run, good)


class _Spread(list[Any]):
    """The good values of a spread argument (any other value is one bad argument)."""


DESK = [
    _desk("get", {"case_id": _case("open")}, writes=False),
    _desk("cases_of", {"customer": _case("handle")}, writes=False),
    _desk("unanswered", {"limit": _v(10)}, writes=False),
    _desk("queue", {"queue": _v(Queue.IN_PROGRESS), "limit": _v(10)}, writes=False),
    _desk("listen", {"feedback": lambda w: feedback("zoe@example.com")}),
    _desk("listen_many", {"feedback": lambda w: [feedback("yan@example.com")]}),
    _desk("acknowledge", {"case_id": _case("open"), **BY, "expected_version": _v(1)}),
    _desk("take_action", {"case_id": _case("acked"), **BY, "summary": _v("refunded")}),
    _desk("decline", {"case_id": _case("acked"), **BY, "reason": _v("no stock"),
                      "category": _v("out_of_stock"), "asked": _v("a refund")}),
    _desk("thank", {"case_id": _case("acted"), **BY}),
    _desk("explain", {"case_id": _case("thanked"), **BY, "what_failed": _v("a"),
                      "what_changes": _v("b"), "root_cause": _v("packing"),
                      "kano": _v(Kano.DISSATISFIER)}),
    _desk("reopen", {"case_id": _case("closed"), "reason": _v("not fixed"), **BY}),
    _desk("assign", {"case_id": _case("acked"), "owner": _v("Kim"), **BY}),
    _desk("sweep", {"batch": _v(50)}),
    _desk("conversation.add_message", {"case_id": _case("acked"),
                                       "feedback": lambda w: feedback("bob@example.com")}),
    _desk("conversation.reply", {"case_id": _case("acked"), "text": _v("on its way"), **BY}),
    _desk("conversation.note", {"case_id": _case("acked"), "text": _v("called DHL"), **BY}),
    _desk("conversation.log_contact", {"case_id": _case("acked"), "channel": _v(Channel.PHONE),
                                       "summary": _v("called"), **BY}),
    _desk("conversation.await_customer", {"case_id": _case("acked"), **BY,
                                          "question": _v("size?"), "resume_by": _v(LATER)}),
    _desk("conversation.hold", {"case_id": _case("acked"), "waiting_on": _v(WaitingOn.THIRD_PARTY),
                                **BY, "reason": _v("supplier"), "resume_by": _v(LATER)}),
    _desk("conversation.resume", {"case_id": _case("paused"), **BY, "reason": _v("answered")}),
    _desk("conversation.customer_replied", {"case_id": _case("paused"), "text": _v("green"),
                                            "by": _v("dan")}),
    _desk("conversation.merge", {"into": _case("acked"), "other": _case("spare"), **BY,
                                 "reason": _v("same parcel")}),
    _desk("conversation.split", {"case_id": _case("acked"), "messages": _v([1]), **BY,
                                 "reason": _v("two matters")}),
    _desk("conversation.move_channel", {"case_id": _case("acked"), "channel": _v(Channel.PHONE),
                                        **BY, "reason": _v("private")}),
    _desk("conversation.request_verification", {"case_id": _case("closed"), **BY}),
    _desk("conversation.verify", {"case_id": _case("closed"), "resolved": _v(True),
                                  "comment": _v("yes"), "by": _v("carol")}),
    _desk("standards.deadlines", {"case_id": _case("acked")}, writes=False),
    _desk("standards.status", {"case_id": _case("acked")}, writes=False),
    _desk("standards.due", {"limit": _v(10)}, writes=False),
    _desk("standards.escalate", {"case_id": _case("acked"), "to": _v("ombudsman"), **BY,
                                 "channel": _v(Channel.OMBUDSMAN)}),
    _desk("promises.make", {"case_id": _case("acked"), "what": _v("a call"),
                            "due_by": _v(LATER), "owner": _v("Sam"), **BY}),
    _desk("promises.keep", {"case_id": _case("acked"), "promise_id": _case("promise"), **BY,
                            "note": _v("called")}),
    _desk("surveys.invite", {"survey": _v(SURVEY), "customer": _v("fay@example.com"),
                             "channel": _v(Channel.EMAIL), "case_status": _v(None)}),
    _desk("surveys.respond", {"token": _case("token"), "answer": _v(Answer(2)),
                              "comment": _v("slow"), "contact_me": _v(True)}),
    _desk("surveys.record_answer", {"survey": _v(SURVEY), "customer": _v("gus@example.com"),
                                    "channel": _v(Channel.EMAIL), "answer": _v(1),
                                    "comment": _v("bad"), "external_id": _v("ans-1")}),
    _desk("surveys.get", {"invitation_id": _case("invitation")}, writes=False),
    _desk("surveys.of_customer", {"customer": _case("customer")}, writes=False),
    _positional("customers.link", "handles", {"handles": _v(["ann@example.com", "ann@work"]),
                                             "customer": _case("customer"), **BY}),
    _desk("customers.unlink", {"customer": _case("customer"), "handle": _v("+441234"), **BY}),
    _desk("customers.get", {"customer": _case("customer")}, writes=False),
    _desk("customers.of_handle", {"handle": _case("handle")}, writes=False),
    _desk("customers.cases", {"customer": _case("customer")}, writes=False),
    _positional("customers.erase", "handles", {"handles": _v(["carol@example.com"]),
                                              "pseudonym": _v("customer-1")}),
    _desk("outbox.dispatch", {"limit": _v(10), "lease": _v(timedelta(minutes=1))}),
    _desk("outbox.dead_letters", {"limit": _v(10)}, writes=False),
    _positional("outbox.requeue", "keys", {"keys": lambda w: [w.dead]}),
    _desk("reports.insights", {"since": _v(SINCE), "until": _v(UNTIL)}, writes=False),
    _desk("reports.promises", {"since": _v(SINCE), "until": _v(UNTIL)}, writes=False),
    _desk("reports.no_log", {"since": _v(SINCE), "until": _v(UNTIL), "examples": _v(2)},
          writes=False),
    _desk("reports.recovery", {"since": _v(SINCE), "until": _v(UNTIL)}, writes=False),
]  # fmt: skip

DESK += [
    _desk("customers.merge", {"into": _case("customer"), "other": _case("merged_into"), **BY}),
    _desk("customers.unmerge", {"into": _case("merged_into"), "other": _case("merged_other"),
                                **BY}),
]  # fmt: skip
