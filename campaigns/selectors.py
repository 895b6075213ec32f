"""Read-side queries for campaigns."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.permissions import member_brand_ids
from campaigns.models import Campaign


def campaigns_open(*, at: dt.datetime | None = None) -> QuerySet[Campaign]:
    at = at or timezone.now()
    return (
        Campaign.objects.filter(opens_at__lte=at)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=at))
        .select_related("brand")
        .order_by("closes_at", "-opens_at")
    )


def campaign_for_viewer(*, slug: str, user: Any, allow_preview: bool = True) -> tuple[Campaign, bool]:
    """The campaign at `slug` as `user` may see it, and whether that is a preview.

    Before it opens a campaign does not exist for the public (Http404: title, terms and guidelines
    stay unpublished); members of its brand see it as a preview when `allow_preview`. Surfaces that
    are cached publicly (the gallery frame, the featured API) pass allow_preview=False.
    """
    campaign = get_object_or_404(Campaign.objects.select_related("brand"), slug=slug)
    if campaign.opens_at <= timezone.now():
        return campaign, False
    if allow_preview and campaign.brand_id in member_brand_ids(user=user):
        return campaign, True
    raise Http404
