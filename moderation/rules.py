"""Automatic rules: reading a brand's rules and telling whether they hit."""

from __future__ import annotations

from django.db.models import Q

from moderation.models import Rule, RuleKind


def _email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def blocked_fan_rule(*, brand_id: int, campaign_id: int | None, email: str) -> Rule | None:
    """The brand's blocked-fan rule that names this e-mail address or its domain, if any.

    A rule's value is an address ("fan@example.com") or a domain ("example.com" or
    "@example.com"); rules narrowed to another campaign do not apply.
    """
    email = (email or "").strip().lower()
    if not email:
        return None
    domain = _email_domain(email)
    rules = Rule.objects.filter(brand_id=brand_id, kind=RuleKind.BLOCKED_FAN).filter(
        Q(campaign__isnull=True) | Q(campaign_id=campaign_id)
    )
    for rule in rules:
        value = rule.value.strip().lower()
        if value == email or value.lstrip("@") == domain:
            return rule
    return None
