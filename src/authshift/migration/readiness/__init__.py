"""Sign-in readiness: the pure rule, the per-user store, its tables and its reports."""
