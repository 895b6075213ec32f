"""What the moderation services share: leases, limits, the entry lock, guideline lookup."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require_brand_role
from campaigns.models import Guideline
from config.errors import DomainError
from moderation.models import Decision
from submissions.models import Entry

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(minutes=5)
CLAIM_MAX = 10  # entries one claim takes (the console holds the current one and three more)
BULK_MAX = 500
NOTE_MAX = 1000
SYSTEM_UNDO_WINDOW = "system:undo-window"
SYSTEM_WEEKLY_FEATURE = "system:weekly-feature"


def locked_entry(*, actor: User, entry_id: uuid.UUID | str, roles: Iterable[str]) -> Entry:
    try:
        # No join to the campaign (the entry carries its brand): building and reading the joined
        # row was a fifth of a decision's CPU. Callers that need the campaign load it.
        entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
    except (ValueError, ValidationError) as exc:  # not a UUID
        raise Http404 from exc
    if entry is None:
        raise Http404
    require_brand_role(user=actor, brand_id=entry.brand_id, roles=roles)
    return entry


def undo_window() -> dt.timedelta:
    return dt.timedelta(seconds=settings.MODERATION_UNDO_SECONDS)


def open_decisions() -> QuerySet[Decision]:
    return Decision.objects.filter(applied_at__isnull=True, undone_at__isnull=True)


def entry_ids_checked(entry_ids: Iterable[uuid.UUID | str]) -> list[uuid.UUID]:
    ids = []
    for raw in entry_ids:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise DomainError(_("“%(id)s” is not an entry id.") % {"id": str(raw)[:64]}, field="entries") from exc
    if len(ids) > BULK_MAX:
        raise DomainError(_("At most %(max)s entries at once.") % {"max": BULK_MAX}, field="entries")
    return list(dict.fromkeys(ids))


def campaign_guidelines(*, campaign_id: int, codes: Iterable[str]) -> list[Guideline]:
    codes = [c.strip() for c in codes if c and c.strip()]
    if not codes:
        return []
    found = {g.code: g for g in Guideline.objects.filter(campaign_id=campaign_id, code__in=codes, active=True)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise DomainError(
            _("Unknown guideline code(s) for this campaign: %(codes)s.") % {"codes": ", ".join(unknown)},
            field="guidelines",
        )
    return [found[c] for c in dict.fromkeys(codes)]
