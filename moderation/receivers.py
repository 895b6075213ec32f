"""Moderation's reactions to what happens in the apps below it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from moderation.models import FeatureEntry, ReportResolution
from moderation.services import queue_feature_document, reports_resolve
from submissions.models import Entry
from submissions.signals import entry_left_public, entry_withdrawn


@receiver(entry_left_public, sender=Entry)
def rewrite_feature_document(*, entry: Entry, **kwargs: Any) -> None:
    """A featured entry left public view: the widget's document must stop showing it."""
    if FeatureEntry.objects.filter(entry=entry).exists():
        queue_feature_document(campaign=entry.campaign)


@receiver(entry_withdrawn, sender=Entry)
def resolve_reports_of_withdrawn(*, entry: Entry, **kwargs: Any) -> None:
    """Its author withdrew the entry: it is gone from public view, so its reports are closed."""
    reports_resolve(entry=entry, resolution=ReportResolution.REMOVED, actor=None)
