"""Read-side queries for moderation and featuring."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, Max, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Brand
from campaigns.models import Campaign, Guideline
from moderation.models import Appeal, Decision, Feature, FeatureEntry, Report, ShortlistItem
from submissions.models import Entry, EntryState, EntryTally, Rendition
from submissions.storage import public_storage

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


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
            "kind": entry.kind,
            "caption": entry.caption,
            "alt_text": entry.alt_text,
            "creator": entry.author.public_name,
            "permalink": entry_permalink(entry),
            "width": entry.width,
            "height": entry.height,
            "duration": entry.duration_seconds,
            "placeholder": entry.placeholder,
            "dominant_color": entry.dominant_color,
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
    doc: dict[str, Any] | None = cache.get(key)
    if doc is None:
        doc = feature_document(campaign=campaign)
        cache.set(key, doc, FEATURE_CACHE_SECONDS)
    return doc


def feature_document_forget(*, campaign: Campaign) -> None:
    cache.delete(_feature_cache_key(campaign.slug))


# --- Brand console ------------------------------------------------------------------------------
# Read helpers for the console pages (moderation/views.py). Callers have already checked the
# viewer's role with accounts.permissions.brand_for_member.


class CampaignCounts(TypedDict):
    pending_count: int
    approved_count: int
    featured_count: int


def _tally_sum(state: str) -> Coalesce:
    """The entries of the outer query's campaign in `state`: the sum of its EntryTally deltas."""
    deltas = (
        EntryTally.objects.filter(campaign_id=OuterRef("pk"), state=state)
        .order_by()
        .values("campaign_id")
        .annotate(total=Sum("n"))
        .values("total")
    )
    return Coalesce(Subquery(deltas, output_field=IntegerField()), 0)


def console_campaigns(*, brand: Brand) -> QuerySet[WithAnnotations[Campaign, CampaignCounts]]:
    """The brand's campaigns, newest first, with counts of pending, approved and featured entries.

    One statement: the counts are sums of each campaign's EntryTally deltas (a few rows per
    campaign and state, through the tally index), so the brand home never reads the entries.
    """
    return brand.campaigns.annotate(
        pending_count=_tally_sum(EntryState.PENDING),
        approved_count=_tally_sum(EntryState.APPROVED),
        featured_count=_tally_sum(EntryState.FEATURED),
    ).order_by("-opens_at")


def queue_pending_count(*, brand: Brand) -> int:
    """How many entries of the brand wait for a decision (claimed or not), from the tallies."""
    # The campaign ids first: joined to campaigns, PostgreSQL reads the whole tally table instead
    # of the brand's rows through the tally index.
    campaign_ids = list(brand.campaigns.values_list("pk", flat=True))
    total = EntryTally.objects.filter(campaign_id__in=campaign_ids, state=EntryState.PENDING).aggregate(total=Sum("n"))
    return int(total["total"] or 0)


def campaign_of_brand(*, brand: Brand, slug: str) -> Campaign:
    """The brand's campaign named `slug`; Http404 when it belongs to another brand or none."""
    return get_object_or_404(Campaign.objects.select_related("brand"), brand=brand, slug=slug)


def entry_of_brand(*, brand: Brand, entry_id: uuid.UUID | str, campaign: Campaign | None = None) -> Entry:
    """An entry of the brand (and of `campaign` when given); Http404 otherwise."""
    entries = Entry.objects.select_related("campaign", "author").filter(campaign__brand=brand)
    if campaign is not None:
        entries = entries.filter(campaign=campaign)
    return get_object_or_404(entries, pk=entry_id)


def entries_curatable(*, campaign: Campaign) -> QuerySet[Entry]:
    """Approved and featured entries of a campaign, most recently approved first."""
    return (
        Entry.objects.filter(campaign=campaign, state__in=[EntryState.APPROVED, EntryState.FEATURED])
        .select_related("author")
        .prefetch_related("renditions")
        .order_by("-state_changed_at")
    )


def shortlist_of_week(*, campaign: Campaign, iso_year: int, iso_week: int) -> QuerySet[ShortlistItem]:
    """The week's shortlist in the order feature_publish takes it (first added, first featured)."""
    return (
        ShortlistItem.objects.filter(campaign=campaign, iso_year=iso_year, iso_week=iso_week)
        .select_related("entry__author", "added_by")
        .prefetch_related("entry__renditions")
        .order_by("added_at")
    )


def features_of_campaign(*, campaign: Campaign) -> QuerySet[Feature]:
    """Published features of a campaign, newest week first, with how many entries each holds."""
    return (
        campaign.features.select_related("published_by")
        .annotate(entries_count=Count("items"))
        .order_by("-iso_year", "-iso_week")
    )


def duplicate_flag(*, entry: Entry) -> dict[str, Any] | None:
    """The automatic duplicate flag of an entry, with the earlier entry it repeats."""
    flag = next((f for f in entry.flags if f.get("kind") == "duplicate"), None)
    if flag is None or entry.duplicate_of_id is None:
        return None
    earlier = Entry.objects.filter(pk=entry.duplicate_of_id).first()
    if earlier is None:
        return None
    return {"earlier": earlier, "exact": flag.get("exact", False), "distance": flag.get("distance", 0)}


def shortlist_week(*, campaign: Campaign, now: dt.datetime | None = None) -> tuple[int, int]:
    """The ISO week whose feature moderators are building now: this week until its feature is
    due (or published), then the next one. Weeks are the campaign's own (its time zone)."""
    now = now or timezone.now()
    year, week = campaign.iso_week(now)
    if now >= campaign.feature_due_at(year, week) or campaign.features.filter(iso_year=year, iso_week=week).exists():
        year, week = campaign.iso_week(now + dt.timedelta(days=7))
    return year, week


