"""Forum adapters (Discourse in and out) and outbound webhooks. No other app imports this."""
