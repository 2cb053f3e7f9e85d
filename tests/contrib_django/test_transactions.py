"""A host's ticket and closedloop's step in one ``transaction.atomic()`` block: committed
together or rolled back together, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from closedloop import ConcurrencyError, Desk
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback


class Boom(Exception):
    """The host's own failure, after both writes."""


@pytest.fixture(params=["sqlite_db", pytest.param("pg_db", marks=pytest.mark.postgres)])
def alias(request: pytest.FixtureRequest) -> str:
    name: str = request.getfixturevalue(request.param)
    return name


@pytest.fixture
def desk(alias: str) -> Desk:
    from closedloop.contrib.django import DjangoStore

    clock = ManualClock(START)
    return Desk(DjangoStore(alias), RecordingNotifier(), clock=clock, ids=SequentialIds())


def save_ticket(alias: str, ticket: str, title: str = "Parcel lost") -> None:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("INSERT INTO host_ticket (id, title) VALUES (%s, %s)", [ticket, title])


def tickets(alias: str) -> list[str]:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT id FROM host_ticket ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def fail_after(alias: str, *writes: Callable[[], object]) -> list[object]:
    """Do ``writes`` in one ``atomic()`` block, then fail (raise Boom) inside it."""
    from django.db import transaction

    done: list[object] = []
    with transaction.atomic(using=alias):
        done.extend(write() for write in writes)
        raise Boom(done)


def queued(alias: str) -> list[str]:
    """The keys of the messages the outbox would send a day from now."""
    from closedloop.contrib.django import DjangoStore

    return [m.key for m in DjangoStore(alias).outbox_ready(START + timedelta(days=1))]


def test_the_ticket_and_the_step_commit_together(alias: str, desk: Desk) -> None:
    from django.db import transaction

    case = desk.listen(make_feedback())
    before = queued(alias)
    with transaction.atomic(using=alias):
        save_ticket(alias, "T-1")
        desk.acknowledge(case.id, by="amy")
    assert tickets(alias) == ["T-1"]
    assert len(queued(alias)) == len(before) + 1  # the acknowledgement's message
    assert desk.get(case.id).version == 2
    assert desk.get(case.id).acknowledged_at is not None


def test_a_failure_after_both_rolls_back_both(alias: str, desk: Desk) -> None:

    case = desk.listen(make_feedback())
    before = queued(alias)
    with pytest.raises(Boom) as failed:
        fail_after(
            alias,
            lambda: save_ticket(alias, "T-1"),
            lambda: desk.acknowledge(case.id, by="amy"),
            lambda: desk.get(case.id),  # the step, seen inside the block
        )
    _, moved, seen = failed.value.args[0]
    assert moved.version == seen.version == 2
    assert tickets(alias) == []
    assert desk.get(case.id) == case
    assert queued(alias) == before  # the acknowledgement's message was never queued


def test_a_case_opened_in_a_rolled_back_block_does_not_exist(alias: str, desk: Desk) -> None:

    from closedloop import CaseNotFoundError

    with pytest.raises(Boom) as failed:
        fail_after(alias, lambda: save_ticket(alias, "T-1"), lambda: desk.listen(make_feedback()))
    case = failed.value.args[0][1]
    with pytest.raises(CaseNotFoundError):
        desk.get(case.id)
    assert (tickets(alias), queued(alias)) == ([], [])


def test_a_stale_step_undoes_only_itself_and_the_host_block_goes_on(alias: str, desk: Desk) -> None:
    from django.db import transaction

    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    with transaction.atomic(using=alias):
        save_ticket(alias, "T-1")
        with pytest.raises(ConcurrencyError):
            desk.take_action(case.id, by="amy", summary="Refunded", expected_version=1)
        save_ticket(alias, "T-2")  # the host's transaction is still usable
        desk.take_action(case.id, by="amy", summary="Refunded", expected_version=2)
    assert tickets(alias) == ["T-1", "T-2"]
    assert desk.get(case.id).version == 3


def test_a_step_in_an_inner_block_rolled_back_leaves_the_outer_one(alias: str, desk: Desk) -> None:
    from django.db import transaction

    case = desk.listen(make_feedback())
    with transaction.atomic(using=alias):
        save_ticket(alias, "T-1")
        with pytest.raises(Boom):
            fail_after(alias, lambda: desk.acknowledge(case.id, by="amy"))
    assert tickets(alias) == ["T-1"]
    assert desk.get(case.id) == case


def test_a_broken_host_transaction_refuses_the_step_as_django_does(alias: str, desk: Desk) -> None:
    from django.db import transaction

    case = desk.listen(make_feedback())
    with transaction.atomic(using=alias):
        save_ticket(alias, "T-1")
        # An error left an inner block without a savepoint: the whole block must roll back.
        with pytest.raises(Boom), transaction.atomic(using=alias, savepoint=False):
            raise Boom
        with pytest.raises(transaction.TransactionManagementError):
            desk.acknowledge(case.id, by="amy")
    assert tickets(alias) == []
    assert desk.get(case.id) == case


def test_dispatch_inside_a_host_block_is_refused_so_a_rollback_cannot_send_twice(
    alias: str, desk: Desk
) -> None:
    from django.db import transaction

    from closedloop import StorageError

    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    before = queued(alias)
    assert before
    with (
        pytest.raises(StorageError, match="run dispatch outside transactions") as refused,
        transaction.atomic(using=alias),
    ):
        desk.outbox.dispatch()
    assert "closedloop_dispatch" in str(refused.value)
    assert queued(alias) == before  # nothing claimed
    sent = desk.outbox.dispatch().sent  # outside any block: delivered once
    assert list(sent) == before
    assert queued(alias) == []
