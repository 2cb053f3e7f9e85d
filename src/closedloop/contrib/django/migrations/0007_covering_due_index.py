"""closedloop's schema for the sweep's due query on SQLite: its index holds each case's
version, so the query never reads the cases' rows (closedloop's own migration, run through
Django's connection as 0001 runs them; PostgreSQL's schema is unchanged). closedloop's schema
is never downgraded: reversing this migration changes nothing (``migrate closedloop zero``
drops every table)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: The schema versions this migration leaves a database at, by Django vendor.
SCHEMA_VERSIONS = {"sqlite": 16, "postgresql": 13}


def forward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import migrate

    migrate(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("closedloop", "0006_escalation_episodes")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
