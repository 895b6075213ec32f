"""Moderation records: decisions (append-only), the weekly shortlist and published features,
automatic rules, reports from the public and appeals."""

from __future__ import annotations

import uuid
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


class RuleKind(models.TextChoices):
    BLOCKED_TERM = "blocked_term", _("Blocked term")
    BLOCKED_FAN = "blocked_fan", _("Blocked fan")
    BURST = "burst", _("Burst of entries")
    NEW_ACCOUNT = "new_account", _("New account")


class RuleAction(models.TextChoices):
    FLAG = "flag", _("Flag for review")
    HOLD = "hold", _("Hold in Flagged")
    REJECT = "reject", _("Reject")


class Rule(models.Model):
    """An automatic rule of a brand, optionally narrowed to one of its campaigns.

    `value` is read by kind (moderation.rules): a term or phrase; an e-mail address or a domain;
    for bursts "N" (entries per fan per hour) or "network:M" (per /24 or /48 network); for new
    accounts "hours:N" (younger than N hours) or "approved:K" (fewer than K approved entries).
    A hit is recorded with actor `system:<rule id>`. `guideline` is a guideline code, cited when
    the rule rejects.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="rules")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    value = models.CharField(max_length=200)
    action = models.CharField(max_length=8, choices=RuleAction.choices)
    guideline = models.SlugField(max_length=32, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["kind", "value"]
        indexes: ClassVar = [models.Index(fields=["brand", "kind"], name="rule_brand_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r} → {self.action}"

    @property
    def actor(self) -> str:
        """How the activity trail names this rule when it acts."""
        return f"system:{self.pk}"


class ReportReason(models.TextChoices):
    """Reasons open to anyone; a report may also cite one of the campaign's guideline codes."""

    ILLEGAL = "illegal", _("Illegal content")
    DEPICTED_PERSON = "depicted_person", _("This shows me and I did not agree")
    MINOR = "minor", _("This shows a minor")


# Reasons that hide the entry on the first report, whoever sends it.
HIDE_AT_ONCE_REASONS = frozenset({ReportReason.DEPICTED_PERSON, ReportReason.MINOR})


class ReportResolution(models.TextChoices):
    KEPT = "kept", _("Kept")
    REMOVED = "removed", _("Removed")


class Report(models.Model):
    """A report of a public entry by anyone, signed in or not.

    `reporter_key` identifies the reporter without storing an address: "user:<id>" for an
    account, "anon:<hex>" for a daily salted hash of the client address and user agent; one
    report per reporter per entry. Resolved when a moderator keeps or removes the entry.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="reports")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_index=False)
    reason = models.CharField(max_length=40)
    guideline = models.ForeignKey(Guideline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    details = models.TextField(max_length=1000, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_key = models.CharField(max_length=80)
    # Sent by a member of the entry's brand: hides the entry at once.
    by_member = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=8, choices=ReportResolution.choices, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["entry", "reporter_key"], name="report_once_per_reporter"),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["brand", "created_at"], condition=models.Q(resolved_at__isnull=True), name="report_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.reason} on {self.entry_id}"


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    """A fan's one appeal against the rejection or removal of an entry.

    Decided by a moderator other than the one who made the contested decision: the service
    refuses, and the database holds the constraint `appeal_decided_by_another_moderator`.
    `decision` is null when an automatic rule rejected the entry (no moderator to exclude).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="appeal")
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+", db_index=False)
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who made the contested decision, copied from it: the constraint compares it in one row.
    contested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=AppealOutcome.choices, blank=True)
    # Where an upheld appeal put the entry: approved, or pending (back to review).
    restored_to = models.CharField(max_length=12, blank=True)
    # The moderator's reasons, sent to the fan with the outcome.
    reasons = models.TextField(max_length=1000, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | models.Q(contested_by__isnull=True)
                | ~models.Q(decided_by=models.F("contested_by")),
                name="appeal_decided_by_another_moderator",
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["brand", "created_at"], condition=models.Q(decided_at__isnull=True), name="appeal_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal on {self.entry_id} ({self.outcome or 'open'})"
