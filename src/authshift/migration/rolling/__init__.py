"""Rolling migration: the legacy system's client and breaker, cohorts, lazy migration, shadow checks."""
