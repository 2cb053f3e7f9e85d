"""The outbox: notifications to customers and staff, and their delivery state."""
