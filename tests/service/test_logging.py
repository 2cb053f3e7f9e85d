"""What closedloop logs (docs/operations.md, "Logging"): one logger per area, levels that fit,
ids and counts in ``extra``, and nothing a customer wrote, nor any handle, address or name."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from closedloop import (
    Channel,
    Consolidation,
    Desk,
    Feedback,
    FeedbackKind,
    Ladder,
    LateMode,
    Lateness,
    Notification,
    NotifierError,
    NotifierRouter,
    Policy,
    RetryPolicy,
    Rung,
    SQLiteStore,
    Survey,
    SurveyKind,
    UndeliverableError,
)
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START

#: Everything personal the busy scenario hands closedloop: none of it may reach a log record.
CUSTOMERS = ("mary.jones@example.com", "+44 7700 900123", "@john_tweets", "crm-cust-8812")
STAFF = ("Amy Lee", "lead@corp.example", "hosq@corp.example")
TEXTS = (
    "Staff at the Leeds store refused my return",
    "My card was charged twice for order 4471",
    "Still waiting on that refund, third time I write",
    "The Leeds team was not trained on the returns policy",
    "Refunded the return in full",
    "Every store team is trained on returns by Friday",
    "Loved the new app",
)
SECRETS = CUSTOMERS + STAFF + TEXTS

LADDER = Ladder(
    rungs=(
        Rung("team lead", (STAFF[1],), timedelta(hours=8)),
        Rung("head of service quality", (STAFF[2],), timedelta(hours=8)),
    )
)
POLICY = Policy(
    ladder=LADDER,
    retry=RetryPolicy(max_attempts=2, jitter=0.0),
    consolidation=Consolidation(without_key=True),
    survey_url="https://example.com/s/{token}",
)
NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")


class FlakyNotifier(RecordingNotifier):
    """Refuses the first customer's mail as a mail server would (quoting the address), and
    cannot deliver anything to the second customer at all."""

    def send(self, notification: Notification) -> None:
        if notification.to == CUSTOMERS[0]:
            raise NotifierError(notification.key, f"550 mailbox unavailable: <{notification.to}>")
        if notification.to == CUSTOMERS[1]:
            raise UndeliverableError(notification.key, f"no such number {notification.to}")
        super().send(notification)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "closedloop.db") as store:
        yield store


def feedback(customer: str, text: str, at: ManualClock, **more: object) -> Feedback:
    return Feedback(
        customer=customer,
        channel=Channel.EMAIL,
        received_at=at.now(),
        text=text,
        **more,  # type: ignore[arg-type]
    )


def busy_day(tmp_path: Path) -> None:
    """Intake, steps, a failing notifier, dead letters, sweep escalations, a survey, a merge
    and an erasure, on SQLite (whose schema is created on the way)."""
    clock = ManualClock(START)
    with SQLiteStore(tmp_path / "busy.db") as store:
        desk = Desk(store, FlakyNotifier(), clock=clock, policy=POLICY, ids=SequentialIds())
        first = desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock, external_id="m-1"))
        desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock, external_id="m-1"))  # repeated
        second = desk.listen(feedback(CUSTOMERS[1], TEXTS[1], clock))
        desk.listen(feedback(CUSTOMERS[1], TEXTS[2], clock))  # joins their open case
        desk.listen_many(
            [
                feedback(CUSTOMERS[2], TEXTS[6], clock, kind=FeedbackKind.COMPLIMENT),
                feedback(CUSTOMERS[3], TEXTS[1], clock, kind=FeedbackKind.QUESTION),
            ]
        )
        desk.acknowledge(first.id, by=STAFF[0])
        desk.acknowledge(second.id, by=STAFF[0])  # undeliverable: a dead letter at once
        desk.take_action(first.id, by=STAFF[0], summary=TEXTS[4])
        desk.thank(first.id, by=STAFF[0])
        desk.explain(first.id, by=STAFF[0], what_failed=TEXTS[3], what_changes=TEXTS[5])
        for _ in range(3):  # retries, then dead letters
            desk.outbox.dispatch()
            clock.advance(hours=1)
        clock.advance(days=5)
        desk.sweep()  # escalations to staff, alerts keyed by their address
        clock.advance(days=1)
        desk.sweep()
        desk.standards.escalate(second.id, to="The Financial Ombudsman")
        desk.outbox.dispatch()
        desk.outbox.requeue(*(m.key for m in desk.outbox.dead_letters()))
        invited = desk.surveys.invite(NPS, case_id=first.id)
        assert invited.token is not None
        desk.surveys.respond(invited.token, 2, comment=TEXTS[2])
        desk.customers.link(CUSTOMERS[2], customer=CUSTOMERS[3], by=STAFF[0])
        other = desk.customers.link(CUSTOMERS[1], by=STAFF[0])
        desk.customers.merge(CUSTOMERS[3], other.id, by=STAFF[0])
        desk.customers.erase(CUSTOMERS[0])
        desk.outbox.dispatch()


def closedloop_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("closedloop")]


def test_a_busy_day_logs_no_customer_text_handle_address_or_name(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="closedloop"):
        busy_day(tmp_path)
    records = closedloop_records(caplog)
    assert {r.name for r in records} >= {
        "closedloop.intake",
        "closedloop.outbox",
        "closedloop.standards",
        "closedloop.surveys",
        "closedloop.customers",
        "closedloop.storage.sqlite",
    }
    leaks = [
        (record.name, record.getMessage(), secret)
        for record in records
        for secret in SECRETS
        if secret in record.getMessage()
        or secret in str(vars(record))
        or secret in (caplog.handler.format(record) if record.exc_info else "")
    ]
    assert leaks == []


def test_ids_go_as_arguments_so_nothing_is_formatted_for_a_level_that_is_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="closedloop"):
        busy_day(tmp_path)
    records = closedloop_records(caplog)
    assert records
    assert all("%" in r.msg or not r.args for r in records)
    assert not any("case-" in r.msg for r in records)  # SequentialIds: case-1, case-2, ...


def levels(caplog: pytest.LogCaptureFixture, logger: str) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == logger]


def test_a_retry_is_info_a_dead_letter_a_warning_and_a_delivery_debug(
    caplog: pytest.LogCaptureFixture, sqlite: SQLiteStore
) -> None:
    clock = ManualClock(START)
    desk = Desk(sqlite, FlakyNotifier(), clock=clock, policy=POLICY, ids=SequentialIds())
    refused = desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock))
    fine = desk.listen(feedback(CUSTOMERS[2], TEXTS[1], clock))
    desk.acknowledge(refused.id, by=STAFF[0])
    desk.acknowledge(fine.id, by=STAFF[0])
    with caplog.at_level(logging.DEBUG, logger="closedloop.outbox"):
        desk.outbox.dispatch()
        clock.advance(hours=1)
        desk.outbox.dispatch()
    records = [r for r in caplog.records if r.name == "closedloop.outbox"]
    delivered = [r for r in records if r.getMessage().endswith("delivered")]
    assert [r.levelno for r in delivered] == [logging.DEBUG]
    retry, dead = (r for r in records if getattr(r, "case_id", None) == refused.id)
    assert retry.levelno == logging.INFO
    assert dead.levelno == logging.WARNING
    assert "dead letter" in dead.getMessage()
    for record, attempt in ((retry, 1), (dead, 2)):
        assert record.notification_key == f"{refused.id}/2/acknowledgement"  # type: ignore[attr-defined]
        assert record.attempt == attempt  # type: ignore[attr-defined]
        assert record.error == "NotifierError"  # type: ignore[attr-defined]
        assert record.tenant == "default"  # type: ignore[attr-defined]
        assert record.purpose == "acknowledgement"  # type: ignore[attr-defined]
    assert retry.retry_at > START  # type: ignore[attr-defined]


class RefusingMailer:
    """Returns what it failed to do, as ``return smtp.sendmail(...)`` returns the refused
    recipients, instead of raising: breaking the Notifier protocol."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, notification: Notification) -> object:
        self.sent.append(notification.key)
        return {notification.to: (550, b"mailbox unavailable")}


