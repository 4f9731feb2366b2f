"""Storage: the engine, the tables and the schema migrations (Alembic)."""
