"""The legacy systems' fixtures are registered for the whole suite in tests/conftest.py."""
