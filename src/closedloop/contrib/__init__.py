"""Framework integrations (``closedloop.contrib.django``), each imported only when used."""
