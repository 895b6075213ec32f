"""Operations that change campaigns and their guidelines, each recorded in the activity trail."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ADMIN_ROLES, Brand, User
from accounts.permissions import require_brand_role
from activity.services import activity_record
from campaigns.models import Campaign, Guideline
from config.errors import DomainError

GUIDELINE_LINE = re.compile(r"^\s*([a-z0-9][a-z0-9-]{0,31})\s*:\s*(\S.{0,299})$")
# A guideline the fan can fix and send a new version for ends its line with this marker.
FIXABLE_MARKER = re.compile(r"\s*\[fixable\]\s*$", re.IGNORECASE)
FIXABLE_TEXT = "[fixable]"

CAMPAIGN_FIELDS = (
    "slug",
    "title",
    "hashtag",
    "description",
    "consent_terms",
    "accepts_photos",
    "max_bytes",
    "max_pixels",
    "max_video_seconds",
    "max_entries_per_fan",
    "max_entries_per_fan_per_day",
    "accepts_videos",
    "opens_at",
    "closes_at",
    "time_zone",
    "feature_weekday",
    "feature_hour",
    "feature_count",
    "embed_origins",
)


def parse_guidelines(text: str) -> list[tuple[str, str, bool]]:
    """Read guidelines written one per line as `code: rule text`; DomainError names the bad line.

    A line ending in `[fixable]` marks a guideline the fan can fix by sending a new version.
    Returns (code, text, fixable) triples in order.
    """
    rules: list[tuple[str, str, bool]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        stripped = line.strip()
        fixable = bool(FIXABLE_MARKER.search(stripped))
        match = GUIDELINE_LINE.match(FIXABLE_MARKER.sub("", stripped))
        if not match:
            raise DomainError(
                _(
                    "Line %(n)s: write each guideline as “code: rule”, the code in lower-case letters, "
                    "digits and dashes."
                )
                % {"n": number},
                field="guidelines",
            )
        rules.append((match.group(1), match.group(2).strip(), fixable))
    codes = [code for code, _text, _fixable in rules]
    if len(set(codes)) != len(codes):
        raise DomainError(_("Each guideline needs its own code."), field="guidelines")
    if not rules:
        raise DomainError(_("Write at least one guideline."), field="guidelines")
    return rules


def guidelines_as_text(campaign: Campaign) -> str:
    return "\n".join(
        f"{g.code}: {g.text} {FIXABLE_TEXT}" if g.fixable else f"{g.code}: {g.text}" for g in campaign.guidelines.all()
    )


def _validate(campaign: Campaign) -> None:
    if campaign.closes_at and campaign.closes_at <= campaign.opens_at:
        raise DomainError(_("The campaign must close after it opens."), field="closes_at")
    campaign.hashtag = campaign.hashtag.strip()
    if campaign.hashtag and not campaign.hashtag.startswith("#"):
        campaign.hashtag = f"#{campaign.hashtag}"
    try:
        campaign.full_clean(exclude=["brand"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(messages[0], field=field) from exc


@dataclass
class GuidelineChanges:
    """What a save did to a campaign's guidelines, by code, for the activity record."""

    added: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    reordered: bool = False

    def __bool__(self) -> bool:
        return bool(self.added or self.edited or self.retired or self.deleted or self.reordered)

    def snapshot(self, rules: list[tuple[str, str, bool]]) -> dict[str, Any]:
        changes = {k: v for k, v in vars(self).items() if v and k != "reordered"}
        return {**changes, "codes": [code for code, _t, _f in rules]}


def _save_guidelines(campaign: Campaign, rules: list[tuple[str, str, bool]]) -> GuidelineChanges:
    """Keep guidelines whose code stays (past decisions cite them), renumber, add the new ones.

    A guideline cited by a decision is kept even if its line was deleted, so history stays true.
    Returns what changed.
    """
    existing = {g.code: g for g in campaign.guidelines.all()}
    before = {g.code: (g.number, g.text, g.active, g.fixable) for g in existing.values()}
    keep = {code for code, _t, _f in rules}
    changes = GuidelineChanges()
    # Park numbers out of the way first so renumbering never collides with the unique constraint.
    for offset, g in enumerate(existing.values(), start=1000):
        g.number = offset
        g.save(update_fields=["number"])
    for number, (code, text, fixable) in enumerate(rules, start=1):
        g = existing.get(code) or Guideline(campaign=campaign, code=code)
        if code not in before:
            changes.added.append(code)
        elif before[code][1:] != (text, True, fixable):
            changes.edited.append(code)
        elif before[code][0] != number:
            changes.reordered = True
        g.number, g.text, g.active, g.fixable = number, text, True, fixable
        g.save()
    for code, g in existing.items():
        if code not in keep:
            if _is_cited(g):
                if before[code][2]:
                    changes.retired.append(code)
                g.active = False
                g.save(update_fields=["active"])
            else:
                changes.deleted.append(code)
                g.delete()
    return changes


