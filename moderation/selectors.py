"""Read-side queries for moderation and featuring."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from campaigns.models import Campaign
from moderation.models import Feature, FeatureEntry
from submissions.models import Entry, EntryState, Rendition
from submissions.storage import public_storage


def latest_feature(*, campaign: Campaign) -> Feature | None:
    return campaign.features.order_by("-iso_year", "-iso_week").first()


def feature_entries(*, feature: Feature) -> QuerySet[Entry]:
    """The feature's entries in order, leaving out any removed or withdrawn since."""
    return (
        Entry.objects.filter(
            pk__in=FeatureEntry.objects.filter(feature=feature).values("entry_id"),
            state=EntryState.FEATURED,
        )
        .select_related("author")
        .prefetch_related(Prefetch("renditions", queryset=Rendition.objects.exclude(public_name="")))
    )


def public_renditions(entry: Entry) -> list[dict[str, Any]]:
    storage = public_storage()
    return [
        {"url": storage.url(r.public_name), "width": r.width, "height": r.height, "format": r.format}
        for r in entry.renditions.all()
        if r.public_name
    ]


def entry_permalink(entry: Entry) -> str:
    return f"{settings.SITE_URL}{reverse('entry-detail', kwargs={'entry_id': entry.pk})}"


def feature_document(*, campaign: Campaign) -> dict[str, Any]:
    """The latest published feature of a campaign, as the widget and the featured API show it."""
    feature = latest_feature(campaign=campaign)
    doc: dict[str, Any] = {
        "campaign": {
            "slug": campaign.slug,
            "title": campaign.title,
            "hashtag": campaign.hashtag,
            "url": f"{settings.SITE_URL}{reverse('campaign-detail', kwargs={'slug': campaign.slug})}",
        },
        "week": None,
        "published_at": None,
        "entries": [],
    }
    if feature is None:
        return doc
    positions = dict(FeatureEntry.objects.filter(feature=feature).values_list("entry_id", "position"))
    entries = sorted(feature_entries(feature=feature), key=lambda e: positions[e.pk])
    doc["week"] = feature.week_label
    doc["published_at"] = feature.published_at.isoformat()
    doc["entries"] = [
        {
            "id": str(entry.pk),
            "caption": entry.caption,
            "alt_text": entry.alt_text,
            "creator": entry.author.public_name,
            "permalink": entry_permalink(entry),
            "width": entry.width,
            "height": entry.height,
            "renditions": public_renditions(entry),
        }
        for entry in entries
    ]
    return doc


FEATURE_CACHE_SECONDS = 300


def _feature_cache_key(slug: str) -> str:
    return f"fanfare:feature-document:{slug}"


def feature_document_cached(*, campaign: Campaign) -> dict[str, Any]:
    """feature_document, cached until the feature changes (see feature_document_forget)."""
    key = _feature_cache_key(campaign.slug)
    doc = cache.get(key)
    if doc is None:
        doc = feature_document(campaign=campaign)
        cache.set(key, doc, FEATURE_CACHE_SECONDS)
    return doc


def feature_document_forget(*, campaign: Campaign) -> None:
    cache.delete(_feature_cache_key(campaign.slug))
