"""Customers: one person behind many handles, consolidation, the no log, erasure."""
