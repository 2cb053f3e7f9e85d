"""closedloop's tables: its own schema migrations, run through Django's connection.

``SCHEMA_VERSIONS`` is the schema this migration was written for. The step brings the
schema to the version of the closedloop installed (a newer closedloop ships a migration of
its own for an installed database, which tests/contrib_django/test_migrations.py demands);
reversing it drops every closedloop table and record.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: The schema versions this migration leaves a new database at, by Django vendor.
SCHEMA_VERSIONS = {"sqlite": 10, "postgresql": 8}


def forward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import migrate

    migrate(schema_editor.connection)


def backward(apps: Any, schema_editor: Any) -> None:
    from closedloop.contrib.django.schema import drop

    drop(schema_editor.connection)


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(forward, backward, elidable=False)]
