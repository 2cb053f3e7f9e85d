"""closedloop's schema for work queues: the cases' search columns and labels, agents, their
open cases, the teams' rotations, and the report facts' owners, teams and tags
(closedloop's own migrations, run through Django's
connection as 0001 runs them). closedloop's schema is never downgraded: reversing this
migration changes nothing (``migrate closedloop zero`` drops every table)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: The schema versions this migration leaves a database at, by Django vendor.
SCHEMA_VERSIONS = {"sqlite": 13, "postgresql": 11}


def forward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import migrate

    migrate(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("closedloop", "0002_admin_models")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
