"""The queue: claims of the oldest pending entries, leases that follow the moderator, releases."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import MODERATE_ROLES, Brand, User
from accounts.permissions import require_brand_role
from activity.services import activity_records
from campaigns.models import Campaign
from moderation.services.common import (
    CLAIM_LEASE,
    CLAIM_MAX,
    entry_ids_checked,
    open_decisions,
)
from submissions.models import Entry, EntryState

log = logging.getLogger(__name__)


# Two ways in, each through its own partial index and each taking rows FOR UPDATE SKIP LOCKED:
# free entries oldest first (entry_claim_free), and leases that ran out (entry_lease_expiry);
# then the oldest of both. Entries others hold are in neither index, so the claim's cost follows
# neither the backlog nor how many entries are held (prefetched, or decided and waiting out the
# undo window). An entry locked in a branch but not picked is free again when the statement ends.
# An expired lease on an entry whose decision has not taken effect yet (the workers are behind)
# is not handed out: nobody else could decide it.
_CLAIM_SQL = """
WITH free AS (
    SELECT id, created_at, claimed_by_id AS previous_holder
    FROM submissions_entry
    WHERE brand_id = %(brand)s AND state = 'pending' AND claimed_by_id IS NULL
      {filters}
    ORDER BY created_at
    LIMIT %(count)s
    FOR UPDATE SKIP LOCKED
), expired AS (
    SELECT id, created_at, claimed_by_id AS previous_holder
    FROM submissions_entry
    WHERE brand_id = %(brand)s AND state = 'pending' AND claimed_by_id IS NOT NULL
      AND claim_expires_at <= %(now)s
      AND NOT EXISTS (
          SELECT 1 FROM moderation_decision AS d
          WHERE d.entry_id = submissions_entry.id AND d.applied_at IS NULL AND d.undone_at IS NULL
      )
      {filters}
    ORDER BY claim_expires_at
    LIMIT %(count)s
    FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT id, previous_holder FROM (SELECT * FROM free UNION ALL SELECT * FROM expired) AS candidates
    ORDER BY created_at
    LIMIT %(count)s
)
UPDATE submissions_entry AS e
SET claimed_by_id = %(actor)s, claim_expires_at = %(until)s
FROM picked
WHERE e.id = picked.id
RETURNING e.*, picked.previous_holder
"""


def queue_claim(
    *,
    actor: User,
    brand: Brand,
    count: int = 1,
    exclude: Iterable[uuid.UUID | str] = (),
    campaign: Campaign | None = None,
    kind: str | None = None,
    flagged: bool = False,
    resume: bool = False,
) -> list[Entry]:
    """Lease up to `count` of the brand's oldest unclaimed pending entries to `actor`.

    With `resume`, the moderator's own live leases come first (a reload skips nothing); entries
    whose decision waits out its undo window are not among them. `exclude` passes over entries
    the moderator holds or skipped. Concurrent moderators never get the same entry: on
    PostgreSQL one UPDATE takes the rows FOR UPDATE SKIP LOCKED through the partial indexes
    entry_claim_free and entry_lease_expiry (_CLAIM_SQL), so a claim costs the same with a
    backlog of ten or of a million, however many entries others hold.
    An expired lease taken over from another moderator is recorded in the activity trail.
    """
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    count = max(1, min(count, CLAIM_MAX))
    exclude_ids = [str(pk) for pk in exclude]
    now = timezone.now()
    held: list[Entry] = []
    if resume:
        mine = _claimable(brand=brand, campaign=campaign, kind=kind, flagged=flagged).filter(
            claimed_by=actor, claim_expires_at__gt=now
        )
        mine = mine.exclude(pk__in=exclude_ids).exclude(pk__in=open_decisions().values("entry_id"))
        held = list(mine.order_by("created_at")[:count])
        exclude_ids += [str(e.pk) for e in held]
    wanted = count - len(held)
    if wanted <= 0:
        return held
    until = now + CLAIM_LEASE
    claim = _claim_postgresql if connection.vendor == "postgresql" else _claim_portable
    claimed = claim(
        actor=actor,
        brand=brand,
        count=wanted,
        exclude=exclude_ids,
        campaign=campaign,
        kind=kind,
        flagged=flagged,
        now=now,
        until=until,
    )
    claimed.sort(key=lambda e: e.created_at)
    taken_over = [e for e in claimed if getattr(e, "previous_holder", None) not in (None, actor.pk)]
    if taken_over:
        activity_records(
            [
                {
                    "verb": "claim.taken_over",
                    "target_type": "entry",
                    "target_id": e.pk,
                    "brand_id": brand.pk,
                    "campaign_id": e.campaign_id,
                    "entry_id": e.pk,
                    "snapshot": {"previous_holder_id": e.previous_holder},  # type: ignore[attr-defined]
                }
                for e in taken_over
            ],
            actor=actor,
        )
    return held + claimed


def _claimable(*, brand: Brand, campaign: Campaign | None, kind: str | None, flagged: bool) -> QuerySet[Entry]:
    entries = Entry.objects.filter(brand=brand, state=EntryState.PENDING)
    if campaign is not None:
        entries = entries.filter(campaign_id=campaign.pk)
    if kind:
        entries = entries.filter(kind=kind)
    # Entries a rule held are offered in the Flagged view only.
    return entries.exclude(flags=[]) if flagged else entries.filter(held=False)


def _claim_postgresql(
    *,
    actor: User,
    brand: Brand,
    count: int,
    exclude: list[str],
    campaign: Campaign | None,
    kind: str | None,
    flagged: bool,
    now: dt.datetime,
    until: dt.datetime,
) -> list[Entry]:
    params: dict[str, Any] = {"brand": brand.pk, "now": now, "count": count, "actor": actor.pk, "until": until}
    filters = []
    if exclude:
        filters.append("AND NOT (id = ANY(%(exclude)s::uuid[]))")
        params["exclude"] = exclude
    if campaign is not None:
        filters.append("AND campaign_id = %(campaign)s")
        params["campaign"] = campaign.pk
    if kind:
        filters.append("AND kind = %(kind)s")
        params["kind"] = kind
    if flagged:
        filters.append("AND flags <> '[]'::jsonb")
    else:
        filters.append("AND NOT held")
    sql = _CLAIM_SQL.format(filters="\n      ".join(filters))
    # One statement, its own transaction in autocommit (or part of the caller's): no BEGIN and
    # COMMIT round trips around it.
    return list(Entry.objects.raw(sql, params))


def _claim_portable(
    *,
    actor: User,
    brand: Brand,
    count: int,
    exclude: list[str],
    campaign: Campaign | None,
    kind: str | None,
    flagged: bool,
    now: dt.datetime,
    until: dt.datetime,
) -> list[Entry]:
    """The same claim for SQLite (`make run`), where the database serialises writers anyway."""
    with transaction.atomic():
        free = (
            _claimable(brand=brand, campaign=campaign, kind=kind, flagged=flagged)
            .filter(Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lte=now))
            .exclude(pk__in=exclude)
            .exclude(pk__in=open_decisions().values("entry_id"))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("created_at")[:count]
        )
        entries = list(free)
        for entry in entries:
            entry.previous_holder = entry.claimed_by_id  # type: ignore[attr-defined]
        Entry.objects.filter(pk__in=[e.pk for e in entries]).update(claimed_by=actor, claim_expires_at=until)
        for entry in entries:
            entry.claimed_by_id, entry.claim_expires_at = actor.pk, until
    return entries


def queue_claim_next(*, actor: User, brand: Brand, exclude: Iterable[uuid.UUID | str] = ()) -> Entry | None:
    """The one entry the moderator works on next (their live lease first), or None."""
    entries = queue_claim(actor=actor, brand=brand, count=1, exclude=exclude, resume=True)
    return entries[0] if entries else None


def queue_renew(*, actor: User, brand: Brand, entry_ids: Iterable[uuid.UUID | str]) -> tuple[list[Entry], list[Entry]]:
    """Extend the moderator's leases on these entries (the console does it while its tab is
    visible). Returns (renewed, lost): lost entries are decided, gone, or held by someone else."""
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    ids = entry_ids_checked(entry_ids)
    now = timezone.now()
    until = now + CLAIM_LEASE
    with transaction.atomic():
        entries = list(
            Entry.objects.select_for_update(of=("self",))
            .select_related("claimed_by")
            .filter(brand=brand, pk__in=ids)
            .order_by("pk")
        )
        deciding = set(open_decisions().filter(entry__in=entries).values_list("entry_id", flat=True))
        renewed, lost = [], []
        for entry in entries:
            free = entry.claim_expires_at is None or entry.claim_expires_at <= now
            if (
                entry.state == EntryState.PENDING
                and entry.pk not in deciding
                and (free or entry.claimed_by_id == actor.pk)
            ):
                renewed.append(entry)
            else:
                lost.append(entry)
        Entry.objects.filter(pk__in=[e.pk for e in renewed]).update(claimed_by=actor, claim_expires_at=until)
        for entry in renewed:
            entry.claimed_by, entry.claim_expires_at = actor, until
    return renewed, lost


def queue_release(*, actor: User, entry_ids: Iterable[uuid.UUID | str], brand: Brand | None = None) -> int:
    """Give back the moderator's leases (skip, leaving the page, prefetched entries not reached).

    Entries whose decision waits out its undo window stay held. Returns how many were released.
    """
    ids = entry_ids_checked(entry_ids)
    if brand is not None:
        require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    mine = Entry.objects.filter(pk__in=ids, claimed_by=actor, state=EntryState.PENDING)
    if brand is not None:
        mine = mine.filter(brand=brand)
    with transaction.atomic():
        return mine.exclude(pk__in=open_decisions().values("entry_id")).update(claimed_by=None, claim_expires_at=None)
