"""Tests of the pure record package (authshift.records): its one field description, and that it stays pure."""
