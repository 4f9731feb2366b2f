"""Events: the outbox, webhook delivery and their Standard Webhooks signatures."""
