"""Read-only Django models over closedloop's own tables, for the admin and for your own
queries: cases, the outbox (and its dead letters) and survey invitations. ``managed =
False``: closedloop's store creates and migrates these tables, Django never does; nothing
is written through them.

A row's primary key in closedloop is (tenant, id); Django's is one column, so each model
names its id as the key. ``Model.objects`` reads the configured tenant
(``CLOSEDLOOP["TENANT"]``) from the database ``CLOSEDLOOP["USING"]`` names, in its
``closedloop`` schema on PostgreSQL; ``Model.objects.using(alias)`` reads another database,
and ``Model.all_tenants`` every tenant. The columns are the ones the SQLite and PostgreSQL
schemas share.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Self

from django.db import models

__all__ = [
    "PG_SCHEMA",
    "AllTenantsManager",
    "Case",
    "ClosedloopQuerySet",
    "DeadLetter",
    "Invitation",
    "OutboxMessage",
    "TenantManager",
    "tables_for",
]

#: The PostgreSQL schema of closedloop's tables (DjangoStore's and PostgresStore's default).
PG_SCHEMA = "closedloop"


def _instant(value: int | None) -> datetime | None:
    from closedloop.adapters.rows import from_us

    return from_us(value) if value is not None else None


class ClosedloopQuerySet(models.QuerySet[Any]):
    """A query of closedloop's tables: :meth:`using` names them for that database."""

    def using(self, alias: str | None) -> Self:
        """This query on the database ``alias``, its tables named for the database's vendor.
        Call it before filtering (``Model.objects.using(alias).filter(...)``): a query built
        for one vendor's table names cannot move to another's."""
        if alias is not None:
            table = self.model._meta.db_table
            tables_for(alias)
            if self.query.alias_map and self.model._meta.db_table != table:
                tables_for(self.db)
                from closedloop.domain.errors import ValidationError

                raise ValidationError.of(
                    "using",
                    f"this query of {self.model.__name__} was built for {self.db!r}, whose "
                    f"tables are named otherwise than {alias!r}'s: start from "
                    f"{self.model.__name__}.objects.using({alias!r}) and filter after",
                )
        moved: Self = super().using(alias)
        return moved


class AllTenantsManager(models.Manager[Any]):
    """Every tenant's rows, from the database ``CLOSEDLOOP["USING"]`` names (or
    ``Model.all_tenants.using(alias)``'s)."""

    def get_queryset(self) -> ClosedloopQuerySet:
        from closedloop.contrib.django.conf import configured_database

        alias = self._db or configured_database()[0]
        tables_for(alias)
        return ClosedloopQuerySet(self.model, using=alias, hints=self._hints)

    def using(self, alias: str) -> ClosedloopQuerySet:
        """The rows in the database ``alias``."""
        found: ClosedloopQuerySet = self.db_manager(alias).get_queryset()
        return found


class TenantManager(AllTenantsManager):
    """The configured tenant's rows (``CLOSEDLOOP["TENANT"]``)."""

    def get_queryset(self) -> ClosedloopQuerySet:
        from closedloop.contrib.django.conf import configured_database

        found: ClosedloopQuerySet = super().get_queryset().filter(tenant=configured_database()[1])
        return found


class Case(models.Model):
    """A closedloop case as stored: its indexed columns (the whole case is its events)."""

    tenant = models.TextField()
    id = models.TextField(primary_key=True)
    version = models.IntegerField()
    customer = models.TextField()
    stage = models.TextField()
    opened_us = models.BigIntegerField()
    due_us = models.BigIntegerField(null=True)
    acknowledged = models.BooleanField()
    closed = models.BooleanField()
    queue = models.TextField(null=True)

    objects = TenantManager()
    all_tenants = AllTenantsManager()

    class Meta:
        managed = False
        db_table = "cases"
        ordering = ("-opened_us",)
        verbose_name = "case"

    def __str__(self) -> str:
        return str(self.id)

    @property
    def opened_at(self) -> datetime | None:
        """When the case was opened (UTC)."""
        return _instant(self.opened_us)

    @property
    def due_at(self) -> datetime | None:
        """When its next step is due (UTC); None when nothing is."""
        return _instant(self.due_us)


