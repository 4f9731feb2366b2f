"""Bulk import: reading a file, classifying its records, writing them in batches, undoing a job."""
