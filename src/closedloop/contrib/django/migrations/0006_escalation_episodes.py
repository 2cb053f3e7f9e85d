"""closedloop's schema for a reopened case's escalations on PostgreSQL: the guard of one
escalation per level is kept per episode (the case's reopen count), since a reopen starts the
ladder again (closedloop's own migration, run through Django's connection as 0001 runs them;
SQLite's schema is unchanged). closedloop's schema is never downgraded: reversing this
migration changes nothing (``migrate closedloop zero`` drops every table)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: The schema versions this migration leaves a database at, by Django vendor.
SCHEMA_VERSIONS = {"sqlite": 15, "postgresql": 13}


def forward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import migrate

    migrate(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("closedloop", "0005_tag_steps_index")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
