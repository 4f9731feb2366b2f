"""`manage.py serve ADDR:PORT`: apply migrations, then run Django's server without the reloader.

One process, so the test fixture can stop it for real with a single signal.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the database, then serve on ADDR:PORT (threaded, no autoreload)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport")

    def handle(self, *args, addrport: str, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("runserver", addrport, use_reloader=False, skip_checks=True)
