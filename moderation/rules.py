"""Automatic rules: reading a brand's rules, their values, and telling whether they hit.

A brand's blocked terms are compiled once into a Matcher and kept per process, keyed by brand
id with a version read from the Django cache; every rule write bumps that version on commit
(`rules_changed`), so each process rebuilds on its next read and never between writes.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import DomainError
from moderation.matcher import Matcher, normalize
from moderation.models import Rule, RuleAction, RuleKind
from submissions.models import Entry, EntryState

TERM_MAX = 200
BURST_WINDOW = dt.timedelta(hours=1)
# Strongest first: the strongest action among an entry's hits is what happens to it.
ACTION_STRENGTH = {RuleAction.FLAG: 1, RuleAction.HOLD: 2, RuleAction.REJECT: 3}

_EMAIL = re.compile(r"^[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")
_DOMAIN = re.compile(r"^@?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_NUMBER = re.compile(r"^[0-9]{1,6}$")


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


# --- Values ---------------------------------------------------------------------------------------


def term_key(term: str) -> str:
    """A blocked term as the matcher compares it: normalised, runs of white space as one space."""
    return " ".join(normalize(term).split())


def rule_value_clean(*, kind: str, value: str) -> str:
    """The value a rule of `kind` stores, in its canonical form; DomainError (field "value") if unreadable.

    blocked_term: the term as written (1–200 characters, not normalising to nothing);
    blocked_fan: an e-mail address or a domain, lower case ("example.com", "@example.com");
    burst: "fan:N" or "network:M" ("N" alone means per fan), N ≥ 1;
    new_account: "hours:N" or "approved:K" ("N" alone means hours), N ≥ 1.
    """
    value = (value or "").strip()
    if kind == RuleKind.BLOCKED_TERM:
        if len(value) > TERM_MAX:
            raise DomainError(_("A blocked term is at most %(max)s characters.") % {"max": TERM_MAX}, field="value")
        if not term_key(value):
            raise DomainError(_("Write the word or phrase to block."), field="value")
        return " ".join(value.split())
    if kind == RuleKind.BLOCKED_FAN:
        lowered = value.lower()
        if _EMAIL.match(lowered) or _DOMAIN.match(lowered):
            return lowered
        raise DomainError(_("Write an e-mail address (fan@example.com) or a domain (example.com)."), field="value")
    if kind == RuleKind.BURST:
        scope, _sep, number = value.lower().rpartition(":")
        scope = scope or "fan"
        if scope not in ("fan", "network") or not _NUMBER.match(number) or int(number) < 1:
            raise DomainError(
                _("Write how many entries an hour are allowed: N (per fan), fan:N or network:N, N at least 1."),
                field="value",
            )
        return f"{scope}:{int(number)}"
    if kind == RuleKind.NEW_ACCOUNT:
        scope, _sep, number = value.lower().rpartition(":")
        scope = scope or "hours"
        if scope not in ("hours", "approved") or not _NUMBER.match(number) or int(number) < 1:
            raise DomainError(
                _("Write hours:N (accounts younger than N hours) or approved:K (fewer than K approved entries)."),
                field="value",
            )
        return f"{scope}:{int(number)}"
    raise DomainError(_("Choose a kind of rule."), field="kind")


def rule_value_key(*, kind: str, value: str) -> str:
    """What makes two rules of one kind the same rule (for refusing duplicates)."""
    if kind == RuleKind.BLOCKED_TERM:
        return term_key(value)
    if kind == RuleKind.BLOCKED_FAN:
        return value.lower().lstrip("@")
    return value.lower()


def _scoped_number(value: str) -> tuple[str, int]:
    scope, _sep, number = value.rpartition(":")
    return scope, int(number)


# --- The compiled list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledTerms:
    version: str
    matcher: Matcher
    rules: dict[str, Rule]


_compiled: dict[int, CompiledTerms] = {}
_compiled_lock = threading.Lock()


def _version_key(brand_id: int) -> str:
    return f"rules:version:{brand_id}"


def rules_changed(*, brand_id: int) -> None:
    """The brand's rules changed: every process rebuilds its compiled list on its next read.

    Rule services call it on commit.
    """
    cache.set(_version_key(brand_id), uuid.uuid4().hex, None)


def brand_terms(*, brand_id: int) -> CompiledTerms:
    """The brand's blocked terms compiled into one Matcher (keys are rule ids), rebuilt only
    when the rules changed since it was compiled in this process."""
    version = cache.get(_version_key(brand_id))
    if version is None:
        version = uuid.uuid4().hex
        cache.add(_version_key(brand_id), version, None)
        version = cache.get(_version_key(brand_id), version)
    current = _compiled.get(brand_id)
    if current is not None and current.version == version:
        return current
    rules = {
        str(rule.pk): rule
        for rule in Rule.objects.filter(brand_id=brand_id, kind=RuleKind.BLOCKED_TERM).select_related("campaign")
    }
    compiled = CompiledTerms(
        version=version, matcher=Matcher((key, rule.value) for key, rule in rules.items()), rules=rules
    )
    with _compiled_lock:
        _compiled[brand_id] = compiled
    return compiled


def _applies(rule: Rule, campaign_id: int | None) -> bool:
    return rule.campaign_id is None or campaign_id is None or rule.campaign_id == campaign_id


def text_matches(*, brand_id: int, text: str, campaign_id: int | None = None) -> list[dict[str, Any]]:
    """The brand's blocked terms found in `text` (rules of another campaign left out when
    `campaign_id` is given): rule id, kind, action, term, span, matched and normalised form."""
    compiled = brand_terms(brand_id=brand_id)
    out = []
    for hit in compiled.matcher.find(text or ""):
        rule = compiled.rules[hit.key]
        if not _applies(rule, campaign_id):
            continue
        out.append(
            {
                "rule": rule.pk,
                "kind": rule.kind,
                "action": rule.action,
                "term": hit.term,
                "span": [hit.start, hit.end],
                "matched": hit.matched,
                "normalized": hit.normalized,
            }
        )
    return out


# --- Hits on an entry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleHit:
    rule: Rule
    why: str
    field: str | None = None
    span: list[int] | None = None
    matched: str | None = None


_FIELDS = (
    ("caption", gettext_lazy("the caption")),
    ("alt_text", gettext_lazy("the picture description")),
    ("display_name", gettext_lazy("the fan’s display name")),
)


def entry_rule_hits(*, entry: Entry) -> list[RuleHit]:
    """Every automatic rule of the entry's brand (or narrowed to its campaign) that the entry hits:
    blocked terms in the caption, alt text or the author's display name, bursts, new accounts."""
    hits: list[RuleHit] = []
    compiled = brand_terms(brand_id=entry.brand_id)
    texts = {"caption": entry.caption, "alt_text": entry.alt_text, "display_name": entry.author.display_name}
    for field, label in _FIELDS:
        for hit in compiled.matcher.find(texts[field]):
            rule = compiled.rules[hit.key]
            if not _applies(rule, entry.campaign_id):
                continue
            hits.append(
                RuleHit(
                    rule=rule,
                    why=_("The blocked term “%(term)s” appears in %(field)s as “%(matched)s”.")
                    % {"term": rule.value, "field": label, "matched": hit.matched},
                    field=field,
                    span=[hit.start, hit.end],
                    matched=hit.matched,
                )
            )
    rules = Rule.objects.filter(brand_id=entry.brand_id, kind__in=[RuleKind.BURST, RuleKind.NEW_ACCOUNT]).filter(
        Q(campaign__isnull=True) | Q(campaign_id=entry.campaign_id)
    )
    now = timezone.now()
    for rule in rules:
        scope, number = _scoped_number(rule.value)
        if rule.kind == RuleKind.BURST:
            found = _burst_hit(entry=entry, rule=rule, scope=scope, limit=number, now=now)
        else:
            found = _new_account_hit(entry=entry, rule=rule, scope=scope, number=number, now=now)
        if found is not None:
            hits.append(found)
    return hits


