"""Moderation operations: claim, decide, remove, shortlist and publish the weekly feature.

Each is one transaction with an explicit acting user; the permission check is part of it, so no
caller can forget it (outsiders get Http404).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ADMIN_ROLES, MODERATE_ROLES, Brand, User
from accounts.permissions import require_brand_role
from campaigns.models import Campaign, Guideline
from config.errors import Conflict, DomainError
from moderation import notifications
from moderation.models import Decision, DecisionAction, Feature, FeatureEntry, ShortlistItem
from moderation.selectors import feature_document, feature_document_forget, shortlist_week
from submissions.models import Entry, EntryState
from submissions.services import entry_publish_renditions, entry_transition, entry_unpublish_renditions
from submissions.storage import public_storage

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=5)
NOTE_MAX = 1000


def _locked_entry(*, actor: User, entry_id: uuid.UUID | str, roles: Iterable[str]) -> Entry:
    try:
        entry = Entry.objects.select_for_update(of=("self",)).select_related("campaign").filter(pk=entry_id).first()
    except (ValueError, ValidationError) as exc:  # not a UUID
        raise Http404 from exc
    if entry is None:
        raise Http404
    require_brand_role(user=actor, brand_id=entry.campaign.brand_id, roles=roles)
    return entry


def queue_claim_next(*, actor: User, brand: Brand, exclude: Iterable[uuid.UUID | str] = ()) -> Entry | None:
    """Lease the oldest unclaimed pending entry of `brand` to `actor`, or None when none is left.

    A moderator who already holds a live lease gets that entry again (a reload skips nothing);
    `exclude` passes over entries this moderator skipped.
    Concurrent moderators never get the same entry: rows are taken FOR UPDATE SKIP LOCKED.
    """
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    now = timezone.now()
    pending = Entry.objects.filter(campaign__brand=brand, state=EntryState.PENDING).exclude(pk__in=list(exclude))
    with transaction.atomic():
        held = pending.filter(claimed_by=actor, claim_expires_at__gt=now).order_by("created_at").first()
        if held is not None:
            return held
        entry = (
            pending.filter(Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lte=now))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("created_at")
            .first()
        )
        if entry is None:
            return None
        entry.claimed_by = actor
        entry.claim_expires_at = now + CLAIM_LEASE
        entry.save(update_fields=["claimed_by", "claim_expires_at"])
    return entry


def queue_release(*, actor: User, entry_id: uuid.UUID | str) -> None:
    """Give back a lease so another moderator can take the entry (e.g. "skip")."""
    with transaction.atomic():
        entry = _locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if entry.claimed_by_id == actor.pk:
            entry.claimed_by = None
            entry.claim_expires_at = None
            entry.save(update_fields=["claimed_by", "claim_expires_at"])


def _guidelines(*, campaign: Campaign, codes: Iterable[str]) -> list[Guideline]:
    codes = [c.strip() for c in codes if c and c.strip()]
    found = {g.code: g for g in campaign.guidelines.filter(code__in=codes, active=True)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise DomainError(
            _("Unknown guideline code(s) for this campaign: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="guidelines",
        )
    return [found[c] for c in dict.fromkeys(codes)]


def entry_decide(
    *,
    actor: User,
    entry_id: uuid.UUID | str,
    action: str,
    guideline_codes: Iterable[str] = (),
    note: str = "",
) -> Decision:
    """Approve or reject a pending entry, recording the decision; the fan is told by e-mail.

    Rejections must cite at least one of the campaign's guidelines. A second decision on the same
    entry, or one on an entry another moderator holds, is a Conflict.
    """
    if action not in (DecisionAction.APPROVE, DecisionAction.REJECT):
        raise DomainError(_("Choose approve or reject."), field="action")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("The note is longer than %(max)s characters.") % {"max": NOTE_MAX}, field="note")
    with transaction.atomic():
        entry = _locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if entry.state != EntryState.PENDING:
            raise Conflict(
                _("This entry is already %(state)s.") % {"state": entry.get_state_display().lower()},
                field="entry",
            )
        now = timezone.now()
        if entry.claimed_by_id not in (None, actor.pk) and entry.claim_expires_at and entry.claim_expires_at > now:
            raise Conflict(_("Another moderator is reviewing this entry."), field="entry")
        guidelines = _guidelines(campaign=entry.campaign, codes=guideline_codes)
        if action == DecisionAction.REJECT and not guidelines:
            raise DomainError(_("Cite at least one guideline when rejecting."), field="guidelines")
        decision = Decision.objects.create(entry=entry, moderator=actor, action=action, note=note)
        decision.guidelines.set(guidelines)
        if action == DecisionAction.APPROVE:
            try:
                entry_publish_renditions(entry=entry)
            except FileNotFoundError as exc:  # renditions gone from storage: nothing to show yet
                log.warning("Entry %s has renditions missing from storage", entry.pk)
                raise Conflict(
                    _("This entry's pictures are not ready; it cannot be approved yet. Try again shortly."),
                    field="entry",
                ) from exc
            entry_transition(entry=entry, to=EntryState.APPROVED)
        else:
            entry_transition(entry=entry, to=EntryState.REJECTED)
        transaction.on_commit(lambda: notifications.entry_decided(decision_id=decision.pk))
    return decision


def entry_remove(
    *, actor: User, entry_id: uuid.UUID | str, guideline_codes: Iterable[str] = (), note: str = ""
) -> Decision:
    """Take down an approved or featured entry (after a report); its public files are deleted
    and, if it was featured, the gallery document is rewritten without it."""
    with transaction.atomic():
        entry = _locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if not entry.is_public:
            raise Conflict(_("Only approved or featured entries can be removed."), field="entry")
        guidelines = _guidelines(campaign=entry.campaign, codes=guideline_codes)
        if not guidelines:
            raise DomainError(_("Cite at least one guideline when removing."), field="guidelines")
        decision = Decision.objects.create(
            entry=entry, moderator=actor, action=DecisionAction.REMOVE, note=(note or "").strip()[:NOTE_MAX]
        )
        decision.guidelines.set(guidelines)
        was_featured = entry.state == EntryState.FEATURED
        entry_transition(entry=entry, to=EntryState.REMOVED)
        # Files go after the commit: a rolled-back removal must not leave an approved entry without them.
        removed = entry
        transaction.on_commit(lambda: entry_unpublish_renditions(entry=removed))
        ShortlistItem.objects.filter(entry=entry).delete()
        campaign = entry.campaign
        if was_featured:
            transaction.on_commit(lambda: queue_feature_document(campaign=campaign))
        transaction.on_commit(lambda: notifications.entry_decided(decision_id=decision.pk))
    return decision


def entry_shortlist(*, actor: User, entry_id: uuid.UUID | str) -> ShortlistItem:
    """Propose an approved entry for the feature being built (see selectors.shortlist_week).

    Idempotent within that week.
    """
    with transaction.atomic():
        entry = _locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if entry.state != EntryState.APPROVED:
            raise Conflict(_("Only approved entries can be shortlisted."), field="entry")
        year, week = shortlist_week(campaign=entry.campaign)
        item, _created = ShortlistItem.objects.get_or_create(
            entry=entry,
            iso_year=year,
            iso_week=week,
            defaults={"campaign": entry.campaign, "added_by": actor},
        )
    return item


def entry_unshortlist(*, actor: User, entry_id: uuid.UUID | str) -> None:
    with transaction.atomic():
        entry = _locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        year, week = shortlist_week(campaign=entry.campaign)
        ShortlistItem.objects.filter(entry=entry, iso_year=year, iso_week=week).delete()


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
            raise DomainError(_("Nothing is shortlisted for week %(week)s yet.") % {"week": label}, field="shortlist")
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
        transaction.on_commit(lambda: notifications.feature_published(feature_id=feature.pk))
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