@pytest.mark.parametrize("routed", [False, True], ids=["notifier", "router"])
def test_a_notifier_returning_a_value_is_warned_about_once_a_dispatch(
    caplog: pytest.LogCaptureFixture, sqlite: SQLiteStore, routed: bool
) -> None:
    """Found by a newcomer's probe: a failure returned, not raised, was marked sent silently."""
    clock = ManualClock(START)
    mailer = RefusingMailer()
    notifier: Any = NotifierRouter({Channel.EMAIL: mailer}) if routed else mailer  # type: ignore[dict-item]
    desk = Desk(sqlite, notifier, clock=clock, ids=SequentialIds())
    first = desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock))
    second = desk.listen(feedback(CUSTOMERS[2], TEXTS[1], clock))
    desk.acknowledge(first.id, by=STAFF[0])
    desk.acknowledge(second.id, by=STAFF[0])
    with caplog.at_level(logging.WARNING, logger="closedloop.outbox"):
        report = desk.outbox.dispatch()
    assert len(report.sent) == len(mailer.sent) == 2  # raising is still the only failure
    (warning,) = levels(caplog, "closedloop.outbox")
    assert warning[0] == logging.WARNING
    assert f"notification {report.sent[0]} marked sent" in warning[1]
    assert "returned a dict" in warning[1]
    assert "must raise" in warning[1]
    assert caplog.records[0].returned == "dict"  # type: ignore[attr-defined]
    assert not any(handle in warning[1] for handle in CUSTOMERS)


def test_a_notifier_returning_none_is_not_warned_about(
    caplog: pytest.LogCaptureFixture, sqlite: SQLiteStore
) -> None:
    clock = ManualClock(START)
    desk = Desk(sqlite, RecordingNotifier(), clock=clock, ids=SequentialIds())
    desk.acknowledge(desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock)).id, by=STAFF[0])
    with caplog.at_level(logging.WARNING, logger="closedloop.outbox"):
        assert desk.outbox.dispatch().sent
    assert levels(caplog, "closedloop.outbox") == []


