"""Notifiers closedloop ships: a log line, email over SMTP, and signed webhooks both ways."""
