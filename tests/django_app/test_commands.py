"""closedloop_sweep, closedloop_dispatch and closedloop_report: the CLI's jobs on the
project's Desk, their output the CLI's; two machines running sweep and dispatch at once
send each message once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest

from tests.helpers import START, make_feedback

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    from django.core.management import call_command

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("tenant")
def test_sweep_escalates_a_late_case_and_dispatch_delivers_by_django_mail() -> None:
    from django.core import mail

    from closedloop.contrib.django import desk

    case = desk().listen(make_feedback())
    late = START + timedelta(hours=4, seconds=1)  # past the acknowledgement standard
    swept = run("closedloop_sweep", "--now", late.isoformat())
    assert "1 escalated" in swept
    assert f"escalated {case.id} to level 1" in swept
    assert desk().get(case.id).escalation_level == 1
    assert run("closedloop_sweep", "--now", late.isoformat()).startswith("sweep at")
    assert "0 escalated" in run("closedloop_sweep", "--now", late.isoformat())

    desk().acknowledge(case.id, by="amy")
    dry = run("closedloop_dispatch", "--dry-run")
    assert "to mary@example.com via web_form: We have received your message" in dry
    assert mail.outbox == []
    done = run("closedloop_dispatch", "--now", late.isoformat())
    # the acknowledgement is mailed; the alert goes to a team lead with no address: dead
    assert done == "1 sent, 0 to retry, 1 given up\n"
    assert [m.to for m in mail.outbox] == [["mary@example.com"]]
    assert (
        run("closedloop_dispatch", "--now", late.isoformat()) == "0 sent, 0 to retry, 0 given up\n"
    )


@pytest.mark.usefixtures("tenant")
def test_dispatch_goes_on_in_batches_until_the_outbox_is_empty() -> None:
    from django.core import mail

    from closedloop.contrib.django import desk

    for number in range(5):
        case = desk().listen(make_feedback(customer=f"c{number}@example.com"))
        desk().acknowledge(case.id, by="amy")
    assert run("closedloop_dispatch", "--limit", "2") == "5 sent, 0 to retry, 0 given up\n"
    assert len(mail.outbox) == 5


def test_the_commands_work_on_the_tenant_given(tenant: str) -> None:
    from closedloop.contrib.django import desk

    desk().listen(make_feedback())
    late = (START + timedelta(hours=5)).isoformat()
    assert "0 escalated" in run("closedloop_sweep", "--tenant", f"{tenant}-other", "--now", late)
    assert "1 escalated" in run("closedloop_sweep", "--tenant", tenant, "--now", late)


@pytest.mark.usefixtures("tenant")
def test_a_tenant_the_database_holds_nothing_of_is_refused_as_the_cli_does() -> None:
    """Found by a newcomer's probe: the report of a misspelt tenant was empty, exit 0."""
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"holds no tenant 'nosuch' .*check the spelling$"):
        run("closedloop_report", "--tenant", "nosuch")


@pytest.mark.usefixtures("tenant")
def test_report_prints_the_period_as_the_cli_does(tmp_path: Path) -> None:
    from closedloop.contrib.django import desk

    case = desk().listen(make_feedback())
    desk().acknowledge(case.id, by="amy")
    text = run("closedloop_report", "--since", "2026-11-01", "--until", "2026-12-01")
    assert "2026-11-01" in text
    assert "GREEN acknowledge within 4 business hours              100% met (1/1)" in text
    assert "cases opened 1;" in text
    document = json.loads(run("closedloop_report", "--format", "json"))
    # the default period: from the day the first case opened to the end of the latest event's
    # day, but never past the desk's clock (09:00 here): a step due later is not missed yet
    assert (document["since"], document["until"]) == (
        "2026-11-23T00:00:00+00:00",
        "2026-11-23T09:00:00.000001+00:00",
    )
    html = tmp_path / "report.html"
    assert run("closedloop_report", "--format", "html", "--out", str(html)) == f"wrote {html}\n"
    assert html.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.usefixtures("tenant")
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("closedloop_sweep", "--now", "yesterday"), "--now 'yesterday' is not a date"),
        (("closedloop_dispatch", "--tenant", "a\nb"), "tenant"),
        (("closedloop_report", "--since", "2026-12-01", "--until", "2026-11-01"), "empty"),
        (("closedloop_report", "--out", "/no/such/folder/r.txt"), "does not exist"),
    ],
)
def test_bad_input_is_a_command_error_saying_what_to_do(args: tuple[str, ...], said: str) -> None:
    from django.core.management.base import CommandError

    from closedloop.contrib.django import desk

    desk().listen(make_feedback())  # a tenant the database holds (else that is the error)
    with pytest.raises(CommandError, match=said) as raised:
        run(*args)
    assert str(raised.value).startswith(f"closedloop {args[0].removeprefix('closedloop_')}:")


@pytest.mark.usefixtures("tenant")
def test_bad_settings_are_a_command_error() -> None:
    from django.core.management.base import CommandError
    from django.test import override_settings

    with (
        override_settings(CLOSEDLOOP={"POLICY": "nowhere"}),
        pytest.raises(CommandError, match=r'CLOSEDLOOP\["POLICY"\]'),
    ):
        run("closedloop_sweep")


def test_two_machines_sweeping_and_dispatching_at_once_send_each_message_once(
    tmp_path: Path,
) -> None:
    """Each process runs sweep then dispatch, as cron would on two machines, on one file."""
    from closedloop import Desk, SQLiteStore
    from closedloop.testing import ManualClock, RecordingNotifier

    db = tmp_path / "project.db"
    cases = 120
    with SQLiteStore(db) as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        opened = desk.listen_many(make_feedback(customer=f"c{n}@example.com") for n in range(cases))
        for case in opened[: cases // 2]:
            desk.acknowledge(case.id, by="amy")
    keys = tmp_path / "keys.txt"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.django_app.settings",
        "CLOSEDLOOP_TEST_DJANGO_DB": str(db),
        "CLOSEDLOOP_TEST_KEYS_FILE": str(keys),
        "PYTHONPATH": str(ROOT),
    }
    late = (START + timedelta(hours=5)).isoformat()
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        f"call_command('closedloop_sweep', '--now', {late!r}, '--batch', '7')\n"
        f"call_command('closedloop_dispatch', '--now', {late!r}, '--limit', '5')\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    escalated = sum(int(out.split(" escalated")[0].rsplit(" ", 1)[-1]) for out, _ in outputs)
    assert escalated == cases // 2  # the unacknowledged half, each once
    delivered = keys.read_text().split()
    assert len(delivered) == len(set(delivered))  # nothing sent twice
    acknowledgements = [k for k in delivered if k.endswith("/acknowledgement")]
    alerts = [k for k in delivered if "escalation" in k]
    assert len(acknowledgements) == cases // 2
    assert len(alerts) == cases // 2
