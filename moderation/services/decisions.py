"""Decisions: made at once, taking effect after the undo window; undo, bulk actions, reversals, removal."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import db
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import MODERATE_ROLES, Brand, User
from accounts.permissions import require_brand_role
from activity.services import activity_record, activity_records
from campaigns.models import Guideline
from config.errors import Conflict, DomainError
from moderation import notifications
from moderation.models import Decision, DecisionAction, Report, ReportResolution, ShortlistItem
from moderation.services.common import (
    CLAIM_LEASE,
    NOTE_MAX,
    SYSTEM_UNDO_WINDOW,
    campaign_guidelines,
    entry_ids_checked,
    locked_entry,
    open_decisions,
    undo_window,
)
from moderation.services.features import queue_feature_document, shortlist_locked
from submissions.models import Entry, EntryState
from submissions.services import entry_publish_renditions, entry_transition, entry_unpublish_renditions
from submissions.signals import entry_left_public

log = logging.getLogger(__name__)


def _check_decision(*, action: str, note: str) -> str:
    if action not in (DecisionAction.APPROVE, DecisionAction.REJECT):
        raise DomainError(_("Choose approve or reject."), field="action")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("The note is longer than %(max)s characters.") % {"max": NOTE_MAX}, field="note")
    return note


def _decision_snapshot(decision: Decision, codes: Iterable[str]) -> dict[str, Any]:
    return {
        "decision_id": decision.pk,
        "action": decision.action,
        "guidelines": list(codes),
        "note": decision.note,
        "effective_at": decision.effective_at.isoformat(),
        "bulk_id": str(decision.bulk_id) if decision.bulk_id else None,
    }


def entry_decide(
    *,
    actor: User,
    entry_id: uuid.UUID | str,
    action: str,
    guideline_codes: Iterable[str] = (),
    note: str = "",
) -> Decision:
    """Approve or reject a pending entry. It takes effect after the undo window (decision_apply):
    until then nothing is public, the fan is not told, and decision_undo takes it back.

    Rejections must cite at least one of the campaign's guidelines. A second decision on the same
    entry, or one on an entry another moderator holds, is a Conflict. The entry stays held by
    the moderator until the decision takes effect.
    """
    note = _check_decision(action=action, note=note)
    with transaction.atomic():
        entry = _entry_to_decide(actor=actor, entry_id=entry_id)
        if entry.state != EntryState.PENDING:
            raise Conflict(
                _("This entry is already %(state)s.") % {"state": entry.get_state_display().lower()},
                field="entry",
            )
        if entry.deciding:  # type: ignore[attr-defined]
            raise Conflict(_("This entry was just decided; undo that decision first."), field="entry")
        now = timezone.now()
        if entry.claimed_by_id not in (None, actor.pk) and entry.claim_expires_at and entry.claim_expires_at > now:
            raise Conflict(_("Another moderator is reviewing this entry."), field="entry")
        guidelines = campaign_guidelines(campaign_id=entry.campaign_id, codes=guideline_codes)
        if action == DecisionAction.REJECT and not guidelines:
            raise DomainError(_("Cite at least one guideline when rejecting."), field="guidelines")
        effective_at = now + undo_window()
        decision = Decision.objects.create(
            entry=entry,
            brand_id=entry.brand_id,
            moderator=actor,
            action=action,
            note=note,
            created_at=now,
            effective_at=effective_at,
        )
        if guidelines:  # a new decision has no links yet: insert them (set() reads them first)
            Decision.guidelines.through.objects.bulk_create(
                Decision.guidelines.through(decision_id=decision.pk, guideline_id=g.pk) for g in guidelines
            )
        entry.claimed_by, entry.claim_expires_at = actor, effective_at + CLAIM_LEASE
        entry.save(update_fields=["claimed_by", "claim_expires_at"])
        activity_record(
            actor=actor,
            verb="decision.made",
            target_type="decision",
            target_id=decision.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot=_decision_snapshot(decision, [g.code for g in guidelines]),
        )
        transaction.on_commit(lambda: schedule_apply([decision.pk]))
    return decision


def _entry_to_decide(*, actor: User, entry_id: uuid.UUID | str) -> Entry:
    """The entry, locked, with only the columns a decision needs and whether a decision on it is
    still open, in one statement (a decision is the hottest path of the console)."""
    try:
        entry = (
            Entry.objects.select_for_update(of=("self",))
            .only("id", "brand_id", "campaign_id", "state", "claimed_by_id", "claim_expires_at")
            .annotate(deciding=Exists(open_decisions().filter(entry_id=OuterRef("pk"))))
            .filter(pk=entry_id)
            .first()
        )
    except (ValueError, ValidationError) as exc:  # not a UUID
        raise Http404 from exc
    if entry is None:
        raise Http404
    require_brand_role(user=actor, brand_id=entry.brand_id, roles=MODERATE_ROLES)
    return entry


def schedule_apply(decision_ids: list[int], *, delay: float | None = None) -> None:
    """Have these decisions take effect when their window ends: a Celery task with a countdown,
    one for each second in which decisions fall due (it applies all of them).

    The beat sweeper (apply_due_decisions) catches any whose task is lost. With tasks in-process
    (`make run`) a timer thread stands in for both, since an eager task would run at once.
    """
    from moderation.tasks import apply_due_decisions

    countdown = settings.MODERATION_UNDO_SECONDS + 0.2 if delay is None else delay
    if apply_due_decisions.app.conf.task_always_eager:
        if settings.MODERATION_APPLY_TIMER:
            timer = threading.Timer(countdown, _apply_in_thread)
            timer.daemon = True
            timer.start()
        return
    # One task for each second in which decisions take effect, which applies every decision due
    # by then: at a hundred decisions a second the broker carries one message a second, and the
    # request does not pay for a publish each time.
    due = math.ceil(time.time() + countdown)
    try:
        if cache.add(f"fanfare:apply-decisions-at:{due}", 1, timeout=300):
            apply_due_decisions.apply_async(countdown=max(0.0, due - time.time()))
    except Exception:  # the broker or the cache is down: the sweeper applies them once it is back
        log.exception("Could not queue decisions %s; the sweeper will apply them", decision_ids)


def _apply_in_thread() -> None:
    try:
        decisions_apply_due()
    finally:
        db.connections.close_all()


def decisions_apply_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Apply every decision whose undo window has ended (the sweeper; safe to run twice)."""
    now = now or timezone.now()
    due = list(
        open_decisions().filter(effective_at__lte=now).order_by("effective_at").values_list("pk", flat=True)[:limit]
    )
    applied = 0
    for decision_id in due:
        try:
            applied += decision_apply(decision_id=decision_id, now=now) is not None
        except Exception:  # one entry's storage trouble must not hold up the others
            log.exception("Decision %s could not take effect yet", decision_id)
    return applied


