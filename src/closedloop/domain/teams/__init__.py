"""Teams, their members and leads, agents' availability, and how cases find an owner."""
