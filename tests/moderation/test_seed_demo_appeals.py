"""The demo shows appeals: one open for the other moderator to decide, and decided ones in history."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from moderation.models import Appeal
from moderation.stats import moderator_stats, period_for


@pytest.mark.django_db
def test_the_demo_has_an_open_appeal_and_an_overturn_rate() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # harmless twice
    mo = User.objects.get(email="moderator@demo.fanfare.test")
    [open_appeal] = Appeal.objects.filter(decided_at__isnull=True)
    assert open_appeal.contested_by == mo
    assert Appeal.objects.filter(outcome="upheld").count() == 1
    assert Appeal.objects.filter(outcome="rejected").count() == 1
    stats = moderator_stats(brand=open_appeal.entry.campaign.brand, period=period_for(key="7d"))
    figures = stats.of(mo.pk)
    assert figures is not None
    assert (figures.overturned, figures.appealed) == (1, 1)
