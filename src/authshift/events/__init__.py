"""Events: the transactional outbox and its deliveries (webhooks, legacy write-back)."""
