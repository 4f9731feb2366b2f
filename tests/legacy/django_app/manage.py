#!/usr/bin/env python
"""The legacy Django application's command line (Django's own manage.py)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "legacy_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
