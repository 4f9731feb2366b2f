"""authshift: an OpenID Connect provider for moving users off another authentication system."""

__version__ = "0.1.0"
