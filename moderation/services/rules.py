"""Automatic rules: create, change and delete a brand's rules, and apply them to an entry.

Writes are for owners, admins and moderators of the brand (others get Http404); each records
`rule.created` / `rule.changed` / `rule.deleted` and, on commit, makes every process rebuild the
brand's compiled term list. Applying is automatic (the entry_ready_for_review signal): each hit
is a flag on the entry with the reason for the moderator and an activity row by `system:<rule id>`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import MODERATE_ROLES, Brand, User
from accounts.permissions import require_brand_role
from activity.services import activity_record
from campaigns.models import Campaign, Guideline
from config.errors import Conflict, DomainError
from moderation import notifications
from moderation.models import Rule, RuleAction, RuleKind
from moderation.rules import (
    ACTION_STRENGTH,
    RuleHit,
    blocked_fan_rule,
    entry_rule_hits,
    rule_value_clean,
    rule_value_key,
    rules_changed,
)
from submissions.models import Entry, EntryState
from submissions.services import entry_transition

_UNSET: Any = object()


def _campaign_of(*, brand: Brand, slug: str | None) -> Campaign | None:
    if not slug:
        return None
    campaign = Campaign.objects.filter(brand=brand, slug=slug).first()
    if campaign is None:
        raise DomainError(_("The brand has no campaign “%(slug)s”.") % {"slug": slug[:64]}, field="campaign")
    return campaign


def _check_guideline(*, brand: Brand, campaign: Campaign | None, action: str, guideline: str) -> str:
    guideline = (guideline or "").strip()
    if not guideline:
        if action == RuleAction.REJECT:
            raise DomainError(_("Choose the guideline a rejection cites."), field="guideline")
        return ""
    codes = Guideline.objects.filter(code=guideline, active=True)
    codes = codes.filter(campaign=campaign) if campaign is not None else codes.filter(campaign__brand=brand)
    if not codes.exists():
        where = _("this campaign") if campaign is not None else _("any of the brand's campaigns")
        raise DomainError(
            _("“%(code)s” is not an active guideline of %(where)s.") % {"code": guideline[:32], "where": where},
            field="guideline",
        )
    return guideline


def _check_unique(*, rule: Rule) -> None:
    key = rule_value_key(kind=rule.kind, value=rule.value)
    others = Rule.objects.filter(brand_id=rule.brand_id, kind=rule.kind).exclude(pk=rule.pk)
    others = (
        others.filter(campaign__isnull=True)
        if rule.campaign_id is None
        else others.filter(campaign_id=rule.campaign_id)
    )
    if any(rule_value_key(kind=other.kind, value=other.value) == key for other in others):
        raise Conflict(_("The brand already has this rule."), field="value")


def _snapshot(rule: Rule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "value": rule.value,
        "action": rule.action,
        "guideline": rule.guideline or None,
        "campaign": rule.campaign.slug if rule.campaign else None,
    }


def _record(*, actor: User, rule: Rule, verb: str, snapshot: dict[str, Any]) -> None:
    activity_record(
        actor=actor,
        verb=verb,
        target_type="rule",
        target_id=rule.pk,
        brand_id=rule.brand_id,
        campaign_id=rule.campaign_id,
        snapshot=snapshot,
    )
    # Bumped now, so reads later in this transaction see the change, and again on commit, so no
    # process keeps a list it compiled from the rows as they were before the commit.
    brand_id = rule.brand_id
    rules_changed(brand_id=brand_id)
    transaction.on_commit(lambda: rules_changed(brand_id=brand_id))


def rule_create(
    *,
    actor: User,
    brand: Brand,
    kind: str,
    value: str,
    action: str,
    guideline: str | None = None,
    campaign: str | None = None,
) -> Rule:
    """Add an automatic rule to the brand (moderators and above; Http404 otherwise).

    DomainError names the field that is wrong; Conflict (409) when the brand already has the
    same rule (same kind, same value once normalised, same campaign).
    """
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    if kind not in RuleKind.values:
        raise DomainError(_("Choose a kind of rule."), field="kind")
    if action not in RuleAction.values:
        raise DomainError(_("Choose what the rule does: flag, hold or reject."), field="action")
    with transaction.atomic():
        campaign_obj = _campaign_of(brand=brand, slug=campaign)
        rule = Rule(
            brand=brand,
            campaign=campaign_obj,
            kind=kind,
            value=rule_value_clean(kind=kind, value=value),
            action=action,
            guideline=_check_guideline(brand=brand, campaign=campaign_obj, action=action, guideline=guideline or ""),
            created_by=actor,
        )
        _check_unique(rule=rule)
        rule.save()
        _record(actor=actor, rule=rule, verb="rule.created", snapshot=_snapshot(rule))
    return rule


def _rule_of(*, brand: Brand, rule_id: uuid.UUID | str) -> Rule:
    try:
        rule = Rule.objects.select_for_update().filter(pk=rule_id, brand=brand).first()
    except (ValueError, ValidationError) as exc:
        raise Http404 from exc
    if rule is None:
        raise Http404
    return rule


def rule_update(
    *,
    actor: User,
    brand: Brand,
    rule_id: uuid.UUID | str,
    kind: str = _UNSET,
    value: str = _UNSET,
    action: str = _UNSET,
    guideline: str | None = _UNSET,
    campaign: str | None = _UNSET,
) -> Rule:
    """Change what is given of a rule (moderators and above); checked as rule_create checks."""
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    with transaction.atomic():
        rule = _rule_of(brand=brand, rule_id=rule_id)
        before = _snapshot(rule)
        if kind is not _UNSET:
            if kind not in RuleKind.values:
                raise DomainError(_("Choose a kind of rule."), field="kind")
            rule.kind = kind
        if action is not _UNSET:
            if action not in RuleAction.values:
                raise DomainError(_("Choose what the rule does: flag, hold or reject."), field="action")
            rule.action = action
        if campaign is not _UNSET:
            rule.campaign = _campaign_of(brand=brand, slug=campaign)
        rule.value = rule_value_clean(kind=rule.kind, value=rule.value if value is _UNSET else value)
        rule.guideline = _check_guideline(
            brand=brand,
            campaign=rule.campaign,
            action=rule.action,
            guideline=rule.guideline if guideline is _UNSET else (guideline or ""),
        )
        _check_unique(rule=rule)
        rule.save()
        after = _snapshot(rule)
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        _record(actor=actor, rule=rule, verb="rule.changed", snapshot={"changed": changed})
    return rule


def rule_delete(*, actor: User, brand: Brand, rule_id: uuid.UUID | str) -> None:
    """Delete a rule (moderators and above). Flags it already left on entries stay."""
    require_brand_role(user=actor, brand_id=brand.pk, roles=MODERATE_ROLES)
    with transaction.atomic():
        rule = _rule_of(brand=brand, rule_id=rule_id)
        _record(actor=actor, rule=rule, verb="rule.deleted", snapshot=_snapshot(rule))
        rule.delete()


_VERBS = {RuleAction.FLAG: "entry.flagged", RuleAction.HOLD: "entry.held", RuleAction.REJECT: "entry.rejected"}


def entry_rules_apply(*, entry: Entry) -> Entry:
    """Apply the brand's automatic rules to an entry that just became pending.

    Called inside the processing transaction with the entry's row locked. Every hit appends a
    flag (`kind: "rule"`, with the reason in `why`) and an activity row by `system:<rule id>`.
    The strongest action wins: reject (citing the rule's guideline; the fan gets a statement of
    reasons) > hold (out of the Pending view, in Flagged) > flag.
    """
    hits = entry_rule_hits(entry=entry)
    if not hits:
        return entry
    guidelines = {g.code: g for g in Guideline.objects.filter(campaign_id=entry.campaign_id, active=True)}
    outcome = RuleAction.FLAG
    rejected_by: tuple[RuleHit, Guideline] | None = None
    for hit in hits:
        action, why = RuleAction(hit.rule.action), hit.why
        guideline = guidelines.get(hit.rule.guideline) if hit.rule.guideline else None
        if action == RuleAction.REJECT and guideline is None:
            action = RuleAction.HOLD
            why = f"{why} " + _(
                "The rule rejects citing “%(code)s”, which this campaign lacks, so the entry is held instead."
            ) % {"code": hit.rule.guideline}
        entry.flags.append(
            {
                "kind": "rule",
                "rule": str(hit.rule.pk),
                "rule_kind": hit.rule.kind,
                "action": str(action),
                "why": why,
                "field": hit.field,
                "span": hit.span,
                "matched": hit.matched,
                "guideline": hit.rule.guideline or None,
            }
        )
        activity_record(
            actor=hit.rule.actor,
            verb=_VERBS[action],
            target_type="entry",
            target_id=entry.pk,
            brand_id=entry.brand_id,
            campaign_id=entry.campaign_id,
            entry_id=entry.pk,
            snapshot={"rule_kind": hit.rule.kind, "why": why, "field": hit.field, "guideline": hit.rule.guideline},
        )
        if ACTION_STRENGTH[action] > ACTION_STRENGTH[outcome]:
            outcome = action
        if action == RuleAction.REJECT and rejected_by is None and guideline is not None:
            rejected_by = (hit, guideline)
    entry.held = outcome == RuleAction.HOLD
    entry.save(update_fields=["flags", "held"])
    if outcome == RuleAction.REJECT and rejected_by is not None and entry.state == EntryState.PENDING:
        hit, guideline = rejected_by
        entry_transition(entry=entry, to=EntryState.REJECTED, reason=guideline.text)
        notifications.entry_rejected_by_rule(
            entry=entry, guideline=guideline, why=hit.why, decided_at=entry.state_changed_at
        )
    return entry


def rule_refuses_fan(*, author: User, campaign: Campaign) -> None:
    """DomainError (field "campaign", a neutral message) when a blocked-fan rule names the fan."""
    if blocked_fan_rule(brand_id=campaign.brand_id, campaign_id=campaign.pk, email=author.email) is not None:
        raise DomainError(_("You cannot enter this campaign."), field="campaign")