# --- Queue views (the one-page console and its API) ----------------------------------------------
# Each view is a filter here, a count in queue_counts and a tab and a `g` key in
# static/js/console/queue.js.
QUEUE_VIEWS = ("pending", "flagged", "reported", "appeals", "done")
DONE_WINDOW = dt.timedelta(hours=24)


def queue_entries(
    *,
    brand: Brand,
    view: str = "pending",
    campaign: Campaign | None = None,
    kind: str | None = None,
    q: str = "",
) -> QuerySet[Entry]:
    """A view of the brand's entries: pending (oldest first), flagged (pending with an automatic
    flag), done (decided in the last 24 hours, latest first), reported (public or hidden with open
    reports, the oldest first report first), appeals (entries with an open appeal, oldest appeal
    first). `q` is an entry id, or words of the caption or the fan's public name. Callers have
    checked the viewer's role."""
    entries = Entry.objects.filter(brand=brand)
    if campaign is not None:
        entries = entries.filter(campaign_id=campaign.pk)
    if kind:
        entries = entries.filter(kind=kind)
    q = q.strip()
    if q:
        try:
            entries = entries.filter(pk=uuid.UUID(q))
        except ValueError:
            entries = entries.filter(Q(caption__icontains=q) | Q(author__display_name__icontains=q))
    if view == "done":
        since = timezone.now() - DONE_WINDOW
        entries = (
            entries.filter(decisions__created_at__gte=since)
            .annotate(last_decided_at=Max("decisions__created_at"))
            .order_by("-last_decided_at")
        )
    elif view == "appeals":
        entries = entries.filter(appeal__decided_at__isnull=True).order_by("appeal__created_at")
    elif view == "reported":
        entries = (
            entries.filter(state__in=REPORTED_STATES, reports__isnull=False, reports__resolved_at__isnull=True)
            .annotate(first_reported_at=Min("reports__created_at"))
            .order_by("first_reported_at", "pk")
        )
    else:
        entries = entries.filter(state=EntryState.PENDING).order_by("created_at")
        # Entries a rule held wait in Flagged only.
        entries = entries.exclude(flags=[]) if view == "flagged" else entries.filter(held=False)
    return entries.select_related("campaign", "author", "claimed_by").prefetch_related(
        "renditions", Prefetch("campaign__guidelines", queryset=Guideline.objects.filter(active=True))
    )


def queue_counts(*, brand: Brand, campaign: Campaign | None = None, kind: str | None = None) -> dict[str, int]:
    """How many entries each queue view holds (pending and flagged through the partial index)."""
    pending = Entry.objects.filter(brand=brand, state=EntryState.PENDING)
    if campaign is not None:
        pending = pending.filter(campaign_id=campaign.pk)
    if kind:
        pending = pending.filter(kind=kind)
    counts = pending.aggregate(pending=Count("pk", filter=Q(held=False)), flagged=Count("pk", filter=~Q(flags=[])))
    done = Decision.objects.filter(brand=brand, created_at__gte=timezone.now() - DONE_WINDOW)
    if campaign is not None:
        done = done.filter(entry__campaign_id=campaign.pk)
    if kind:
        done = done.filter(entry__kind=kind)
    counts["done"] = done.values("entry_id").distinct().count()
    appeals = Appeal.objects.filter(brand=brand, decided_at__isnull=True)  # through the appeal_open index
    if campaign is not None:
        appeals = appeals.filter(entry__campaign_id=campaign.pk)
    if kind:
        appeals = appeals.filter(entry__kind=kind)
    counts["appeals"] = appeals.count()
    reported = Report.objects.filter(brand=brand, resolved_at__isnull=True, entry__state__in=REPORTED_STATES)
    if campaign is not None:
        reported = reported.filter(entry__campaign_id=campaign.pk)
    if kind:
        reported = reported.filter(entry__kind=kind)
    counts["reported"] = reported.values("entry_id").distinct().count()
    return counts


REPORTED_STATES = (EntryState.APPROVED, EntryState.FEATURED, EntryState.HIDDEN)
REPORT_DETAILS_SHOWN = 5


def report_summaries(*, entries: list[Entry]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per entry, its open reports: how many, per reason, the first one's time and the latest
    details (up to five non-empty). Reporters are never named."""
    summaries: dict[uuid.UUID, dict[str, Any]] = {}
    reports = Report.objects.filter(entry__in=entries, resolved_at__isnull=True).order_by("created_at")
    for report in reports.only("entry_id", "reason", "details", "created_at"):
        summary = summaries.setdefault(
            report.entry_id, {"count": 0, "reasons": {}, "first_at": report.created_at, "details": []}
        )
        summary["count"] += 1
        summary["reasons"][report.reason] = summary["reasons"].get(report.reason, 0) + 1
        if report.details:
            summary["details"] = [report.details, *summary["details"]][:REPORT_DETAILS_SHOWN]
    return summaries


def last_decisions(*, entries: list[Entry]) -> dict[uuid.UUID, Decision]:
    """The latest decision of each entry (for the Done view and its undo and reversal buttons)."""
    latest: dict[uuid.UUID, Decision] = {}
    decisions = (
        Decision.objects.filter(entry__in=entries)
        .select_related("moderator")
        .prefetch_related("guidelines")
        .order_by("entry_id", "-created_at")
    )
    for decision in decisions:
        latest.setdefault(decision.entry_id, decision)
    return latest


def appeals_of(*, entries: list[Entry]) -> dict[uuid.UUID, Appeal]:
    """The appeal of each entry that has one, with its contested decision (the Appeals view)."""
    return {
        appeal.entry_id: appeal
        for appeal in Appeal.objects.filter(entry__in=entries)
        .select_related("contested_by", "decision")
        .prefetch_related("decision__guidelines")
    }
