"""closedloop's schema for reports per tag on SQLite: a case's steps indexed with what the
report reads of them (closedloop's own migration, run through Django's connection as 0001
runs them; PostgreSQL's schema is unchanged). closedloop's schema is never downgraded:
reversing this migration changes nothing (``migrate closedloop zero`` drops every table)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: The schema versions this migration leaves a database at, by Django vendor.
SCHEMA_VERSIONS = {"sqlite": 15, "postgresql": 12}


def forward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import migrate

    migrate(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("closedloop", "0004_case_subjects")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
