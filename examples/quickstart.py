"""One complaint through Listen, Acknowledge, Take action, Thank and Explain.

Run it: python examples/quickstart.py
"""

from datetime import UTC, datetime

from closedloop import Channel, Desk, Feedback
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds


def main() -> None:
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    notifier = RecordingNotifier()
    desk = Desk(InMemoryStore(), notifier, clock=clock, ids=SequentialIds())

    case = desk.listen(
        Feedback(
            customer="mary@example.com",
            channel=Channel.WEB_FORM,
            received_at=clock.now(),
            text="Staff at the Leeds store refused my return and were rude about it",
        )
    )
    clock.advance(minutes=15)
    desk.acknowledge(case.id, by="Amy Lee")
    clock.advance(hours=6)
    desk.take_action(case.id, by="Amy Lee", summary="Refunded Mary and spoke to the store manager")
    desk.thank(case.id, by="Amy Lee")
    case = desk.explain(
        case.id,
        by="Amy Lee",
        what_failed="The Leeds team had not been trained on the new returns policy",
        what_changes="Every store team is trained on returns by Friday",
    )
    desk.outbox.dispatch()

    print(f"{case.id}: {case.stage.value} after {case.version} events")
    for event in case.events:
        print(f"  {event.at:%H:%M} {type(event).__name__:<13} by {event.by}")
    for message in notifier.sent:
        print(f"\n--- to {message.to} via {message.channel}: {message.subject}\n{message.body}")


if __name__ == "__main__":
    main()
