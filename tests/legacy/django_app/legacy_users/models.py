"""What the legacy application keeps beside Django's own auth.User."""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """Attributes the application added to its users over the years."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    region = models.CharField(max_length=32, blank=True, default="")
    phone_number = models.CharField(max_length=32, blank=True, default="")
    attributes = models.JSONField(default=dict, blank=True)
    # Set when the user was written back by authshift: its own user id, and where the user now lives.
    authshift_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    source = models.CharField(max_length=16, default="legacy")


class ProcessedWebhook(models.Model):
    """One row per webhook-id applied by /authshift/writeback: replays of the same id are no-ops."""

    webhook_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16)
    user_id = models.BigIntegerField(null=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
