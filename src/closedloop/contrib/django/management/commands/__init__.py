"""``closedloop_sweep``, ``closedloop_dispatch`` and ``closedloop_report``."""
