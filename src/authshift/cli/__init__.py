<<<<<<< HEAD
"""The ``authshift`` command line (Typer). Commands parse, call a service and render."""
=======
"""Command-line interface (Typer apps mounted by the main ``authshift`` command)."""
>>>>>>> passwords
