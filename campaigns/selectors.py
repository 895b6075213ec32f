"""Read-side queries for campaigns."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign


def campaigns_open(*, at: dt.datetime | None = None) -> QuerySet[Campaign]:
    at = at or timezone.now()
    return (
        Campaign.objects.filter(opens_at__lte=at)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=at))
        .select_related("brand")
        .order_by("closes_at", "-opens_at")
    )
