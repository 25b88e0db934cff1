"""The spine: communities, members, spaces, conduct events, API keys, the domain-event outbox."""
