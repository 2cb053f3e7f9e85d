"""Finding cases (``desk.queues.find``): the query, its orders and pages, and the instants a
case turns amber and red, which stores index so that a RAG filter needs no replay."""