def test_an_escalation_is_info_with_the_case_and_its_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock(START)
    desk = Desk(SQLiteStore(":memory:"), RecordingNotifier(), clock=clock, policy=POLICY)
    case = desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock))
    clock.advance(days=5)
    with caplog.at_level(logging.INFO, logger="closedloop.standards"):
        desk.sweep()
    escalated = [r for r in caplog.records if getattr(r, "escalation_level", None) == 1]
    assert [(r.levelno, r.case_id) for r in escalated] == [(logging.INFO, case.id)]  # type: ignore[attr-defined]
    summary = [r for r in caplog.records if getattr(r, "escalated", None) == 1]
    assert len(summary) == 1
    assert summary[0].getMessage().startswith("sweep at")


def test_a_sweep_that_only_announces_a_late_promise_is_info_and_counts_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Found by a newcomer's probe: its summary came out at DEBUG, without a late count."""
    clock = ManualClock(START)
    policy = Policy(lateness=Lateness(LateMode.NOTIFY))
    desk = Desk(SQLiteStore(":memory:"), RecordingNotifier(), clock=clock, policy=policy)
    case = desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock))
    desk.acknowledge(case.id, by=STAFF[0])
    desk.promises.make(case.id, what="A call", due_by=clock.now() + timedelta(hours=2),
                       owner=STAFF[0], by=STAFF[0])  # fmt: skip
    clock.advance(hours=2, seconds=1)
    with caplog.at_level(logging.DEBUG, logger="closedloop.standards"):
        report = desk.sweep()
    assert report.late == (case.id,)
    (summary,) = [r for r in caplog.records if r.getMessage().startswith("sweep at")]
    assert (summary.levelno, getattr(summary, "late", None)) == (logging.INFO, 1)


def test_an_erasure_is_info_with_counts_and_no_handle(
    caplog: pytest.LogCaptureFixture, sqlite: SQLiteStore
) -> None:
    clock = ManualClock(START)
    desk = Desk(sqlite, RecordingNotifier(), clock=clock)
    desk.listen(feedback(CUSTOMERS[0], TEXTS[0], clock))
    desk.customers.link(CUSTOMERS[0], CUSTOMERS[1], by=STAFF[0])
    with caplog.at_level(logging.INFO, logger="closedloop.customers"):
        desk.customers.erase(CUSTOMERS[0])
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.handles == 2  # type: ignore[attr-defined]
    assert record.getMessage() == "a customer erased: 2 handles"


def test_a_new_sqlite_file_logs_its_schema_migration(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="closedloop.storage.sqlite"):
        SQLiteStore(tmp_path / "new.db").close()
        SQLiteStore(tmp_path / "new.db").close()  # current already: nothing to say
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.from_version == 0  # type: ignore[attr-defined]
    assert record.to_version >= 1  # type: ignore[attr-defined]


def test_a_host_that_configures_nothing_sees_nothing() -> None:
    """A dead letter is a WARNING, which Python's last-resort handler would print to stderr
    were it not for the NullHandler on ``closedloop``."""
    script = (
        "import logging\n"
        "from datetime import UTC, datetime\n"
        "from closedloop import Channel, Desk, Feedback, UndeliverableError\n"
        "from closedloop.testing import InMemoryStore, ManualClock\n"
        "assert any(isinstance(h, logging.NullHandler)\n"
        "           for h in logging.getLogger('closedloop').handlers)\n"
        "class Dead:\n"
        "    def send(self, n): raise UndeliverableError(n.key, 'no address')\n"
        "clock = ManualClock(datetime(2026, 11, 23, 9, tzinfo=UTC))\n"
        "desk = Desk(InMemoryStore(), Dead(), clock=clock)\n"
        "case = desk.listen(Feedback('m@example.com', Channel.EMAIL, clock.now(), 'hi'))\n"
        "desk.acknowledge(case.id, by='amy')\n"
        "print(len(desk.outbox.dispatch().dead))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")


def test_importing_closedloop_logs_nothing() -> None:
    script = (
        "import logging\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "import closedloop, closedloop.testing\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr == ""


@pytest.mark.postgres
def test_a_new_postgres_schema_logs_its_migration(caplog: pytest.LogCaptureFixture) -> None:
    from closedloop import PostgresStore
    from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

    dsn, schema = dsn_or_skip(), new_schema()
    try:
        with caplog.at_level(logging.INFO, logger="closedloop.storage.postgres"):
            for _ in range(2):  # the second finds it current: nothing to say
                with PostgresStore(dsn, schema=schema) as store:
                    store.due(START, 1)
    finally:
        drop_schema(dsn, schema)
    (record,) = caplog.records
    assert (record.levelno, record.schema, record.from_version) == (logging.INFO, schema, 0)  # type: ignore[attr-defined]