def decision_apply(*, decision_id: int, now: dt.datetime | None = None) -> Decision | None:
    """Make a decision take effect once its window has ended: the entry's state, its public
    pictures (on approval), the fan's e-mail and the activity record, all in one transaction.

    Idempotent: an applied, undone or not yet due decision is left alone (None). If the entry
    left the queue meanwhile (the fan withdrew it) the decision lapses; if its pictures are gone
    from storage it fails and the entry goes back to the queue. Storage outages raise, for the
    task to retry.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Skip a decision another applier holds (tasks of consecutive seconds overlap at speed) or
        # one being undone this instant: the other finishes it, or the sweeper comes back to it.
        decision = (
            Decision.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("moderator")
            .filter(pk=decision_id)
            .first()
        )
        if decision is None or not decision.is_open or decision.effective_at > now:
            return None
        if decision.action not in (DecisionAction.APPROVE, DecisionAction.REJECT):
            return None  # removals take effect when made
        entry = Entry.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=decision.entry_id)
        decision.entry = entry
        codes = list(decision.guidelines.values_list("code", flat=True))
        record: dict[str, Any] = {
            "target_type": "entry",
            "target_id": entry.pk,
            "brand_id": entry.brand_id,
            "campaign_id": entry.campaign_id,
            "entry_id": entry.pk,
            "snapshot": _decision_snapshot(decision, codes),
        }
        if entry.state != EntryState.PENDING:
            decision.applied_at = now
            decision.save(update_fields=["applied_at"])
            record["snapshot"]["entry_state"] = entry.state
            activity_record(actor=SYSTEM_UNDO_WINDOW, verb="decision.lapsed", **record)
            return decision
        if decision.action == DecisionAction.APPROVE:
            try:
                entry_publish_renditions(entry=entry)
            except FileNotFoundError:
                log.warning("Entry %s has renditions missing from storage; approval %s failed", entry.pk, decision.pk)
                decision.undone_at = now
                decision.save(update_fields=["undone_at"])
                entry.claimed_by, entry.claim_expires_at = None, None
                entry.save(update_fields=["claimed_by", "claim_expires_at"])
                record["snapshot"]["reason"] = "renditions missing from storage"
                activity_record(actor=SYSTEM_UNDO_WINDOW, verb="decision.failed", **record)
                return decision
            entry_transition(entry=entry, to=EntryState.APPROVED)
            verb = "entry.approved"
        else:
            entry_transition(entry=entry, to=EntryState.REJECTED)
            verb = "entry.rejected"
        decision.applied_at = now
        decision.save(update_fields=["applied_at"])
        activity_record(actor=decision.moderator, verb=verb, **record)
        notifications.entry_decided(decision=decision)  # an outbox row, sent after the commit
    return decision


def decision_undo(*, actor: User, decision_id: int | str) -> Decision:
    """Take back a decision within its undo window: nothing of it has left, and the entry is the
    moderator's again. Undoing twice is harmless; after the window it is a Conflict (reverse the
    entry instead, see entry_reverse). Only the moderator who decided can undo."""
    with transaction.atomic():
        decision = _locked_decision(actor=actor, decision_id=decision_id)
        if decision.undone_at is not None:
            return decision
        now = timezone.now()
        if decision.applied_at is not None or decision.effective_at <= now:
            raise Conflict(
                _("This decision has taken effect; re-open, restore or withdraw the entry instead."), field="decision"
            )
        if decision.moderator_id != actor.pk:
            raise Conflict(_("Only the moderator who made a decision can undo it."), field="decision")
        _undo(decision=decision, actor=actor, now=now)
    return decision


def _locked_decision(*, actor: User, decision_id: int | str) -> Decision:
    try:
        decision = (
            Decision.objects.select_for_update(of=("self",)).select_related("entry").filter(pk=int(decision_id)).first()
        )
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if decision is None:
        raise Http404
    require_brand_role(user=actor, brand_id=decision.entry.brand_id, roles=MODERATE_ROLES)
    return decision


def _undo(*, decision: Decision, actor: User, now: dt.datetime) -> None:
    decision.undone_at, decision.undone_by = now, actor
    decision.save(update_fields=["undone_at", "undone_by"])
    entry = decision.entry
    Entry.objects.filter(pk=entry.pk, state=EntryState.PENDING).update(
        claimed_by=actor, claim_expires_at=now + CLAIM_LEASE
    )
    activity_record(
        actor=actor,
        verb="decision.undone",
        target_type="decision",
        target_id=decision.pk,
        brand_id=entry.brand_id,
        campaign_id=entry.campaign_id,
        entry_id=entry.pk,
        snapshot={"decision_id": decision.pk, "action": decision.action},
    )


@dataclass
class BulkResult:
    action: str
    bulk_id: uuid.UUID | None
    done: list[uuid.UUID] = field(default_factory=list)
    decisions: list[int] = field(default_factory=list)
    effective_at: dt.datetime | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)


BULK_ACTIONS = ("approve", "reject", "shortlist")


def decisions_bulk(
    *,
    actor: User,
    brand: Brand,
    action: str,
    entry_ids: Iterable[uuid.UUID | str],
    guideline_codes: Iterable[str] = (),
    note: str = "",
) -> BulkResult:
    """Approve, reject (one set of guidelines and one note) or shortlist up to 500 entries at once.

    All in one transaction: the entries are locked and claimed together. Entries held by another
    moderator, already decided, or whose campaign lacks a cited guideline are reported in
    `skipped` with the reason, not taken. Approvals and rejections share an undo window and a
    bulk id (bulk_undo); shortlisting is immediate (take an entry off the shortlist to undo it).
    """
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    if action not in BULK_ACTIONS:
        raise DomainError(_("Choose approve, reject or shortlist."), field="action")
    ids = entry_ids_checked(entry_ids)
    if not ids:
        raise DomainError(_("Select at least one entry."), field="entries")
    codes = [c.strip() for c in guideline_codes if c and c.strip()]
    if action == DecisionAction.REJECT and not codes:
        raise DomainError(_("Cite at least one guideline when rejecting."), field="guidelines")
    note = _check_decision(action=action, note=note) if action != "shortlist" else ""
    result = BulkResult(action=action, bulk_id=uuid.uuid4() if action != "shortlist" else None)
    now = timezone.now()
    with transaction.atomic():
        entries = list(
            Entry.objects.select_for_update(of=("self",))
            .select_related("campaign", "claimed_by")
            .filter(brand=brand, pk__in=ids)
            .order_by("pk")
        )
        found = {e.pk for e in entries}
        result.skipped += [
            {"entry": pk, "reason": _("No such entry."), "claimed_by": None} for pk in ids if pk not in found
        ]
        if action == "shortlist":
            _bulk_shortlist(actor=actor, entries=entries, result=result)
            return result
        deciding = set(open_decisions().filter(entry__in=entries).values_list("entry_id", flat=True))
        guidelines_of: dict[int, list[Guideline] | None] = {}
        taken: list[tuple[Entry, list[Guideline]]] = []
        for entry in entries:
            reason, holder = _bulk_refusal(entry=entry, actor=actor, deciding=deciding, now=now)
            if reason is None and entry.campaign_id not in guidelines_of:
                try:
                    guidelines_of[entry.campaign_id] = campaign_guidelines(campaign_id=entry.campaign_id, codes=codes)
                except DomainError:
                    guidelines_of[entry.campaign_id] = None
            if reason is None and guidelines_of[entry.campaign_id] is None:
                reason = _("Its campaign has no guideline %(codes)s.") % {"codes": ", ".join(codes)}
            if reason is not None:
                result.skipped.append({"entry": entry.pk, "reason": reason, "claimed_by": holder})
                continue
            taken.append((entry, guidelines_of[entry.campaign_id] or []))
        if not taken:
            return result
        result.effective_at = now + undo_window()
        decisions = Decision.objects.bulk_create(
            Decision(
                entry=entry,
                brand=brand,
                moderator=actor,
                action=action,
                note=note,
                created_at=now,
                effective_at=result.effective_at,
                bulk_id=result.bulk_id,
            )
            for entry, _g in taken
        )
        Decision.guidelines.through.objects.bulk_create(
            Decision.guidelines.through(decision_id=d.pk, guideline_id=g.pk)
            for d, (_e, guidelines) in zip(decisions, taken, strict=True)
            for g in guidelines
        )
        Entry.objects.filter(pk__in=[e.pk for e, _g in taken]).update(
            claimed_by=actor, claim_expires_at=result.effective_at + CLAIM_LEASE
        )
        result.done = [e.pk for e, _g in taken]
        result.decisions = [d.pk for d in decisions]
        activity_records(
            [
                {
                    "verb": "decision.made",
                    "target_type": "decision",
                    "target_id": d.pk,
                    "brand_id": brand.pk,
                    "campaign_id": e.campaign_id,
                    "entry_id": e.pk,
                    "snapshot": _decision_snapshot(d, [g.code for g in guidelines]),
                }
                for d, (e, guidelines) in zip(decisions, taken, strict=True)
            ]
            + [
                {
                    "verb": "bulk.decided",
                    "target_type": "bulk",
                    "target_id": result.bulk_id,
                    "brand_id": brand.pk,
                    "snapshot": {
                        "action": action,
                        "guidelines": codes,
                        "note": note,
                        "entries": [str(pk) for pk in result.done],
                        "skipped": [str(s["entry"]) for s in result.skipped],
                    },
                }
            ],
            actor=actor,
        )
        decision_ids = result.decisions
        transaction.on_commit(lambda: schedule_apply(decision_ids))
    return result


def _bulk_refusal(
    *, entry: Entry, actor: User, deciding: set[uuid.UUID], now: dt.datetime
) -> tuple[str | None, str | None]:
    if entry.state != EntryState.PENDING:
        return _("It is already %(state)s.") % {"state": entry.get_state_display().lower()}, None
    if entry.pk in deciding:
        return _("It was just decided; its undo window is running."), None
    if entry.claimed_by_id not in (None, actor.pk) and entry.claim_expires_at and entry.claim_expires_at > now:
        holder = entry.claimed_by.email if entry.claimed_by else None
        return _("Another moderator is reviewing it."), holder
    return None, None


def _bulk_shortlist(*, actor: User, entries: list[Entry], result: BulkResult) -> None:
    for entry in entries:
        if entry.state != EntryState.APPROVED:
            result.skipped.append(
                {"entry": entry.pk, "reason": _("Only approved entries can be shortlisted."), "claimed_by": None}
            )
            continue
        shortlist_locked(actor=actor, entry=entry)
        result.done.append(entry.pk)


def bulk_undo(*, actor: User, brand: Brand, bulk_id: uuid.UUID) -> tuple[list[int], list[int]]:
    """Undo the decisions of one bulk action still within their window: (undone, too late)."""
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    now = timezone.now()
    undone, too_late = [], []
    with transaction.atomic():
        decisions = list(
            Decision.objects.select_for_update(of=("self",))
            .select_related("entry")
            .filter(bulk_id=bulk_id, brand=brand)
            .order_by("pk")
        )
        if not decisions:
            raise Http404
        if decisions[0].moderator_id != actor.pk:
            raise Conflict(_("Only the moderator who made a decision can undo it."), field="bulk")
        for decision in decisions:
            if decision.undone_at is not None:
                continue
            if decision.applied_at is not None or decision.effective_at <= now:
                too_late.append(decision.pk)
                continue
            _undo(decision=decision, actor=actor, now=now)
            undone.append(decision.pk)
    return undone, too_late


REVERSALS: dict[str, tuple[frozenset[str], str, str]] = {
    "reopen": (frozenset({EntryState.REJECTED}), EntryState.PENDING, "entry.reopened"),
    "restore": (frozenset({EntryState.REMOVED}), EntryState.APPROVED, "entry.restored"),
    "withdraw_approval": (
        frozenset({EntryState.APPROVED, EntryState.FEATURED}),
        EntryState.PENDING,
        "entry.approval_withdrawn",
    ),
}


def entry_reverse(*, actor: User, entry_id: uuid.UUID | str, action: str, reason: str) -> Entry:
    """Reverse a decision that has taken effect, as a new audited action with a reason:
    re-open a rejected entry (back to the queue), restore a removed one (public again), or
    withdraw an approval (public copies deleted, back to the queue).

    Only entries a moderator decided qualify: files refused by processing cannot be re-opened,
    and an entry the fan withdrew stays withdrawn.
    """
    if action not in REVERSALS:
        raise DomainError(_("Choose reopen, restore or withdraw_approval."), field="action")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why, for the audit trail."), field="reason")
    if len(reason) > NOTE_MAX:
        raise DomainError(_("The reason is longer than %(max)s characters.") % {"max": NOTE_MAX}, field="reason")
    from_states, to_state, verb = REVERSALS[action]
    with transaction.atomic():
        entry = locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if entry.state not in from_states:
            raise Conflict(
                _("This entry is %(state)s; that cannot be reversed this way.")
                % {"state": entry.get_state_display().lower()},
                field="action",
            )
        if (
            action == "reopen"
            and not entry.decisions.filter(action=DecisionAction.REJECT, applied_at__isnull=False).exists()
        ):
            raise Conflict(_("Only entries a moderator rejected can be re-opened."), field="action")
        was_public = entry.is_public
        if to_state == EntryState.APPROVED:
            entry_publish_renditions(entry=entry)
        entry_transition(entry=entry, to=to_state, reversal=True)
        if was_public and not entry.is_public:
            withdrawn = entry
            ShortlistItem.objects.filter(entry=entry).delete()
            transaction.on_commit(lambda: entry_unpublish_renditions(entry=withdrawn))
            transaction.on_commit(lambda: entry_left_public.send(sender=Entry, entry=withdrawn))
        activity_record(
            actor=actor,
            verb=verb,
            target_type="entry",
            target_id=entry.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"reason": reason, "from": sorted(from_states), "to": to_state},
        )
    return entry


def entry_remove(
    *, actor: User, entry_id: uuid.UUID | str, guideline_codes: Iterable[str] = (), note: str = ""
) -> Decision:
    """Take down an approved, featured or hidden entry (after a report); its public files are
    deleted and, if it was featured, the gallery document is rewritten without it. Its open
    reports are resolved "removed"."""
    with transaction.atomic():
        entry = locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        if not entry.is_public and entry.state != EntryState.HIDDEN:
            raise Conflict(_("Only approved, featured or hidden entries can be removed."), field="entry")
        guidelines = campaign_guidelines(campaign_id=entry.campaign_id, codes=guideline_codes)
        if not guidelines:
            raise DomainError(_("Cite at least one guideline when removing."), field="guidelines")
        now = timezone.now()
        decision = Decision.objects.create(
            entry=entry,
            brand_id=entry.brand_id,
            moderator=actor,
            action=DecisionAction.REMOVE,
            note=(note or "").strip()[:NOTE_MAX],
            effective_at=now,
            applied_at=now,  # a take-down has no undo window: it is never an open decision
        )
        decision.guidelines.set(guidelines)
        was_featured = entry.state == EntryState.FEATURED
        entry_transition(entry=entry, to=EntryState.REMOVED)
        # Files go after the commit: a rolled-back removal must not leave an approved entry without them.
        removed = entry
        transaction.on_commit(lambda: entry_unpublish_renditions(entry=removed))
        ShortlistItem.objects.filter(entry=entry).delete()
        Report.objects.filter(entry=entry, resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=actor, resolution=ReportResolution.REMOVED
        )
        activity_record(
            actor=actor,
            verb="entry.removed",
            target_type="entry",
            target_id=entry.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot=_decision_snapshot(decision, [g.code for g in guidelines]),
        )
        campaign = entry.campaign
        if was_featured:
            transaction.on_commit(lambda: queue_feature_document(campaign=campaign))
        notifications.entry_decided(decision=decision)  # an outbox row, sent after the commit
    return decision
