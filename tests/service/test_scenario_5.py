"""Scenario 5, end to end on SQLite: from a web form to Twitter to email to nowhere."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from closedloop import Channel, Desk, Feedback, Rag, SQLiteStore, Target
from closedloop.testing import ManualClock, RecordingNotifier

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_one_case_across_channels_with_its_clocks_and_its_promise(tmp_path: Path) -> None:
    clock = ManualClock(MONDAY)
    outbox = RecordingNotifier()
    with SQLiteStore(tmp_path / "loop.db") as store:
        desk = Desk(store, outbox, clock=clock)
        desk.customers.link("sam@example.com", "@sam_k", customer="crm-1042", by="crm-sync")
        form = desk.listen(Feedback(customer="sam@example.com", channel=Channel.WEB_FORM,
                                    received_at=clock.now(), text="Botched kitchen fitting",
                                    matter_key="order-7731"))  # fmt: skip
        opened_due = form.due_at
        clock.advance(days=2)
        assert [c.id for c in desk.unanswered()] == [form.id]  # listed while ignored
        tweet = desk.listen(Feedback(customer="@sam_k", channel=Channel.SOCIAL_MEDIA,
                                     received_at=clock.now(), text="Two days, no answer",
                                     matter_key="order-7731"))  # fmt: skip
        assert tweet.id == form.id
        assert desk.sweep().escalated == ((form.id, 1),)  # the ignored form breached its standard
        clock.advance(hours=3)
        acknowledged = desk.acknowledge(form.id, by="amy")
        promised = acknowledged.next_contact_by
        assert promised is not None
        moved = desk.conversation.move_channel(
            form.id, Channel.EMAIL, by="amy", reason="agreed to email"
        )
        assert (moved.reply_channel, moved.due_at) == (Channel.EMAIL, acknowledged.due_at)
        desk.outbox.dispatch()
        acknowledgement = next(n for n in outbox.sent if n.purpose == "acknowledgement")
        # Queued before the move: on the case's reply channel then, to her address.
        assert (acknowledgement.channel, acknowledgement.to) == (
            Channel.WEB_FORM, "sam@example.com",
        )  # fmt: skip

        clock.advance(days=60)
        swept = desk.sweep()
        assert [level for case_id, level in swept.escalated if case_id == form.id] == [2]
        (take_action,) = [
            d for d in desk.standards.deadlines(form.id) if d.target is Target.TAKE_ACTION
        ]
        assert take_action.rag is Rag.RED
        assert take_action.due_at == promised  # the promised date is the one tracked
        case = desk.get(form.id)
        assert [m.channel for m in case.messages] == [Channel.WEB_FORM, Channel.SOCIAL_MEDIA]
        assert (case.effort.channel_switches, case.effort.repeat_contacts) == (2, 1)
        assert [c.id for c in desk.customers.cases("crm-1042")] == [form.id]
        report = desk.reports.insights(MONDAY, clock.now())
        rows = {k.target: k for k in report.overall.kpis}
        assert rows[Target.ACKNOWLEDGE].met == 0
        assert rows[Target.TAKE_ACTION].measured == 1
        assert rows[Target.TAKE_ACTION].met == 0
        assert opened_due is not None
