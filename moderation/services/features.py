"""The weekly feature: shortlist, publication (by a person or on schedule) and the widget's document."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ADMIN_ROLES, MODERATE_ROLES, User
from accounts.permissions import require_brand_role
from activity.services import activity_record
from campaigns.models import Campaign
from config.errors import Conflict, DomainError
from moderation import notifications
from moderation.models import Feature, FeatureEntry, ShortlistItem
from moderation.selectors import feature_document, feature_document_forget, shortlist_week
from moderation.services.common import (
    SYSTEM_WEEKLY_FEATURE,
    locked_entry,
)
from submissions.models import Entry, EntryState
from submissions.services import entry_transition
from submissions.storage import public_storage

log = logging.getLogger(__name__)


def entry_shortlist(*, actor: User, entry_id: uuid.UUID | str) -> ShortlistItem:
    """Propose an approved entry for the feature being built (see selectors.shortlist_week).

    Idempotent within that week.
    """
    with transaction.atomic():
        entry = locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if entry.state != EntryState.APPROVED:
            raise Conflict(_("Only approved entries can be shortlisted."), field="entry")
        return shortlist_locked(actor=actor, entry=entry)


def shortlist_locked(*, actor: User, entry: Entry) -> ShortlistItem:
    year, week = shortlist_week(campaign=entry.campaign)
    item, created = ShortlistItem.objects.get_or_create(
        entry=entry,
        iso_year=year,
        iso_week=week,
        defaults={"campaign": entry.campaign, "added_by": actor},
    )
    if created:
        _shortlist_record(actor=actor, entry=entry, verb="shortlist.added", week=item)
    return item


def _shortlist_record(*, actor: User, entry: Entry, verb: str, week: ShortlistItem | tuple[int, int]) -> None:
    year, number = (week.iso_year, week.iso_week) if isinstance(week, ShortlistItem) else week
    activity_record(
        actor=actor,
        verb=verb,
        target_type="entry",
        target_id=entry.pk,
        brand_id=entry.brand_id,
        campaign_id=entry.campaign_id,
        entry_id=entry.pk,
        snapshot={"week": f"{year}-W{number:02d}"},
    )


def entry_unshortlist(*, actor: User, entry_id: uuid.UUID | str) -> None:
    with transaction.atomic():
        entry = locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        year, week = shortlist_week(campaign=entry.campaign)
        deleted, _rows = ShortlistItem.objects.filter(entry=entry, iso_year=year, iso_week=week).delete()
        if deleted:
            _shortlist_record(actor=actor, entry=entry, verb="shortlist.removed", week=(year, week))


def feature_publish(
    *,
    campaign: Campaign,
    actor: User | None = None,
    iso_year: int | None = None,
    iso_week: int | None = None,
) -> Feature:
    """Publish a week's feature from its shortlist, exactly once per campaign and ISO week (by default
    the week being built, see selectors.shortlist_week).

    `actor` is None for the scheduled publication; a person must be an admin of the brand.
    Featured fans are told; the widget's static document is rewritten after commit.
    """
    if actor is not None:
        require_brand_role(user=actor, brand_id=campaign.brand_id, roles=ADMIN_ROLES)
    if iso_year is None or iso_week is None:
        iso_year, iso_week = shortlist_week(campaign=campaign)
    label = f"{iso_year}-W{iso_week:02d}"
    with transaction.atomic():
        # Serialises publishers of one campaign (beat, command, API) so the check below holds.
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if Feature.objects.filter(campaign=campaign, iso_year=iso_year, iso_week=iso_week).exists():
            raise Conflict(_("The feature of week %(week)s is already published.") % {"week": label}, field="week")
        items = list(
            ShortlistItem.objects.select_related("entry")
            .select_for_update(of=("self", "entry"))
            .filter(campaign=campaign, iso_year=iso_year, iso_week=iso_week, entry__state=EntryState.APPROVED)
            .order_by("added_at")[: campaign.feature_count]
        )
        if not items:
            # The request is fine; the week is not ready: a conflict with the state, like a second publication.
            raise Conflict(_("Nothing is shortlisted for week %(week)s yet.") % {"week": label}, field="shortlist")
        feature = Feature.objects.create(
            campaign=campaign,
            iso_year=iso_year,
            iso_week=iso_week,
            published_at=timezone.now(),
            published_by=actor,
        )
        for position, item in enumerate(items, start=1):
            FeatureEntry.objects.create(feature=feature, entry=item.entry, position=position)
            entry_transition(entry=item.entry, to=EntryState.FEATURED)
        transaction.on_commit(lambda: queue_feature_document(campaign=campaign))
        notifications.feature_published(feature=feature)
        activity_record(
            actor=actor or SYSTEM_WEEKLY_FEATURE,
            verb="feature.published",
            target_type="feature",
            target_id=feature.pk,
            brand_id=campaign.brand_id,
            campaign_id=campaign.pk,
            snapshot={"week": label, "entries": [str(item.entry_id) for item in items]},
        )
    return feature


def features_publish_due(*, now: dt.datetime | None = None) -> list[Feature]:
    """Publish every campaign's feature whose weekday and hour (its own time zone) have come.

    Run by Celery beat every few minutes and by `manage.py publish_features`; running it twice
    publishes nothing twice. Weeks with an empty shortlist are skipped.
    """
    now = now or timezone.now()
    published = []
    recent = Q(closes_at__isnull=True) | Q(closes_at__gt=now - dt.timedelta(days=7))
    for campaign in Campaign.objects.filter(recent, opens_at__lte=now):
        year, week = campaign.iso_week(now)
        if now < campaign.feature_due_at(year, week):
            continue
        if campaign.features.filter(iso_year=year, iso_week=week).exists():
            continue
        if not campaign.shortlist.filter(iso_year=year, iso_week=week, entry__state=EntryState.APPROVED).exists():
            continue
        try:
            published.append(feature_publish(campaign=campaign, iso_year=year, iso_week=week))
        except DomainError as exc:  # includes Conflict: another publisher was first
            log.info("Feature of %s not published: %s", campaign.slug, exc.message)
        except Exception:  # one campaign's failure must not hold up the others; the next run retries
            log.exception("Feature of %s could not be published", campaign.slug)
    return published


def queue_feature_document(*, campaign: Campaign) -> None:
    """Rewrite the widget's document in a task that retries storage errors; without a broker,
    write it here and now rather than leave the gallery stale."""
    from moderation.tasks import write_feature_document

    try:
        write_feature_document.delay(campaign.pk)
    except Exception:
        if write_feature_document.app.conf.task_always_eager:
            raise
        log.exception("Could not queue the feature document of %s; writing it now", campaign.slug)
        feature_document_write(campaign=campaign)


def feature_document_name(campaign: Campaign) -> str:
    return f"features/{campaign.slug}.json"


def feature_document_write(*, campaign: Campaign) -> str:
    """Write the campaign's latest feature as the static JSON document the widget reads."""
    payload = json.dumps(feature_document(campaign=campaign), ensure_ascii=False, separators=(",", ":"))
    name = feature_document_name(campaign)
    # The public storage overwrites in place, so the document's address never changes.
    stored = public_storage().save(name, ContentFile(payload.encode(), name=name))
    feature_document_forget(campaign=campaign)
    return stored
