"""Operations that change campaigns and their guidelines."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ADMIN_ROLES, Brand, User
from accounts.permissions import require_brand_role
from campaigns.models import Campaign, Guideline
from config.errors import DomainError

GUIDELINE_LINE = re.compile(r"^\s*([a-z0-9][a-z0-9-]{0,31})\s*:\s*(\S.{0,299})$")

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


def parse_guidelines(text: str) -> list[tuple[str, str]]:
    """Read guidelines written one per line as `code: rule text`; DomainError names the bad line."""
    rules: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = GUIDELINE_LINE.match(line.strip())
        if not match:
            raise DomainError(
                _(
                    "Line %(n)s: write each guideline as “code: rule”, the code in lower-case letters, "
                    "digits and dashes."
                )
                % {"n": number},
                field="guidelines",
            )
        rules.append((match.group(1), match.group(2).strip()))
    codes = [code for code, _text in rules]
    if len(set(codes)) != len(codes):
        raise DomainError(_("Each guideline needs its own code."), field="guidelines")
    if not rules:
        raise DomainError(_("Write at least one guideline."), field="guidelines")
    return rules


def guidelines_as_text(campaign: Campaign) -> str:
    return "\n".join(f"{g.code}: {g.text}" for g in campaign.guidelines.all())


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


def _save_guidelines(campaign: Campaign, rules: list[tuple[str, str]]) -> None:
    """Keep guidelines whose code stays (past decisions cite them), renumber, add the new ones.

    A guideline cited by a decision is kept even if its line was deleted, so history stays true.
    """
    existing = {g.code: g for g in campaign.guidelines.all()}
    keep = {code for code, _t in rules}
    # Park numbers out of the way first so renumbering never collides with the unique constraint.
    for offset, g in enumerate(existing.values(), start=1000):
        g.number = offset
        g.save(update_fields=["number"])
    for number, (code, text) in enumerate(rules, start=1):
        g = existing.get(code) or Guideline(campaign=campaign, code=code)
        g.number, g.text, g.active = number, text, True
        g.save()
    for code, g in existing.items():
        if code not in keep:
            if _is_cited(g):
                g.active = False
                g.save(update_fields=["active"])
            else:
                g.delete()


def _is_cited(guideline: Guideline) -> bool:
    # campaigns may not import moderation; the reverse relation of Decision.guidelines is
    # hidden ("+"), so ask the through table by name.
    through = Guideline._meta.apps.get_model("moderation", "Decision").guidelines.through
    return through.objects.filter(guideline=guideline).exists()


def campaign_create(*, actor: User, brand: Brand, guidelines: str, **fields: Any) -> Campaign:
    """Open a campaign for `brand`. Only owners and admins may; Http404 for anyone else."""
    require_brand_role(user=actor, brand_id=brand.pk, roles=ADMIN_ROLES)
    rules = parse_guidelines(guidelines)
    campaign = Campaign(brand=brand, **{k: v for k, v in fields.items() if k in CAMPAIGN_FIELDS})
    _validate(campaign)
    with transaction.atomic():
        campaign.save()
        _save_guidelines(campaign, rules)
    return campaign


def campaign_update(*, actor: User, campaign: Campaign, guidelines: str, **fields: Any) -> Campaign:
    """Edit a campaign. Changing the consent terms raises their version: later entries record it.

    The slug is fixed (the widget's document and embeds are addressed by it).
    """
    require_brand_role(user=actor, brand_id=campaign.brand_id, roles=ADMIN_ROLES)
    if fields.get("slug", campaign.slug) != campaign.slug:
        raise DomainError(
            _("The address cannot change once the campaign exists: embedded galleries and links use it."),
            field="slug",
        )
    rules = parse_guidelines(guidelines)
    old_terms = campaign.consent_terms
    for key, value in fields.items():
        if key in CAMPAIGN_FIELDS:
            setattr(campaign, key, value)
    if campaign.consent_terms.strip() != old_terms.strip():
        campaign.consent_version += 1
    _validate(campaign)
    with transaction.atomic():
        campaign.save()
        _save_guidelines(campaign, rules)
    return campaign
