"""The embed script, the iframe page and the featured API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from moderation.services import entry_shortlist
from tests.helpers import approved_entry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(moderator: Any, fan: Any, campaign: Any) -> Any:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator, caption="<img src=x onerror=alert(1)>")
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    call_command("publish_features", "--campaign", campaign.slug, "--now")
    return entry


def test_featured_api_is_public_and_readable_from_any_origin(client: Any, published: Any) -> None:
    response = client.get("/api/v1/campaigns/movement-monday/featured/", HTTP_ORIGIN="https://band.example")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["week"]
    entry = body["entries"][0]
    assert entry["id"] == str(published.pk)
    assert entry["alt_text"] == "A fan dancing"
    assert entry["permalink"].endswith(f"/e/{published.pk}/")
    assert {"url", "width", "height", "format"} <= set(entry["renditions"][0])


def test_featured_api_before_any_feature_is_empty_not_an_error(client: Any, campaign: Any) -> None:
    body = client.get("/api/v1/campaigns/movement-monday/featured/").json()
    assert body["entries"] == []
    assert body["week"] is None


def test_featured_api_for_unknown_campaign_is_404(client: Any, db: None) -> None:
    assert client.get("/api/v1/campaigns/nope/featured/").status_code == 404


def test_gallery_script_points_at_the_static_document_and_inserts_text_only(client: Any, db: None) -> None:
    response = client.get("/embed/v1/gallery.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    source = response.content.decode()
    assert "attachShadow" in source
    assert "features/__FANFARE_SLUG__.json" in source
    assert "innerHTML" not in source  # captions go in as text, never as HTML
    assert "public" in response["Cache-Control"]


def test_document_is_served_with_cors_from_public_storage(client: Any, published: Any, settings: Any) -> None:
    """Local storage: Django's /media/ serves it. With S3 the bucket does and Django serves none."""
    response = client.get("/media/features/movement-monday.json")
    if settings.USE_S3:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b'{"campaign"')
    response.close()
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_private_originals_are_never_under_public_media(client: Any, published: Any, settings: Any) -> None:
    assert client.get(f"/media/{published.original}").status_code == 404
    assert client.get(f"/media/../private/{published.original}").status_code == 404


def test_iframe_page_shows_featured_entry_with_alt_text_and_escaped_caption(client: Any, published: Any) -> None:
    response = client.get("/embed/v1/movement-monday/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'alt="A fan dancing"' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *;" in response["Content-Security-Policy"] + ";"
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]


def test_iframe_page_only_allows_the_campaigns_embed_origins(client: Any, published: Any, campaign: Any) -> None:
    campaign.embed_origins = "https://band.example\nhttps://fans.band.example"
    campaign.save()
    response = client.get("/embed/v1/movement-monday/")
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    assert "frame-ancestors https://band.example https://fans.band.example" in directives


def test_a_malformed_embed_origin_never_reaches_the_policy(client: Any, campaign: Any) -> None:
    campaign.embed_origins = "https://band.example\nhttps://evil.example; script-src *\nnot an origin"
    campaign.save()
    policy = client.get(f"/embed/v1/{campaign.slug}/")["Content-Security-Policy"]
    directives = [d.strip() for d in policy.split(";")]
    assert "frame-ancestors https://band.example" in directives
    assert "script-src *" not in directives
    assert "evil.example" not in policy
