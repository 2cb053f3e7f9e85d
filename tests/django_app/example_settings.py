"""The example helpdesk's settings with closedloop on a SQLite file of its own
(in HELPDESK_CLOSEDLOOP_DIR), for running the example where DjangoStore is not available."""

from __future__ import annotations

import os

from helpdesk_site.settings import *  # noqa: F403
from helpdesk_site.settings import CLOSEDLOOP

from closedloop import SQLiteStore

CLOSEDLOOP = {**CLOSEDLOOP, "STORE": "tests.django_app.example_settings:separate_store"}


def separate_store() -> SQLiteStore:
    """closedloop on a new SQLite file of its own (in HELPDESK_CLOSEDLOOP_DIR): not one
    transaction with the tickets, nor rolled back with them, so each test (which resets
    the Desk) gets a new one."""
    import tempfile

    handle, path = tempfile.mkstemp(suffix=".db", dir=os.environ["HELPDESK_CLOSEDLOOP_DIR"])
    os.close(handle)
    return SQLiteStore(path)
