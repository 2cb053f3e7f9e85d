"""The admin's read-only models over closedloop's tables (closedloop.contrib.django.models).

State only: the models are unmanaged, so Django creates no table here (0001 made them) and
never alters one; this migration records the models so that ``makemigrations`` sees none
missing. Written for Django 4.2 and later."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("closedloop", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Case",
            fields=[
                ("tenant", models.TextField()),
                ("id", models.TextField(primary_key=True, serialize=False)),
                ("version", models.IntegerField()),
                ("customer", models.TextField()),
                ("stage", models.TextField()),
                ("opened_us", models.BigIntegerField()),
                ("due_us", models.BigIntegerField(null=True)),
                ("acknowledged", models.BooleanField()),
                ("closed", models.BooleanField()),
                ("queue", models.TextField(null=True)),
            ],
            options={
                "verbose_name": "case",
                "db_table": "cases",
                "ordering": ("-opened_us",),
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                ("tenant", models.TextField()),
                ("id", models.TextField(primary_key=True, serialize=False)),
                ("version", models.IntegerField()),
                ("customer", models.TextField()),
                ("created_us", models.BigIntegerField()),
                ("due_us", models.BigIntegerField(null=True)),
                ("answered_us", models.BigIntegerField(null=True)),
                ("body", models.TextField()),
            ],
            options={
                "verbose_name": "survey invitation",
                "db_table": "invitations",
                "ordering": ("-created_us",),
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                ("tenant", models.TextField()),
                ("key", models.TextField(primary_key=True, serialize=False)),
                ("case_id", models.TextField()),
                ("status", models.TextField()),
                ("attempts", models.IntegerField()),
                ("next_attempt_us", models.BigIntegerField(null=True)),
                ("created_us", models.BigIntegerField()),
                ("last_error", models.TextField(null=True)),
                ("sent_at", models.TextField(null=True)),
                ("recipient", models.TextField(null=True)),
                ("body", models.TextField()),
            ],
            options={
                "verbose_name": "outbox message",
                "db_table": "outbox",
                "ordering": ("-created_us",),
                "permissions": (("requeue_outboxmessage", "Can requeue dead letters"),),
                "managed": False,
            },
        ),
        migrations.CreateModel(
            name="DeadLetter",
            fields=[],
            options={
                "verbose_name": "dead letter",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("closedloop.outboxmessage",),
        ),
    ]
