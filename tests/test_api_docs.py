"""The API contract: OpenAPI 3 schema, offline docs, campaign endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

CONTRACT = [
    "/api/v1/campaigns/",
    "/api/v1/campaigns/{slug}/",
    "/api/v1/campaigns/{slug}/entries/",
    "/api/v1/me/entries/",
    "/api/v1/entries/{entry_id}/",
    "/api/v1/brands/{brand}/queue/",
    "/api/v1/brands/{brand}/queue/claim/",
    "/api/v1/entries/{entry_id}/decision/",
    "/api/v1/entries/{entry_id}/shortlist/",
    "/api/v1/campaigns/{slug}/features/publish/",
    "/api/v1/campaigns/{slug}/featured/",
]


def test_schema_is_valid_openapi_3_without_warnings(tmp_path: Any) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_schema_lists_every_contract_path(client: Any) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in CONTRACT:
        assert path in schema["paths"], path


def test_interactive_docs_load_their_assets_from_fanfare_itself(client: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html


def test_campaign_list_shows_only_open_campaigns(client: Any, brand: Any) -> None:
    CampaignFactory.create(brand=brand, slug="open-now")
    CampaignFactory.create(brand=brand, slug="later", opens_at=timezone.now() + dt.timedelta(days=3))
    CampaignFactory.create(
        brand=brand,
        slug="over",
        opens_at=timezone.now() - dt.timedelta(days=9),
        closes_at=timezone.now() - dt.timedelta(days=1),
    )
    slugs = [c["slug"] for c in client.get("/api/v1/campaigns/").json()["results"]]
    assert slugs == ["open-now"]


def test_campaign_detail_has_guidelines_and_terms_version(client: Any, campaign: Any) -> None:
    body = client.get("/api/v1/campaigns/movement-monday/").json()
    assert body["hashtag"] == "#MovementMonday"
    assert [g["code"] for g in body["guidelines"]] == ["own-work", "song", "safe", "no-ads"]
    assert body["consent_version"] == 1
    assert body["is_open"] is True


def test_unknown_campaign_is_404(client: Any) -> None:
    assert client.get("/api/v1/campaigns/nope/").status_code == 404


def test_huge_limit_is_capped_instead_of_failing(client: Any, brand: Any) -> None:
    CampaignFactory.create(brand=brand, slug="open-now")
    CampaignFactory.create(brand=brand, slug="open-too")
    response = client.get("/api/v1/campaigns/", {"limit": "100000000000000000000", "offset": "1"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert "limit=200" in response.json()["previous"]  # the page size actually used


def test_huge_offset_gives_an_empty_page_instead_of_failing(client: Any, brand: Any) -> None:
    CampaignFactory.create(brand=brand, slug="open-now")
    response = client.get("/api/v1/campaigns/", {"offset": "100000000000000000000"})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == []
