"""Public reports: filing one, hiding an entry on enough of them, and a moderator keeping it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from collections import Counter

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import MODERATE_ROLES, User
from accounts.permissions import member_brand_ids
from activity.services import activity_record
from campaigns.models import Guideline
from config.clients import client_network
from config.errors import Conflict, DomainError, RateLimited
from moderation import notifications
from moderation.models import HIDE_AT_ONCE_REASONS, FeatureEntry, Report, ReportReason, ReportResolution, ShortlistItem
from moderation.rules import blocked_fan_rule
from moderation.services.common import NOTE_MAX, locked_entry
from moderation.services.features import queue_feature_document
from submissions.models import PUBLIC_STATES, Entry, EntryState
from submissions.services import entry_publish_renditions, entry_transition, entry_unpublish_renditions
from submissions.signals import entry_left_public

SYSTEM_PUBLIC = "system:public"
SYSTEM_REPORTS = "system:reports"
DETAILS_MAX = 1000
REPORT_WINDOW = dt.timedelta(hours=24)
# Reports one client network may send in an hour: enough for a person, too few for a flood.
REPORTS_PER_HOUR = 10


def reporter_key(*, user: User | None, address: str, agent: str, now: dt.datetime | None = None) -> str:
    """Who reports, without storing an address: "user:<id>" for an account, else "anon:" and an
    HMAC of the client address and agent under a salt that changes every UTC day."""
    if user is not None:
        return f"user:{user.pk}"
    day = (now or timezone.now()).astimezone(dt.UTC).date().isoformat()
    salt = hashlib.sha256(f"fanfare-report-salt:{settings.SECRET_KEY}:{day}".encode()).digest()
    digest = hmac.new(salt, f"{address}\n{agent}".encode(), hashlib.sha256).hexdigest()
    return f"anon:{digest}"


def _rate_limit(*, address: str, key: str) -> None:
    """Count one report of this client network in the current hour; RateLimited past the cap."""
    now = int(timezone.now().timestamp())
    hour = now // 3600
    who = client_network(address) or key
    ident = hashlib.sha256(f"{settings.SECRET_KEY}:{who}".encode()).hexdigest()[:32]
    cache_key = f"fanfare:reports-rate:{ident}:{hour}"
    cache.add(cache_key, 0, timeout=3600)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=3600)
        count = 1
    if count > REPORTS_PER_HOUR:
        raise RateLimited(
            _("You have sent many reports in a short time; please try again later."),
            field="entry",
            retry_after=3600 - now % 3600,
        )


def _reason_checked(*, entry: Entry, reason: str) -> Guideline | None:
    reason = (reason or "").strip()
    if reason in ReportReason.values:
        return None
    guideline = Guideline.objects.filter(campaign_id=entry.campaign_id, code=reason, active=True).first()
    if guideline is None or not reason:
        raise DomainError(_("Choose one of the reasons listed."), field="reason")
    return guideline


def report_create(
    *,
    actor: User | None,
    entry_id: uuid.UUID | str,
    reason: str,
    details: str = "",
    address: str = "",
    agent: str = "",
) -> Report:
    """Report a public entry, signed in (`actor`) or not (`address` and `agent` tell reporters apart).

    Http404 unless the entry is approved or featured. DomainError naming "reason" or "details";
    Conflict naming "entry" for a second report by the same reporter; RateLimited past
    REPORTS_PER_HOUR per client network. A blocked fan's report is answered as if stored and
    dropped. Enough reports hide the entry in the same transaction (entry_hide). The answer never
    tells whether the entry was hidden.
    """
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise DomainError(
            _("Please keep the details under %(max)s characters.") % {"max": DETAILS_MAX}, field="details"
        )
    try:
        entry = Entry.objects.select_related("campaign").filter(pk=entry_id, state__in=list(PUBLIC_STATES)).first()
    except (ValueError, ValidationError) as exc:  # not a UUID
        raise Http404 from exc
    if entry is None:
        raise Http404
    guideline = _reason_checked(entry=entry, reason=reason)
    reason = (reason or "").strip()
    key = reporter_key(user=actor, address=address, agent=agent)
    _rate_limit(address=address, key=key)
    report = Report(entry=entry, brand_id=entry.brand_id, reason=reason, guideline=guideline, details=details)
    blocked = actor is not None and blocked_fan_rule(
        brand_id=entry.brand_id, campaign_id=entry.campaign_id, email=actor.email
    )
    if blocked:
        return report  # ignored, answered as if stored: a blocked fan learns nothing from it
    with transaction.atomic():
        # The entry's row lock orders concurrent reports: one of them hides it, once.
        entry = Entry.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=entry.pk)
        if entry.state not in (*PUBLIC_STATES, EntryState.HIDDEN):
            raise Http404
        if Report.objects.filter(entry=entry, reporter_key=key).exists():
            raise Conflict(_("You already reported this entry."), field="entry")
        report.entry, report.reporter, report.reporter_key = entry, actor, key
        report.by_member = actor is not None and entry.brand_id in member_brand_ids(user=actor)
        try:
            with transaction.atomic():
                report.save(force_insert=True)
        except IntegrityError as exc:
            raise Conflict(_("You already reported this entry."), field="entry") from exc
        activity_record(
            actor=actor if actor is not None else SYSTEM_PUBLIC,
            verb="entry.reported",
            target_type="report",
            target_id=report.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"reason": reason, "by_member": report.by_member, "has_details": bool(details)},
        )
        if entry.state in PUBLIC_STATES:
            _hide_if_due(entry=entry, report=report)
    return report


def open_reports(*, entry: Entry) -> QuerySet[Report]:
    return Report.objects.filter(entry=entry, resolved_at__isnull=True)


def _hide_if_due(*, entry: Entry, report: Report) -> None:
    since = timezone.now() - REPORT_WINDOW
    reporters = open_reports(entry=entry).filter(created_at__gte=since).values("reporter_key").distinct().count()
    if report.reason in HIDE_AT_ONCE_REASONS:
        trigger = report.reason
    elif report.by_member:
        trigger = "member"
    elif reporters >= settings.REPORTS_TO_HIDE:
        trigger = "reporters"
    else:
        return
    entry_hide(entry=entry, trigger=trigger)


def entry_hide(*, entry: Entry, trigger: str) -> Entry:
    """Take a public entry out of public view pending a moderator (keep or remove), as a removal
    does: public files deleted and the feature document rewritten after the commit, the fan told.

    Callers hold the entry's row lock inside their transaction (report_create does). Recorded as
    `entry.hidden` by "system:reports" with the open reports' counts.
    """
    reports = list(open_reports(entry=entry).select_related("guideline"))
    reasons = Counter(r.reason for r in reports)
    # What "My entries" shows as the reason: the report categories in plain words, never who.
    words = list(dict.fromkeys(notifications.report_reason_text(r) for r in reports))
    entry_transition(
        entry=entry, to=EntryState.HIDDEN, reason=_("Reported as: %(reasons)s") % {"reasons": "; ".join(words)}
    )
    ShortlistItem.objects.filter(entry=entry).delete()
    hidden = entry
    transaction.on_commit(lambda: entry_unpublish_renditions(entry=hidden))
    transaction.on_commit(lambda: entry_left_public.send(sender=Entry, entry=hidden))
    activity_record(
        actor=SYSTEM_REPORTS,
        verb="entry.hidden",
        target_type="entry",
        target_id=entry.pk,
        brand_id=entry.brand_id,
        campaign_id=entry.campaign_id,
        entry_id=entry.pk,
        snapshot={
            "trigger": trigger,
            "reports": len(reports),
            "reporters": len({r.reporter_key for r in reports}),
            "reasons": dict(reasons),
        },
    )
    notifications.entry_hidden(entry=entry, reports=reports)
    return entry


def reports_resolve(*, entry: Entry, resolution: str, actor: User | None) -> int:
    """Close the entry's open reports with `resolution`; how many were open."""
    return open_reports(entry=entry).update(resolved_at=timezone.now(), resolved_by=actor, resolution=resolution)


def entry_keep(*, actor: User, entry_id: uuid.UUID | str, note: str = "") -> Entry:
    """A moderator looked at the reports and keeps the entry: a hidden one is public again (featured
    when it is in a published feature, else approved; public files restored, the gallery document
    rewritten, the fan told), and every open report is resolved "kept".

    Moderators of the entry's brand only (others: Http404). Conflict naming "entry" unless the
    entry is hidden or public. Recorded as `entry.kept`.
    """
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("The note is longer than %(max)s characters.") % {"max": NOTE_MAX}, field="note")
    with transaction.atomic():
        entry = locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if entry.state not in (*PUBLIC_STATES, EntryState.HIDDEN):
            raise Conflict(
                _("This entry is %(state)s; only public or hidden entries can be kept.")
                % {"state": entry.get_state_display().lower()},
                field="entry",
            )
        was_hidden = entry.state == EntryState.HIDDEN
        if was_hidden:
            featured = FeatureEntry.objects.filter(entry=entry).exists()
            entry_publish_renditions(entry=entry)
            entry.rejection_reason = ""  # the reports' reason no longer applies
            entry_transition(entry=entry, to=EntryState.FEATURED if featured else EntryState.APPROVED)
            if featured:
                campaign = entry.campaign
                transaction.on_commit(lambda: queue_feature_document(campaign=campaign))
            notifications.entry_kept(entry=entry)
        resolved = reports_resolve(entry=entry, resolution=ReportResolution.KEPT, actor=actor)
        activity_record(
            actor=actor,
            verb="entry.kept",
            target_type="entry",
            target_id=entry.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"note": note, "was_hidden": was_hidden, "to": entry.state, "reports": resolved},
        )
    return entry