class OutboxMessage(models.Model):
    """A notification in the outbox: pending, sent, or dead (given up)."""

    tenant = models.TextField()
    key = models.TextField(primary_key=True)
    case_id = models.TextField()
    status = models.TextField()
    attempts = models.IntegerField()
    next_attempt_us = models.BigIntegerField(null=True)
    created_us = models.BigIntegerField()
    last_error = models.TextField(null=True)
    sent_at = models.TextField(null=True)
    recipient = models.TextField(null=True)
    body = models.TextField()

    objects = TenantManager()
    all_tenants = AllTenantsManager()

    class Meta:
        managed = False
        db_table = "outbox"
        ordering = ("-created_us",)
        verbose_name = "outbox message"
        permissions = (("requeue_outboxmessage", "Can requeue dead letters"),)

    def __str__(self) -> str:
        return str(self.key)

    @property
    def notification(self) -> dict[str, object]:
        """The stored notification (its JSON document); empty if it cannot be read."""
        try:
            found = json.loads(self.body)
        except (TypeError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    @property
    def to(self) -> object:
        """Whom the notification is for: an address, a customer handle, a staff member."""
        return self.notification.get("to", "")

    @property
    def channel(self) -> object:
        """The channel it goes out on."""
        found = self.notification.get("channel")
        return found.get("name", "") if isinstance(found, dict) else found or ""

    @property
    def purpose(self) -> object:
        """What it is for: acknowledgement, escalation, survey..."""
        return self.notification.get("purpose", "")

    @property
    def subject(self) -> object:
        """Its subject line."""
        return self.notification.get("subject", "")

    @property
    def created_at(self) -> datetime | None:
        """When the message was queued (UTC)."""
        return _instant(self.created_us)

    @property
    def next_attempt_at(self) -> datetime | None:
        """When it is next tried (UTC); None once sent or dead."""
        return _instant(self.next_attempt_us)


class DeadLetterManager(TenantManager):
    """Only the messages the outbox gave up on, of the configured tenant."""

    def get_queryset(self) -> ClosedloopQuerySet:
        found: ClosedloopQuerySet = super().get_queryset().filter(status="dead")
        return found


class _AllDeadLetters(AllTenantsManager):
    def get_queryset(self) -> ClosedloopQuerySet:
        found: ClosedloopQuerySet = super().get_queryset().filter(status="dead")
        return found


class DeadLetter(OutboxMessage):
    """A message the outbox gave up on: requeue it once its cause is fixed."""

    objects = DeadLetterManager()
    all_tenants = _AllDeadLetters()

    class Meta:
        proxy = True
        verbose_name = "dead letter"


class Invitation(models.Model):
    """A survey invitation: its indexed columns (the whole invitation is its document)."""

    tenant = models.TextField()
    id = models.TextField(primary_key=True)
    version = models.IntegerField()
    customer = models.TextField()
    created_us = models.BigIntegerField()
    due_us = models.BigIntegerField(null=True)
    answered_us = models.BigIntegerField(null=True)
    body = models.TextField()

    objects = TenantManager()
    all_tenants = AllTenantsManager()

    class Meta:
        managed = False
        db_table = "invitations"
        ordering = ("-created_us",)
        verbose_name = "survey invitation"

    def __str__(self) -> str:
        return str(self.id)

    @property
    def document(self) -> dict[str, object]:
        """The stored invitation (its JSON document); empty if it cannot be read."""
        try:
            found = json.loads(self.body)
        except (TypeError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    @property
    def created_at(self) -> datetime | None:
        """When the invitation was made (UTC)."""
        return _instant(self.created_us)

    @property
    def answered_at(self) -> datetime | None:
        """When the customer answered (UTC); None before."""
        return _instant(self.answered_us)


def tables_for(alias: str = "default") -> None:
    """Point the models at closedloop's tables in the database ``alias`` names: by name on
    SQLite, in the :data:`PG_SCHEMA` schema on PostgreSQL. (The managers call it before
    each query; a process reading both kinds of database switches between them.)"""
    from django.db import connections

    postgres = connections[alias].vendor == "postgresql"
    for model, table in (
        (Case, "cases"),
        (OutboxMessage, "outbox"),
        (DeadLetter, "outbox"),
        (Invitation, "invitations"),
    ):
        name = f'"{PG_SCHEMA}"."{table}"' if postgres else table
        if model._meta.db_table != name:
            model._meta.db_table = name
            for field in model._meta.concrete_fields:  # columns cache their table's name
                field.__dict__.pop("cached_col", None)
