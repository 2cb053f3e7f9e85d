"""A small Django helpdesk that closes the loop with closedloop."""
