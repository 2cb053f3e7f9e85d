"""Tickets: the helpdesk's own model, each one a closedloop case."""
