"""The append-only record of what happened: every state change and every sensitive read.

One row per event, written by the service that made the change inside its transaction. It holds
plain ids and a snapshot, no foreign keys: nothing cascades into it, and a person erased later
leaves rows that name no one. On PostgreSQL the database itself refuses UPDATE and DELETE
(migration 0001's trigger); the audit trail, webhooks, notifications and insights read it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

SYSTEM_PREFIX = "system:"


class Activity(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    # The person's id and their e-mail at the time, or no id and "system:<rule>".
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=254)
    # "<entity>.<verb>", e.g. "entry.approved", "decision.undone", "entry.original_opened".
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    brand_id = models.BigIntegerField(null=True, blank=True)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    entry_id = models.UUIDField(null=True, blank=True)
    # Ids, states, guideline codes, notes: never a fan's e-mail or name.
    snapshot = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        verbose_name_plural = "activity"
        indexes: ClassVar = [
            models.Index(fields=["brand_id", "at"], name="activity_brand_at"),
            models.Index(fields=["entry_id", "at"], name="activity_entry_at"),
            models.Index(fields=["brand_id", "actor_id", "at"], name="activity_brand_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.verb} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Activity records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Activity records are append-only.")

    @property
    def is_system(self) -> bool:
        return self.actor.startswith(SYSTEM_PREFIX)
