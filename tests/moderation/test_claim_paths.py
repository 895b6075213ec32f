"""The claim's two ways in: free entries and leases that ran out, never entries someone holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from moderation import services
from submissions.models import Entry
from tests.helpers import pending_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def roomy(campaign: Any) -> Any:
    campaign.max_entries_per_fan = campaign.max_entries_per_fan_per_day = 20
    campaign.save(update_fields=["max_entries_per_fan", "max_entries_per_fan_per_day"])
    return campaign


def test_a_claim_takes_the_oldest_of_free_entries_and_run_out_leases_and_never_a_held_one(
    moderator: Any, brand_admin: Any, fan: Any, roomy: Any, brand: Any
) -> None:
    oldest_expired, held, free, decided, newest_free = (
        pending_entry(author=fan, campaign=roomy, seed=s) for s in range(1, 6)
    )
    now = timezone.now()
    services.queue_claim(actor=moderator, brand=brand, count=4)  # the four oldest
    Entry.objects.filter(pk=oldest_expired.pk).update(claim_expires_at=now - dt.timedelta(seconds=1))
    services.queue_release(actor=moderator, entry_ids=[free.pk])
    services.entry_decide(actor=moderator, entry_id=decided.pk, action="approve")  # held through its window

    taken = services.queue_claim(actor=brand_admin, brand=brand, count=5)

    assert [e.pk for e in taken] == [oldest_expired.pk, free.pk, newest_free.pk]
    assert held.pk not in {e.pk for e in taken}
    assert services.queue_claim(actor=brand_admin, brand=brand, count=5, exclude=[e.pk for e in taken]) == []
