"""FusionAuth: reading its export, and what else authshift knows of its users."""
