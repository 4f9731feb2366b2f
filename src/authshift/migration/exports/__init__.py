"""Bulk export: export jobs, their options, writers and where their bytes go."""
