"""A ticket: what the helpdesk stores, with the id of its closedloop case."""

from django.db import models


class Ticket(models.Model):
    KINDS = tuple((k, k) for k in ("complaint", "question", "suggestion", "compliment"))

    customer = models.EmailField()
    kind = models.CharField(max_length=20, choices=KINDS, default="complaint")
    subject = models.CharField(max_length=200)
    text = models.TextField()
    status = models.CharField(max_length=20, default="new")
    case_id = models.CharField(max_length=64, blank=True)  # the closedloop case
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"
