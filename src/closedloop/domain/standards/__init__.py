"""Standards: business calendars, performance standards with RAG status, escalation."""