def _is_cited(guideline: Guideline) -> bool:
    # campaigns may not import moderation; the reverse relation of Decision.guidelines is
    # hidden ("+"), so ask the through table by name.
    through = Guideline._meta.apps.get_model("moderation", "Decision").guidelines.through
    return through.objects.filter(guideline=guideline).exists()


def _plain(value: Any) -> Any:
    """A field's value as JSON can hold it (the activity snapshot)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _record(*, actor: User, campaign: Campaign, verb: str, snapshot: dict[str, Any]) -> None:
    activity_record(
        actor=actor,
        verb=verb,
        target_type="campaign",
        target_id=campaign.pk,
        brand_id=campaign.brand_id,
        campaign_id=campaign.pk,
        snapshot=snapshot,
    )


def campaign_create(*, actor: User, brand: Brand, guidelines: str, **fields: Any) -> Campaign:
    """Open a campaign for `brand`. Only owners and admins may; Http404 for anyone else.

    Recorded as `campaign.created` with the campaign's settings and guideline codes.
    """
    require_brand_role(user=actor, brand_id=brand.pk, roles=ADMIN_ROLES)
    rules = parse_guidelines(guidelines)
    campaign = Campaign(brand=brand, **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    _validate(campaign)
    with transaction.atomic():
        campaign.save()
        _save_guidelines(campaign, rules)
        settings = {name: _plain(getattr(campaign, name)) for name in CAMPAIGN_FIELDS}
        _record(
            actor=actor,
            campaign=campaign,
            verb="campaign.created",
            snapshot={
                **settings,
                "consent_version": campaign.consent_version,
                "guidelines": [code for code, _t, _f in rules],
            },
        )
    return campaign


def campaign_update(*, actor: User, campaign: Campaign, guidelines: str, **fields: Any) -> Campaign:
    """Edit a campaign. Changing the consent terms raises their version: later entries record it.

    The slug is fixed (the widget's document and embeds are addressed by it). Recorded as
    `campaign.updated` (each changed field, from and to), `terms.changed` (the new version and
    text) and `guidelines.changed` (codes added, edited, retired, deleted), each only when it happened.
    """
    require_brand_role(user=actor, brand_id=campaign.brand_id, roles=ADMIN_ROLES)
    if fields.get("slug", campaign.slug) != campaign.slug:
        raise DomainError(
            _("The address cannot change once the campaign exists: embedded galleries and links use it."),
            field="slug",
        )
    rules = parse_guidelines(guidelines)
    old_terms, old_version = campaign.consent_terms, campaign.consent_version
    before = {name: _plain(getattr(campaign, name)) for name in CAMPAIGN_FIELDS}
    for key, value in fields.items():
        if key in CAMPAIGN_FIELDS:
            setattr(campaign, key, value)
    if campaign.consent_terms.strip() != old_terms.strip():
        campaign.consent_version += 1
    _validate(campaign)
    with transaction.atomic():
        campaign.save()
        guideline_changes = _save_guidelines(campaign, rules)
        after = {name: _plain(getattr(campaign, name)) for name in CAMPAIGN_FIELDS}
        changed = {
            name: {"from": before[name], "to": after[name]} for name in CAMPAIGN_FIELDS if before[name] != after[name]
        }
        if changed:
            _record(actor=actor, campaign=campaign, verb="campaign.updated", snapshot={"changed": changed})
        if campaign.consent_version != old_version:
            _record(
                actor=actor,
                campaign=campaign,
                verb="terms.changed",
                snapshot={
                    "version": campaign.consent_version,
                    "previous_version": old_version,
                    "terms": campaign.consent_terms,
                },
            )
        if guideline_changes:
            _record(
                actor=actor, campaign=campaign, verb="guidelines.changed", snapshot=guideline_changes.snapshot(rules)
            )
    return campaign