def _burst_hit(*, entry: Entry, rule: Rule, scope: str, limit: int, now: dt.datetime) -> RuleHit | None:
    recent = Entry.objects.filter(brand_id=entry.brand_id, created_at__gte=now - BURST_WINDOW)
    if rule.campaign_id is not None:
        recent = recent.filter(campaign_id=rule.campaign_id)
    if scope == "network":
        if not entry.client_network:
            return None
        count = recent.filter(client_network=entry.client_network).count()
        why = _("%(n)s entries came from the network %(net)s within an hour; the rule allows %(max)s.")
        names = {"n": count, "net": entry.client_network, "max": limit}
    else:
        count = recent.filter(author_id=entry.author_id).count()
        why = _("This fan sent %(n)s entries within an hour; the rule allows %(max)s.")
        names = {"n": count, "max": limit}
    if count <= limit:
        return None
    return RuleHit(rule=rule, why=why % names)


def _new_account_hit(*, entry: Entry, rule: Rule, scope: str, number: int, now: dt.datetime) -> RuleHit | None:
    author = entry.author
    if scope == "hours":
        if author.date_joined <= now - dt.timedelta(hours=number):
            return None
        return RuleHit(rule=rule, why=_("The fan's account is younger than %(n)s hours.") % {"n": number})
    approved = Entry.objects.filter(
        brand_id=entry.brand_id, author_id=author.pk, state__in=[EntryState.APPROVED, EntryState.FEATURED]
    ).count()
    if approved >= number:
        return None
    return RuleHit(
        rule=rule,
        why=_("The fan has %(n)s approved entries with this brand, fewer than %(k)s.") % {"n": approved, "k": number},
    )
