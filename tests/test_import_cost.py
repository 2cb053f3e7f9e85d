"""``import closedloop`` leaves e-mail, HTTP, TLS and SQLite for the code that uses them: the
public names that need them (``SmtpNotifier``, ``WebhookNotifier``, ``SQLiteStore``,
``PostgresStore``) and ``__version__`` are imported on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DEFERRED = (
    "smtplib",
    "email",
    "email.mime",
    "http.client",
    "urllib.request",
    "ssl",
    "socket",
    "sqlite3",
    "importlib.metadata",
    "psycopg",
)


def modules_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def test_importing_closedloop_imports_no_mail_http_tls_or_sqlite_module() -> None:
    loaded = modules_after("import closedloop")
    assert "closedloop.service.desk" in loaded
    assert sorted(loaded & set(DEFERRED)) == []


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("SmtpNotifier", "smtplib"),
        ("WebhookNotifier", "urllib.request"),
        ("SQLiteStore", "sqlite3"),
        ("__version__", "importlib.metadata"),
    ],
)
def test_a_deferred_name_imports_what_it_needs_on_first_use(name: str, needs: str) -> None:
    loaded = modules_after(f"import closedloop\nclosedloop.{name}")
    assert needs in loaded


def test_the_deferred_names_are_the_classes_they_stand_for() -> None:
    import closedloop
    from closedloop.adapters.notify.smtp import SmtpNotifier
    from closedloop.adapters.notify.webhooks import WebhookNotifier
    from closedloop.adapters.sqlite import SQLiteStore

    assert closedloop.SmtpNotifier is SmtpNotifier
    assert closedloop.WebhookNotifier is WebhookNotifier
    assert closedloop.SQLiteStore is SQLiteStore
    with pytest.raises(AttributeError, match="no attribute 'SmtpNotifer'"):
        closedloop.SmtpNotifer  # noqa: B018


def test_a_star_import_still_gives_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from closedloop import *", namespace)
    import closedloop

    assert set(closedloop.__all__) <= set(namespace)
