"""The ``authshift`` command line (Typer). Commands parse, call a service and render."""
