"""The helpdesk's pages. Every write saves the ticket and records its closedloop step inside
one ``transaction.atomic()``: both are committed, or neither (a step closedloop refuses rolls
the ticket's change back too)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from closedloop import Channel, ClosedLoopError, Feedback, FeedbackKind, ValidationError
from closedloop.contrib.django import desk
from tickets.models import Ticket

#: The LATTE steps an agent takes from a ticket's page, and the ticket status each leaves.
STEPS = {
    "acknowledge": "acknowledged",
    "take_action": "resolved",
    "thank": "thanked",
    "explain": "explained",
}


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The tickets, newest first, each with its closedloop stage, and a form for a new one."""
    tickets = list(Ticket.objects.order_by("-pk")[:50])
    cases = {c.id: c for c in (desk().get(t.case_id) for t in tickets if t.case_id)}
    rows = [(t, cases.get(t.case_id)) for t in tickets]
    return render(request, "tickets/index.html", {"rows": rows, "steps": STEPS})


@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """A customer's ticket: saved, and listened to by closedloop, in one transaction."""
    form = request.POST
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                customer=form.get("customer", ""),
                kind=form.get("kind", "complaint"),
                subject=form.get("subject", ""),
                text=form.get("text", ""),
            )
            case = desk().listen(
                Feedback(
                    customer=ticket.customer,
                    channel=Channel.WEB_FORM,
                    received_at=ticket.created_at,
                    text=ticket.text,
                    kind=FeedbackKind(ticket.kind),
                    subject=ticket.subject or None,
                    external_id=f"ticket-{ticket.pk}",
                )
            )
            ticket.case_id = case.id
            ticket.save(update_fields=["case_id"])
    except (ClosedLoopError, ValueError) as error:  # nothing was saved
        return JsonResponse({"error": str(error)}, status=400)
    return redirect("detail", pk=ticket.pk)


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket and its closedloop case, as JSON."""
    ticket = get_object_or_404(Ticket, pk=pk)
    case = desk().get(ticket.case_id)
    return JsonResponse(
        {
            "ticket": ticket.pk,
            "status": ticket.status,
            "case": case.id,
            "stage": case.stage.value,
            "closed": case.is_closed,
            "history": [type(event).__name__ for event in case.events],
        }
    )


@require_POST
def step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """An agent's LATTE step on the ticket's case, and the ticket's new status, together."""
    if step not in STEPS:
        return JsonResponse({"error": f"no step {step!r}; take one of {sorted(STEPS)}"}, status=404)
    ticket = get_object_or_404(Ticket, pk=pk)
    form = request.POST
    agent = form.get("agent") or "amy"
    try:
        with transaction.atomic():
            ticket.status = STEPS[step]
            ticket.save(update_fields=["status"])
            if step == "take_action":
                desk().take_action(ticket.case_id, by=agent, summary=form.get("summary", ""))
            elif step == "explain":
                desk().explain(
                    ticket.case_id,
                    by=agent,
                    what_failed=form.get("what_failed", ""),
                    what_changes=form.get("what_changes", ""),
                )
            else:
                getattr(desk(), step)(ticket.case_id, by=agent)
    except ValidationError as error:  # the ticket's status was rolled back with it
        return JsonResponse({"error": str(error)}, status=400)
    except ClosedLoopError as error:  # a step the case cannot take now
        return JsonResponse({"error": str(error)}, status=409)
    if request.headers.get("Accept", "").startswith("text/html"):
        return redirect("index")
    return redirect("detail", pk=ticket.pk)
