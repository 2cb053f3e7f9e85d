"""closedloop's schema for case lists as summaries: each case's subject kept beside its
search columns (closedloop's own migration, run through Django's connection as 0001 runs
them; the subjects are filled in from the stored snapshots). closedloop's schema is never
downgraded: reversing this migration changes nothing (``migrate closedloop zero`` drops
every table)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: The schema versions this migration leaves a database at, by Django vendor.
SCHEMA_VERSIONS = {"sqlite": 14, "postgresql": 12}


def forward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import migrate

    migrate(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("closedloop", "0003_work_queues")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)]
