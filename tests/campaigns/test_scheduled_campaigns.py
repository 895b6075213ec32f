"""A scheduled campaign is unpublished until it opens: 404 for the public, a preview for its brand."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

PUBLIC_SURFACES = [
    "/c/launch-party/",
    "/c/launch-party/enter/",
    "/api/v1/campaigns/launch-party/",
    "/embed/v1/launch-party/",
    "/api/v1/campaigns/launch-party/featured/",
]


@pytest.fixture
def scheduled(brand: Any) -> Any:
    return CampaignFactory.create(
        brand=brand, slug="launch-party", title="Secret launch", opens_at=timezone.now() + dt.timedelta(days=3)
    )


@pytest.mark.parametrize("path", PUBLIC_SURFACES)
def test_the_public_gets_404_before_the_campaign_opens(client: Any, fan: Any, scheduled: Any, path: str) -> None:
    anonymous = client.get(path)
    # The entry form asks anonymous visitors to sign in first, which tells them nothing either.
    assert anonymous.status_code == (302 if path.endswith("/enter/") else 404)
    assert b"Secret launch" not in anonymous.content
    client.force_login(fan)
    assert client.get(path).status_code == 404


def test_the_public_cannot_ask_for_an_upload_slot_before_it_opens(api: Any, fan: Any, scheduled: Any) -> None:
    response = api(fan).post(
        "/api/v1/campaigns/launch-party/uploads/", {"content_type": "image/jpeg", "size": 1000}, format="json"
    )
    assert response.status_code == 404


def test_staff_of_another_brand_get_404_too(client: Any, outsider: Any, scheduled: Any) -> None:
    client.force_login(outsider)
    assert client.get("/c/launch-party/").status_code == 404


def test_the_brands_members_see_a_preview_with_a_banner(client: Any, moderator: Any, scheduled: Any) -> None:
    client.force_login(moderator)
    page = client.get("/c/launch-party/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Preview." in html
    assert "only the Northern Lights team can see this page" in html
    assert "Enter the challenge" not in html


def test_the_api_shows_a_scheduled_campaign_to_its_members(api: Any, analyst: Any, scheduled: Any) -> None:
    response = api(analyst).get("/api/v1/campaigns/launch-party/")
    assert response.status_code == 200
    assert response.json()["is_open"] is False


def test_the_campaign_becomes_public_when_it_opens(client: Any, scheduled: Any) -> None:
    scheduled.opens_at = timezone.now() - dt.timedelta(seconds=1)
    scheduled.save()
    page = client.get("/c/launch-party/")
    assert page.status_code == 200
    assert "Preview." not in page.content.decode()


def test_the_preview_is_never_stored_in_a_shared_cache(client: Any, moderator: Any, scheduled: Any) -> None:
    client.force_login(moderator)
    cache_control = client.get("/c/launch-party/")["Cache-Control"]
    assert "private" in cache_control
    assert "no-store" in cache_control
