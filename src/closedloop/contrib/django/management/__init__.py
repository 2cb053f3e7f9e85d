"""closedloop's Django management commands."""
