"""Events for the host: what happened to a case or a survey invitation, as stable JSON for a
CRM, queued in the outbox with the change that caused it."""
