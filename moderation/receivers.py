"""Moderation's reactions to what happens in the apps below it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from moderation.models import FeatureEntry
from moderation.services import queue_feature_document
from submissions.models import Entry
from submissions.signals import entry_left_public


@receiver(entry_left_public, sender=Entry)
def rewrite_feature_document(*, entry: Entry, **kwargs: Any) -> None:
    """A featured entry left public view: the widget's document must stop showing it."""
    if FeatureEntry.objects.filter(entry=entry).exists():
        queue_feature_document(campaign=entry.campaign)
