"""Our outbound webhooks: subscriptions to domain events, and their signed delivery."""
