"""What the settings name: the helpdesk's closedloop policy and its staff's addresses."""

from closedloop import Policy

#: closedloop's default standards and escalation ladder; change them here.
POLICY = Policy()

#: The default ladder's recipients (``Rung.to``), each to a mailbox.
_STAFF = {
    "team-lead": "lead@harbour-pine.example",
    "head-of-service-quality": "head@harbour-pine.example",
    "executive": "ceo@harbour-pine.example",
}


def staff_address(name: str) -> str | None:
    """The mailbox of a member of staff closedloop names (an escalation's recipient)."""
    return _STAFF.get(name)
