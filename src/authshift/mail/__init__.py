"""Outgoing email: queue in the caller's transaction, deliver over SMTP or leave in the outbox table.

Public surface: ``queue_email`` (in a transaction), ``deliver_due`` (send what is due now),
``start_mail_worker`` (the background retry loop), ``redact_links``, the ``email_outbox`` table.
"""

from authshift.mail.outbox import queue_email, redact_links
from authshift.mail.tables import email_outbox

__all__ = ["email_outbox", "queue_email", "redact_links"]
