"""Moderation records: decisions (append-only), the weekly shortlist and published features."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand
from campaigns.models import Campaign, Guideline
from submissions.models import Entry


class DecisionAction(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    REMOVE = "remove", _("Remove")


class Decision(models.Model):
    """Who decided what about an entry, citing which guidelines, and when.

    A decision takes effect at `effective_at` (the undo window after it was made): only then is
    the entry's state changed, its pictures made public and the fan told (`applied_at`). Undone
    within the window (`undone_at`), nothing of it ever left. What was decided never changes;
    only those three moments are filled in, once each. The audit trail is activity.Activity.
    """

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="decisions")
    # The entry's brand, copied so a brand's decisions (Done view, moderator stats) are read
    # through one index instead of a join to every entry.
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_index=False)
    moderator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=8, choices=DecisionAction.choices)
    guidelines = models.ManyToManyField(Guideline, blank=True, related_name="+")
    note = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Decisions made together by one bulk action share this id (and can be undone together).
    bulk_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(
                fields=["effective_at"],
                condition=models.Q(applied_at__isnull=True, undone_at__isnull=True),
                name="decision_open",
            ),
            models.Index(fields=["moderator", "created_at"], name="decision_moderator"),
            models.Index(fields=["brand", "created_at"], name="decision_brand"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entry_id} by {self.moderator_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            allowed = {"applied_at", "undone_at", "undone_by"}
            if not set(kwargs.get("update_fields") or ()) or not set(kwargs["update_fields"]) <= allowed:
                raise ValueError("Decisions are append-only: only their outcome is filled in, once.")
        elif self.brand_id is None and self.entry_id is not None:
            self.brand_id = self.entry.brand_id
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Decisions are append-only.")

    @property
    def is_open(self) -> bool:
        """Made, neither undone nor applied yet: still within (or just past) its window."""
        return self.applied_at is None and self.undone_at is None


class ShortlistItem(models.Model):
    """An approved entry a moderator proposes for the feature of an ISO week."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="shortlist")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="shortlistings")
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["added_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["entry", "iso_year", "iso_week"], name="shortlist_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} for {self.iso_year}-W{self.iso_week:02d}"


class Feature(models.Model):
    """The published gallery of a campaign's ISO week. One per week, published exactly once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="features")
    iso_year = models.PositiveSmallIntegerField()
    iso_week = models.PositiveSmallIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entries = models.ManyToManyField(Entry, through="FeatureEntry", related_name="features")

    class Meta:
        ordering: ClassVar = ["-iso_year", "-iso_week"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["campaign", "iso_year", "iso_week"], name="one_feature_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.hashtag} {self.week_label}"

    @property
    def week_label(self) -> str:
        return f"{self.iso_year}-W{self.iso_week:02d}"


class FeatureEntry(models.Model):
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="items")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering: ClassVar = ["position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["feature", "entry"], name="feature_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.feature_id} #{self.position}: {self.entry_id}"


class OutboxMail(models.Model):
    """An e-mail to a fan, written in the transaction of the change it tells of (an outbox).

    A task sends it after the commit and marks it sent under a row lock, so it goes out once even
    when the task and the sweeper race; while the broker is down it waits here until the sweeper
    (Celery beat, moderation.tasks.send_pending_mail) finds it.
    """

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # After a mail server failure, not before this (backoff); null: as soon as possible.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at"]
        indexes: ClassVar = [
            models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="outbox_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({'sent' if self.sent_at else 'unsent'})"
