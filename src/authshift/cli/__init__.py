"""Command-line interface (Typer apps mounted by the main ``authshift`` command)."""
