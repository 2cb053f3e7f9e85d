"""Read-only admin pages over closedloop's tables: cases (with their history), the outbox,
its dead letters (with a "requeue" action) and survey invitations.

Nothing is added, changed or deleted through the admin: closedloop changes its records only
through the Desk. The one action, requeue, calls ``desk.outbox.requeue`` on the configured
Desk, and needs the ``closedloop.requeue_outboxmessage`` permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from closedloop.contrib.django.models import Case, DeadLetter, Invitation, OutboxMessage

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest

__all__ = ["CaseAdmin", "DeadLetterAdmin", "InvitationAdmin", "OutboxAdmin", "ReadOnlyAdmin"]

REQUEUE_PERMISSION = "closedloop.requeue_outboxmessage"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows the rows of the configured tenant, from the database
    ``CLOSEDLOOP["USING"]`` names (``"default"`` unless set); never adds, changes or
    deletes."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        from closedloop.contrib.django.conf import wiring

        wiring()  # the settings checked first
        return super().get_queryset(request)  # the models' managers: USING's, the tenant's

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Cases, newest first; a case's page shows its whole history."""

    list_display = ("id", "customer", "stage", "opened_at", "due_at", "acknowledged", "closed")
    list_filter = ("stage", "acknowledged", "closed", "queue")
    search_fields = ("=id", "customer")
    fields = (
        "id",
        "customer",
        "stage",
        "version",
        "opened_at",
        "due_at",
        "acknowledged",
        "closed",
        "queue",
        "history",
    )
    readonly_fields = fields

    @admin.display(description="history")
    def history(self, case: Case) -> object:
        """The case's events, oldest first: version, when, what, by whom."""
        from closedloop import ClosedLoopError
        from closedloop.contrib.django.conf import desk

        try:
            events = desk().get(case.id).events
        except ClosedLoopError as exc:
            return format_html("<p>the history cannot be read: {}</p>", exc)
        rows = format_html_join(
            "\n",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((e.version, f"{e.at:%Y-%m-%d %H:%M %Z}", type(e).__name__, e.by) for e in events),
        )
        return format_html(
            '<table class="closedloop-history"><thead><tr><th>version</th><th>at</th>'
            "<th>event</th><th>by</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )


class _Requeue:
    """The requeue action, for the outbox and its dead letters."""

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        """Whether the user may requeue dead letters."""
        return bool(request.user.has_perm(REQUEUE_PERMISSION))

    @admin.action(description="Requeue the selected dead letters", permissions=["requeue"])
    def requeue(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """``desk.outbox.requeue`` the selected dead letters; the others are left alone."""
        from closedloop.contrib.django.conf import desk

        keys = [m.key for m in queryset if m.status == "dead"]
        skipped = queryset.count() - len(keys)
        if keys:
            desk().outbox.requeue(*keys)
        note = f"; {skipped} not dead left as they were" if skipped else ""
        level = messages.SUCCESS if keys else messages.WARNING
        self.message_user(request, f"{len(keys)} requeued{note}", level)  # type: ignore[attr-defined]


_OUTBOX_FIELDS = (
    "key",
    "case_id",
    "status",
    "attempts",
    "to",
    "channel",
    "purpose",
    "subject",
    "created_at",
    "next_attempt_at",
    "sent_at",
    "last_error",
)


@admin.register(OutboxMessage)
class OutboxAdmin(_Requeue, ReadOnlyAdmin):
    """Every outbox message, newest first."""

    list_display: tuple[str, ...] = (
        "key",
        "case_id",
        "status",
        "attempts",
        "purpose",
        "created_at",
        "last_error",
    )
    list_filter: tuple[str, ...] = ("status",)
    search_fields = ("=key", "=case_id", "recipient")
    actions = ("requeue",)
    fields = _OUTBOX_FIELDS
    readonly_fields = _OUTBOX_FIELDS


@admin.register(DeadLetter)
class DeadLetterAdmin(OutboxAdmin):
    """The messages the outbox gave up on, with why; requeue them once the cause is fixed."""

    list_display = ("key", "case_id", "attempts", "purpose", "created_at", "last_error")
    list_filter = ()


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Survey invitations, newest first."""

    list_display = ("id", "customer", "survey", "status", "case", "created_at", "answered_at")
    search_fields = ("=id", "customer")
    fields = ("id", "customer", "survey", "status", "case", "created_at", "answered_at")
    readonly_fields = fields

    @admin.display(description="survey")
    def survey(self, invitation: Invitation) -> object:
        """The survey's name."""
        found = invitation.document.get("survey")
        return found.get("name", "") if isinstance(found, dict) else ""

    @admin.display(description="status")
    def status(self, invitation: Invitation) -> object:
        """Where the invitation is: pending, sent, answered, expired..."""
        return invitation.document.get("status", "")

    @admin.display(description="case")
    def case(self, invitation: Invitation) -> object:
        """The case the survey is about, if any."""
        return invitation.document.get("case_id") or ""
