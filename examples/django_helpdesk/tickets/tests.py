"""The helpdesk through its pages, as a browser or another system would use it: each ticket
is a closedloop case, and a ticket's change commits with its case's step or not at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.test import TestCase

from closedloop.contrib.django import desk, reset
from tickets.models import Ticket


class TicketsTest(TestCase):
    def setUp(self) -> None:
        reset()  # each test's Desk anew, as the settings make it

    def open_ticket(self, customer: str = "mary@example.com", kind: str = "complaint") -> int:
        response = self.client.post(
            "/tickets/",
            {"customer": customer, "kind": kind, "subject": "Torn sofa", "text": "It arrived torn"},
        )
        assert response.status_code == 302
        return int(response["Location"].strip("/").split("/")[-1])

    def test_a_new_ticket_is_a_closedloop_case(self) -> None:
        pk = self.open_ticket()
        shown = self.client.get(f"/tickets/{pk}/").json()
        ticket = Ticket.objects.get(pk=pk)
        assert shown["case"] == ticket.case_id
        assert shown["history"] == ["CaseOpened"]
        assert desk().get(ticket.case_id).customer == "mary@example.com"
        page = self.client.get("/")
        self.assertContains(page, "Torn sofa")

    def test_acknowledging_mails_the_customer_once_dispatched(self) -> None:
        pk = self.open_ticket(customer="ann@example.com")
        response = self.client.post(f"/tickets/{pk}/acknowledge/", {"agent": "amy"})
        assert response.status_code == 302
        shown = self.client.get(f"/tickets/{pk}/").json()
        assert shown["status"] == "acknowledged"
        assert shown["history"] == ["CaseOpened", "Acknowledged"]
        assert mail.outbox == []
        call_command("closedloop_dispatch", stdout=StringIO())
        mine = [m for m in mail.outbox if m.to == ["ann@example.com"]]
        assert len(mine) == 1
        assert "Torn sofa" in mine[0].subject
        assert mine[0].reply_to == ["support@harbour-pine.example"]

    def test_a_ticket_past_its_deadline_reaches_the_team_lead(self) -> None:
        self.open_ticket()
        later = (datetime.now(UTC) + timedelta(days=4)).isoformat()
        call_command("closedloop_sweep", "--now", later, stdout=StringIO())
        call_command("closedloop_dispatch", "--now", later, stdout=StringIO())
        assert [m.to for m in mail.outbox if "lead@" in m.to[0]] == [["lead@harbour-pine.example"]]
        assert desk().outbox.dead_letters() == []

    def test_the_whole_loop_closes(self) -> None:
        pk = self.open_ticket()
        for step, form in [
            ("acknowledge", {}),
            ("take_action", {"summary": "A new sofa is on its way"}),
            ("thank", {}),
            ("explain", {"what_failed": "Packing", "what_changes": "Corner guards"}),
        ]:
            response = self.client.post(f"/tickets/{pk}/{step}/", {"agent": "amy", **form})
            assert response.status_code == 302, response.content
        shown = self.client.get(f"/tickets/{pk}/").json()
        assert shown["closed"]
        assert shown["status"] == "explained"

    def test_a_step_closedloop_refuses_rolls_the_ticket_back_too(self) -> None:
        pk = self.open_ticket()
        response = self.client.post(f"/tickets/{pk}/explain/", {"agent": "amy"})
        assert response.status_code in (400, 409)
        assert "error" in response.json()
        assert Ticket.objects.get(pk=pk).status == "new"
        assert self.client.get(f"/tickets/{pk}/").json()["history"] == ["CaseOpened"]

    def test_a_ticket_closedloop_refuses_is_not_saved(self) -> None:
        before = Ticket.objects.count()
        response = self.client.post("/tickets/", {"customer": "", "subject": "x", "text": "y"})
        assert response.status_code == 400
        assert Ticket.objects.count() == before
