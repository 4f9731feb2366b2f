"""Sending one message over SMTP with the standard library, off the event loop."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from authshift.config import SmtpSettings

__all__ = ["build_message", "send", "send_async"]


def build_message(smtp: SmtpSettings, *, to: str, subject: str, body: str) -> EmailMessage:
    sender = smtp.from_address or ""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    return message


def _tls_context(smtp: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Deliver ``message`` to the configured relay; raises ``smtplib.SMTPException`` or ``OSError``."""
    if not smtp.host:
        raise ValueError("smtp.host is not configured")
    client: smtplib.SMTP
    if smtp.tls == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_seconds, context=_tls_context(smtp))
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=_tls_context(smtp))
        if smtp.username:
            client.login(smtp.username, smtp.password.get_secret_value() if smtp.password else "")
        client.send_message(message)


async def send_async(smtp: SmtpSettings, message: EmailMessage) -> None:
    await asyncio.to_thread(send, smtp, message)
