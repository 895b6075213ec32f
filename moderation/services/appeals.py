"""Appeals: a fan contests a rejection or a removal once; another moderator decides it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import MODERATE_ROLES, User
from activity.services import Fan, activity_record
from config.errors import Conflict, DomainError
from moderation import notifications
from moderation.models import Appeal, AppealOutcome, Decision, DecisionAction
from moderation.services.common import NOTE_MAX, locked_entry
from submissions.models import Entry, EntryState
from submissions.services import entry_publish_renditions, entry_transition

APPEAL_TEXT_MAX = 2000
RESTORE_TO = (EntryState.APPROVED, EntryState.PENDING)


@dataclass(frozen=True)
class AppealBasis:
    """What an appeal contests: a moderator's decision, or an automatic rule's rejection."""

    decision: Decision | None
    rule: dict[str, Any] | None
    decided_at: dt.datetime

    @property
    def deadline(self) -> dt.datetime:
        return self.decided_at + dt.timedelta(days=settings.APPEAL_WINDOW_DAYS)

    @property
    def reference(self) -> str:
        if self.decision is not None:
            return f"D-{self.decision.pk}"
        return f"R-{(self.rule or {}).get('rule', '')}"


def appeal_basis(entry: Entry) -> AppealBasis | None:
    """The contested decision an entry could be appealed against, or None (files refused by
    processing, entries that were never rejected or removed)."""
    if entry.state == EntryState.REMOVED:
        action = DecisionAction.REMOVE
    elif entry.state == EntryState.REJECTED:
        action = DecisionAction.REJECT
    else:
        return None
    decision = (
        Decision.objects.filter(entry=entry, action=action, applied_at__isnull=False, undone_at__isnull=True)
        .select_related("moderator")
        .order_by("-applied_at")
        .first()
    )
    if decision is not None and decision.applied_at is not None:
        return AppealBasis(decision=decision, rule=None, decided_at=decision.applied_at)
    if action == DecisionAction.REJECT:
        rule = entry.rule_rejection
        if rule is not None:
            return AppealBasis(decision=None, rule=rule, decided_at=entry.state_changed_at)
    return None


def _locked_own_entry(*, actor: User, entry_id: uuid.UUID | str) -> Entry:
    try:
        entry = Entry.objects.select_for_update(of=("self",)).filter(pk=entry_id).first()
    except (ValueError, ValidationError) as exc:  # not a UUID
        raise Http404 from exc
    if entry is None or entry.author_id != actor.pk:
        raise Http404
    return entry


def appeal_file(*, actor: User, entry_id: uuid.UUID | str, text: str) -> Appeal:
    """File the one appeal against an entry's rejection or removal (its author only; others 404).

    Refused: blank or over 2,000 characters (400, "text"); a second appeal, an entry with
    nothing to appeal (files refused by processing), or after APPEAL_WINDOW_DAYS (409, "entry").
    """
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Say why the decision should be looked at again."), field="text")
    if len(text) > APPEAL_TEXT_MAX:
        raise DomainError(_("An appeal is at most %(max)s characters.") % {"max": f"{APPEAL_TEXT_MAX:,}"}, field="text")
    with transaction.atomic():
        entry = _locked_own_entry(actor=actor, entry_id=entry_id)
        if Appeal.objects.filter(entry=entry).exists():
            raise Conflict(_("This entry has been appealed already; an entry can be appealed once."), field="entry")
        if Entry.objects.filter(resubmission_of=entry).exists():
            raise Conflict(
                _("You sent a new version of this entry; the new version is the one the moderators look at."),
                field="entry",
            )
        basis = appeal_basis(entry)
        if basis is None:
            raise Conflict(_("Only a rejection or a removal by a moderator or a rule can be appealed."), field="entry")
        now = timezone.now()
        if now > basis.deadline:
            raise Conflict(
                _("The time to appeal ended on %(date)s.")
                % {"date": formats.date_format(basis.deadline, "DATE_FORMAT")},
                field="entry",
            )
        appeal = Appeal.objects.create(
            entry=entry,
            brand_id=entry.brand_id,
            decision=basis.decision,
            contested_by=basis.decision.moderator if basis.decision else None,
            text=text,
            created_at=now,
        )
        activity_record(
            actor=Fan(pk=actor.pk),
            verb="appeal.filed",
            target_type="appeal",
            target_id=appeal.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"contested": basis.reference, "entry_state": entry.state, "length": len(text)},
        )
    return appeal


def appeal_decide(
    *, actor: User, entry_id: uuid.UUID | str, outcome: str, reasons: str, restore_to: str = EntryState.APPROVED
) -> Appeal:
    """Decide an entry's open appeal (moderators of its brand, not the one who made the contested
    decision: 409 "moderator"; the constraint appeal_decided_by_another_moderator holds it too).

    Upheld: a rejection goes to `restore_to` (approved, public at once; or pending, back to
    review), a removal back to approved. Rejected: final. The fan is e-mailed the outcome with the
    reasons. Decided once (409 after).
    """
    if outcome not in AppealOutcome.values:
        raise DomainError(_("Choose upheld or rejected."), field="outcome")
    if restore_to not in RESTORE_TO:
        raise DomainError(_("Choose approved or pending."), field="restore_to")
    reasons = (reasons or "").strip()
    if not reasons:
        raise DomainError(_("Give the fan your reasons."), field="reasons")
    if len(reasons) > NOTE_MAX:
        raise DomainError(_("The reasons are longer than %(max)s characters.") % {"max": NOTE_MAX}, field="reasons")
    with transaction.atomic():
        entry = locked_entry(actor=actor, entry_id=entry_id, roles=MODERATE_ROLES)
        appeal = Appeal.objects.select_for_update().filter(entry=entry).first()
        if appeal is None:
            raise Http404
        if appeal.decided_at is not None:
            raise Conflict(_("This appeal has been decided already."), field="entry")
        if appeal.contested_by_id is not None and appeal.contested_by_id == actor.pk:
            raise Conflict(
                _("You made the decision this appeal contests; another moderator must decide it."),
                field="moderator",
            )
        if outcome == AppealOutcome.UPHELD and entry.state not in (EntryState.REJECTED, EntryState.REMOVED):
            # Re-opened or restored some other way meanwhile: nothing is left to restore.
            raise Conflict(
                _("This entry is %(state)s now; reject the appeal with your reasons instead.")
                % {"state": entry.get_state_display().lower()},
                field="entry",
            )
        now = timezone.now()
        verb = "appeal.rejected"
        if outcome == AppealOutcome.UPHELD:
            verb = "appeal.upheld"
            target = EntryState.APPROVED if entry.state == EntryState.REMOVED else restore_to
            if target == EntryState.APPROVED:
                entry_publish_renditions(entry=entry)
            entry_transition(entry=entry, to=target, reversal=True)
            appeal.restored_to = target
        appeal.outcome, appeal.reasons = outcome, reasons
        appeal.decided_at, appeal.decided_by = now, actor
        appeal.save(update_fields=["outcome", "reasons", "decided_at", "decided_by", "restored_to"])
        activity_record(
            actor=actor,
            verb=verb,
            target_type="appeal",
            target_id=appeal.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"outcome": outcome, "reasons": reasons, "restored_to": appeal.restored_to or None},
        )
        appeal.entry = entry
        notifications.appeal_decided(appeal=appeal)  # an outbox row, sent after the commit
    return appeal
