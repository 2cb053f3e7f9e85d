"""A small week whose figures were worked out by hand (see the comments)."""

from __future__ import annotations

from datetime import UTC, datetime

from closedloop import (
    CaseStore,
    Channel,
    Desk,
    Feedback,
    FeedbackKind,
    Kano,
    Policy,
    Survey,
    SurveyKind,
)
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

# Monday 2 November 2026 to Monday 9 November; default standards: acknowledge within 4
# business hours, take action within 3 business days, close the loop within 5, on
# Monday-Friday 09:00-17:00 UTC.
SINCE = datetime(2026, 11, 2, tzinfo=UTC)
UNTIL = datetime(2026, 11, 9, tzinfo=UTC)
NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` of November 2026, at ``hour:minute`` UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def build(store: CaseStore | None = None) -> tuple[CaseStore, Desk, dict[str, str]]:
    clock = ManualClock(at(2, 9))
    store = store if store is not None else InMemoryStore()
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy(survey_url="s/{token}"))
    ids: dict[str, str] = {}

    def listen(name: str, customer: str, channel: Channel, kind: FeedbackKind) -> str:
        feedback = Feedback(customer=customer, channel=channel, received_at=clock.now(),
                            text=f"Case {name}", kind=kind)  # fmt: skip
        ids[name] = desk.listen(feedback).id
        return ids[name]

    def to(when: datetime) -> None:
        clock.set(when)

    # A: email complaint, Mon 09:00. Acknowledged at 10:00 (1h: met), handed to Ben, action,
    # thanks and explanation at 12:00 (3h: met twice). Root cause "courier", a dissatisfier.
    a = listen("A", "ann@example.com", Channel.EMAIL, FeedbackKind.COMPLAINT)
    # B: web form complaint, Mon 09:00. Acknowledged at 15:00 (6h: missed, due 13:00);
    # declined Tue 10:00 (policy), closed then (25h wall clock, 9 business hours: met).
    b = listen("B", "bob@example.com", Channel.WEB_FORM, FeedbackKind.COMPLAINT)
    to(at(2, 10))
    desk.acknowledge(a, by="amy")
    desk.assign(a, owner="ben", by="amy")
    # C: phone question, Mon 10:00, never acknowledged: overdue for acknowledgement at
    # 14:00 and for action on Thursday 10:00; escalated by the customer on Tuesday
    # (after a breach: avoidable). Its loop is due next Monday, after the period.
    c = listen("C", "cat@example.com", Channel.PHONE, FeedbackKind.QUESTION)
    to(at(2, 12))
    desk.take_action(a, by="ben", summary="Refunded")
    desk.thank(a, by="ben")
    desk.explain(a, by="ben", what_failed="Courier", what_changes="New courier",
                 root_cause="courier", kano=Kano.DISSATISFIER)  # fmt: skip
    to(at(2, 15))
    desk.acknowledge(b, by="amy")
    to(at(3, 9))
    desk.standards.escalate(c, to="the ombudsman")
    to(at(3, 10))
    desk.decline(b, by="amy", reason="Outside the 30 days", category="policy",
                 asked="A refund after 30 days")  # fmt: skip
    desk.thank(b, by="amy")
    desk.explain(b, by="amy", what_failed="Unclear policy", what_changes="Clearer policy page",
                 root_cause="courier", kano=Kano.DISSATISFIER)  # fmt: skip
    # D: chat compliment, Wed 09:00, acknowledged 09:30 (30m: met), thanked 10:00 (closed
    # in 1h: met).
    to(at(4, 9))
    d = listen("D", "dan@example.com", Channel.CHAT, FeedbackKind.COMPLIMENT)
    to(at(4, 9, 30))
    desk.acknowledge(d, by="amy")
    to(at(4, 10))
    desk.thank(d, by="amy")
    # E: email complaint, Thu 09:00, acknowledged 09:20 (met) with a promise due Fri 12:00,
    # closed 12:00 (3h: met twice); reopened Fri 10:00, promise kept 11:00, action and
    # close 14:00 (4h from the reopen: met twice). Root cause "training", a satisfier.
    to(at(5, 9))
    e = listen("E", "eve@example.com", Channel.EMAIL, FeedbackKind.COMPLAINT)
    to(at(5, 9, 20))
    desk.acknowledge(e, by="amy")
    promise = desk.promises.make(e, what="Call back", due_by=at(6, 12), owner="amy", by="amy")
    to(at(5, 12))
    desk.take_action(e, by="amy", summary="Replaced")
    desk.thank(e, by="amy")
    desk.explain(e, by="amy", what_failed="x", what_changes="y",
                 open_promises="Amy calls back tomorrow")  # fmt: skip
    to(at(6, 10))
    desk.reopen(e, reason="Still broken")
    to(at(6, 11))
    desk.promises.keep(e, promise.promises[0].id, by="amy")
    to(at(6, 14))
    desk.take_action(e, by="amy", summary="Replaced again")
    desk.thank(e, by="amy")
    desk.explain(e, by="amy", what_failed="x", what_changes="y", root_cause="training",
                 kano=Kano.SATISFIER)  # fmt: skip
    # Surveys: 10 and 9 in week one (NPS +100), 7 the next Monday (outside the period).
    to(at(6, 15))
    for name, score in (("A", 10), ("B", 9)):
        invited = desk.surveys.invite(NPS, case_id=ids[name])
        assert invited.token is not None, invited.invitation.decision
        desk.surveys.respond(invited.token, score)
    to(at(9, 9))
    invited = desk.surveys.invite(NPS, case_id=ids["E"])
    assert invited.token is not None
    desk.surveys.respond(invited.token, 7)
    return store, desk, ids
