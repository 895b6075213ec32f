"""Upload slots are capped per fan and per client address: a 429 that says what to do."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from submissions.models import UploadSlot
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SLOTS = "/api/v1/campaigns/movement-monday/uploads/"


def _ask(client: APIClient) -> Any:
    return client.post(SLOTS, {"content_type": "image/jpeg", "size": 20 * 1024 * 1024}, format="json")


def test_a_fan_cannot_open_unlimited_slots(api: Any, fan: Any, campaign: Any, settings: Any) -> None:
    settings.UPLOAD_SLOTS_PER_FAN = 5
    client = api(fan)
    codes = [_ask(client).status_code for _ in range(30)]
    assert codes[:5] == [201] * 5
    assert set(codes[5:]) == {429}
    refused = _ask(client)
    assert "uploads under way" in refused.json()["detail"]
    assert refused.json()["upload"]
    assert 0 < int(refused["Retry-After"]) <= 600
    assert UploadSlot.objects.filter(author=fan).count() == 5


def test_a_completed_or_expired_slot_frees_its_place(api: Any, fan: Any, campaign: Any, settings: Any) -> None:
    from django.utils import timezone

    settings.UPLOAD_SLOTS_PER_FAN = 2
    client = api(fan)
    assert [_ask(client).status_code for _ in range(3)] == [201, 201, 429]
    UploadSlot.objects.filter(author=fan).update(expires_at=timezone.now())
    assert _ask(client).status_code == 201


def test_one_client_address_cannot_open_unlimited_slots_through_many_accounts(campaign: Any, settings: Any) -> None:
    settings.UPLOAD_SLOTS_PER_CLIENT = 4
    codes = []
    for n in range(6):
        client = APIClient(REMOTE_ADDR="203.0.113.7")
        client.force_authenticate(UserFactory.create(email=f"sock{n}@example.test"))
        codes.append(_ask(client).status_code)
    assert codes == [201, 201, 201, 201, 429, 429]
    other = APIClient(REMOTE_ADDR="203.0.113.8")
    other.force_authenticate(UserFactory.create(email="neighbour@example.test"))
    assert _ask(other).status_code == 201


def test_a_forged_forwarded_header_does_not_reset_the_client_cap(campaign: Any, settings: Any) -> None:
    settings.UPLOAD_SLOTS_PER_CLIENT = 2
    codes = []
    for n in range(3):
        client = APIClient(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        client.force_authenticate(UserFactory.create(email=f"sock{n}@example.test"))
        codes.append(_ask(client).status_code)
    assert codes == [201, 201, 429]


def test_refused_completions_do_not_lock_a_fan_out(api: Any, fan: Any, campaign: Any, settings: Any) -> None:
    """Forgetting the consent box five times must not leave five "uploads under way"."""
    settings.UPLOAD_SLOTS_PER_FAN = 5
    client = api(fan)
    for _ in range(6):
        slot = _ask(client)
        assert slot.status_code == 201, slot.content
        refused = client.post(slot.json()["complete_url"], {"alt_text": "A fan", "consent": False}, format="json")
        assert refused.status_code == 400
        assert refused.json()["consent"]


def test_addresses_in_one_ipv6_64_count_as_one_client(campaign: Any, settings: Any) -> None:
    settings.UPLOAD_SLOTS_PER_CLIENT = 2
    codes = []
    for n in range(3):
        client = APIClient(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
        client.force_authenticate(UserFactory.create(email=f"v6-{n}@example.test"))
        codes.append(_ask(client).status_code)
    assert codes == [201, 201, 429]
