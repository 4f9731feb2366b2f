"""The OpenID Connect provider: clients, signing keys, sessions, grants, tokens and discovery.

Protocol modules quote the section of the specification they implement in their docstrings.
"""
