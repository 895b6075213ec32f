"""Moderation's reactions to what happens in the apps below it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import FeatureEntry
from moderation.services import entry_rules_apply, queue_feature_document, rule_refuses_fan
from submissions.models import Entry
from submissions.signals import entry_allowed, entry_left_public, entry_ready_for_review


@receiver(entry_left_public, sender=Entry)
def rewrite_feature_document(*, entry: Entry, **kwargs: Any) -> None:
    """A featured entry left public view: the widget's document must stop showing it."""
    if FeatureEntry.objects.filter(entry=entry).exists():
        queue_feature_document(campaign=entry.campaign)


@receiver(entry_allowed, sender=Entry)
def refuse_blocked_fans(*, author: User, campaign: Campaign, **kwargs: Any) -> None:
    """A fan a blocked-fan rule names is refused at slot time and at entry creation (DomainError)."""
    rule_refuses_fan(author=author, campaign=campaign)


@receiver(entry_ready_for_review, sender=Entry)
def apply_rules(*, entry: Entry, **kwargs: Any) -> None:
    """The brand's automatic rules flag, hold or reject an entry as it enters review."""
    entry_rules_apply(entry=entry)
