"""The admin REST API under ``/api/admin/v1``."""
