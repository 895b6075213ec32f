"""Moderation's reactions to what happens in the apps below it."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import Appeal, FeatureEntry, ReportResolution
from moderation.services import (
    appeal_basis,
    entry_rules_apply,
    queue_feature_document,
    reports_resolve,
    rule_refuses_fan,
)
from submissions.models import Entry, EntryState
from submissions.signals import (
    entries_listed,
    entry_allowed,
    entry_left_public,
    entry_ready_for_review,
    entry_withdrawn,
)


@receiver(entry_left_public, sender=Entry)
def rewrite_feature_document(*, entry: Entry, **kwargs: Any) -> None:
    """A featured entry left public view: the widget's document must stop showing it."""
    if FeatureEntry.objects.filter(entry=entry).exists():
        queue_feature_document(campaign=entry.campaign)


@receiver(entries_listed, sender=Entry)
def appeals_of_entries(*, entries: list[Entry], **kwargs: Any) -> dict[Any, dict[str, Any]]:
    """For "My entries": each rejected or removed entry's appeal (its status), or whether and
    until when the fan may still file one."""
    contested = [e for e in entries if e.state in (EntryState.REJECTED, EntryState.REMOVED)]
    appeals = {a.entry_id: a for a in Appeal.objects.filter(entry__in=contested)}
    now = timezone.now()
    extras: dict[Any, dict[str, Any]] = {}
    for entry in contested:
        appeal = appeals.get(entry.pk)
        if appeal is not None:
            extras[entry.pk] = {"appeal": {"appeal": appeal, "status": appeal.outcome or "open"}}
            continue
        basis = appeal_basis(entry)
        if basis is not None and basis.deadline >= now:
            extras[entry.pk] = {"appeal": {"appeal": None, "status": "", "deadline": basis.deadline}}
    # Entries restored by an upheld appeal are approved or pending again: say so on their row.
    for appeal in Appeal.objects.filter(entry__in=[e for e in entries if e not in contested], outcome="upheld"):
        extras[appeal.entry_id] = {"appeal": {"appeal": appeal, "status": "upheld"}}
    return extras


@receiver(entry_withdrawn, sender=Entry)
def resolve_reports_of_withdrawn(*, entry: Entry, **kwargs: Any) -> None:
    """Its author withdrew the entry: it is gone from public view, so its reports are closed."""
    reports_resolve(entry=entry, resolution=ReportResolution.REMOVED, actor=None)


@receiver(entry_allowed, sender=Entry)
def refuse_blocked_fans(*, author: User, campaign: Campaign, **kwargs: Any) -> None:
    """A fan a blocked-fan rule names is refused at slot time and at entry creation (DomainError)."""
    rule_refuses_fan(author=author, campaign=campaign)


@receiver(entry_ready_for_review, sender=Entry)
def apply_rules(*, entry: Entry, **kwargs: Any) -> None:
    """The brand's automatic rules flag, hold or reject an entry as it enters review."""
    entry_rules_apply(entry=entry)
