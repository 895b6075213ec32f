"""The API's error contract: every refusal is JSON with a readable `detail` and per-field messages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.helpers import pending_entry

pytestmark = pytest.mark.django_db

DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def json_endpoints(campaign: Any, entry: Any) -> list[str]:
    return [
        f"/api/v1/campaigns/{campaign.slug}/uploads/",
        f"/api/v1/uploads/{uuid.uuid4()}/complete/",
        f"/api/v1/entries/{entry.pk}/decision/",
    ]


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT], ids=["list", "object"])
def test_deeply_nested_json_is_a_400_with_a_message(
    api: Any, moderator: Any, fan: Any, campaign: Any, body: str
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    client = api(moderator)
    for url in json_endpoints(campaign, entry):
        response = client.generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert response["Content-Type"].startswith("application/json")
        assert "nested" in response.json()["detail"]


def test_deeply_nested_json_on_the_token_endpoint_is_a_400(db: None) -> None:
    response = APIClient().generic("POST", "/api/v1/auth/token/", DEEP_LIST, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


# --- One shape, JSON everywhere under /api/ ---------------------------------------------------
def test_a_token_client_without_credentials_gets_401_with_www_authenticate(db: None) -> None:
    response = APIClient().get("/api/v1/me/entries/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_a_wrong_token_is_401(db: None) -> None:
    response = APIClient().get("/api/v1/me/entries/", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_signed_in_browser_still_reads_its_entries(client: Any, fan: Any) -> None:
    client.force_login(fan)
    assert client.get("/api/v1/me/entries/").status_code == 200


def test_a_session_post_without_csrf_token_is_still_403(fan: Any, campaign: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(fan)
    response = client.post(f"/api/v1/campaigns/{campaign.slug}/uploads/", {"content_type": "image/jpeg", "size": 9})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_an_unmatched_api_path_is_a_json_404(client: Any) -> None:
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_an_unmatched_site_path_is_still_a_page(client: Any) -> None:
    response = client.get("/nothing-here/at-all/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json(client: Any, monkeypatch: Any) -> None:
    from campaigns import api as campaigns_api

    def broken(self: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(campaigns_api.CampaignList, "get_queryset", broken)
    client.raise_request_exception = False
    response = client.get("/api/v1/campaigns/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_field_errors_name_the_field_and_give_a_detail(api: Any, fan: Any, campaign: Any) -> None:
    response = api(fan).post(f"/api/v1/campaigns/{campaign.slug}/uploads/", {"size": "many"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["content_type"] == ["This field is required."]
    assert body["size"] == ["A valid integer is required."]
    assert body["detail"] == "Content type: This field is required."


def test_nested_field_errors_are_flat_lists_of_strings(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = api(moderator).post(
        f"/api/v1/entries/{entry.pk}/decision/", {"action": "reject", "guidelines": ["x" * 40]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["guidelines"] == ["item 1: Ensure this field has no more than 32 characters."]


def test_an_unsupported_media_type_is_415_in_the_one_shape(api: Any, fan: Any, campaign: Any) -> None:
    response = api(fan).generic("POST", f"/api/v1/campaigns/{campaign.slug}/uploads/", "x", content_type="text/plain")
    assert response.status_code == 415
    assert set(response.json()) == {"detail"}


def test_a_wrong_method_is_405_in_the_one_shape(api: Any, fan: Any) -> None:
    response = api(fan).delete("/api/v1/me/entries/")
    assert response.status_code == 405
    assert set(response.json()) == {"detail"}


def test_a_throttled_token_request_is_429_with_retry_after(db: None) -> None:
    client = APIClient()
    answers = [
        client.post("/api/v1/auth/token/", {"username": "a@b.test", "password": "x"}, format="json") for _ in range(12)
    ]
    response = answers[-1]
    assert response.status_code == 429
    assert response["Retry-After"]
    assert set(response.json()) == {"detail"}


# --- Cache-Control ----------------------------------------------------------------------------
def test_api_answers_with_private_links_are_not_stored(api: Any, fan: Any, moderator: Any, campaign: Any) -> None:
    pending_entry(author=fan, campaign=campaign)
    for client, method, url in [
        (api(fan), "get", "/api/v1/me/entries/"),
        (api(moderator), "get", f"/api/v1/brands/{campaign.brand.slug}/queue/"),
        (api(moderator), "post", f"/api/v1/brands/{campaign.brand.slug}/queue/claim/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url


def test_api_errors_are_not_stored_either(client: Any) -> None:
    assert client.get("/api/v1/me/entries/")["Cache-Control"] == "private, no-store"
    assert client.get("/api/v1/nothing-here/")["Cache-Control"] == "private, no-store"


def test_the_featured_document_stays_publicly_cacheable(client: Any, campaign: Any) -> None:
    response = client.get(f"/api/v1/campaigns/{campaign.slug}/featured/")
    assert response["Cache-Control"] == "public, max-age=60"


# --- Messages a fan can act on (finding 12) ---------------------------------------------------
def _slot(client: Any, campaign: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/campaigns/{campaign.slug}/uploads/", {"content_type": "image/jpeg", "size": 1000}, format="json"
    )
    assert response.status_code == 201, response.content
    slot: dict[str, Any] = response.json()
    return slot


def test_a_caption_over_the_limit_is_refused_naming_the_real_limit(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = _slot(client, campaign)
    body = {"caption": "x" * 2201, "alt_text": "A fan dancing", "consent": True}
    response = client.post(slot["complete_url"], body, format="json")
    assert response.status_code == 400
    assert response.json()["caption"] == ["The caption is longer than 2,200 characters."]


def test_a_caption_at_the_limit_passes_the_serializer(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = _slot(client, campaign)
    body = {"caption": "x" * 2200 + "   ", "alt_text": "A fan dancing", "consent": True}
    response = client.post(slot["complete_url"], body, format="json")
    assert "caption" not in response.json()  # refused for the missing file, not for the caption


def _multipart(file_name: str, data: bytes, **fields: str) -> tuple[bytes, str]:
    """A multipart body by hand: Django's test client shortens file names to 255 characters."""
    boundary = "fanfare-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    body = b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_very_long_file_name_is_refused_on_the_file_field_in_plain_words(
    api: Any, fan: Any, campaign: Any, photo: bytes
) -> None:
    body, content_type = _multipart("n" * 12_000 + ".jpg", photo, alt_text="A fan dancing", consent="true")
    response = api(fan).generic("POST", f"/api/v1/campaigns/{campaign.slug}/entries/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["file"] == [
        "The file name is too long; rename the file to something shorter and send it again."
    ]
    assert "Multipart" not in response.json()["detail"]


def test_a_long_but_ordinary_file_name_is_accepted(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    body, content_type = _multipart("n" * 900 + ".jpg", photo, alt_text="A fan dancing", consent="true")
    response = api(fan).generic("POST", f"/api/v1/campaigns/{campaign.slug}/entries/", body, content_type=content_type)
    assert response.status_code in (201, 202), response.content


def test_a_lone_surrogate_names_the_field_that_holds_it(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = _slot(client, campaign)
    body = '{"caption": "Hi \\ud800", "alt_text": "A fan dancing", "consent": true}'
    response = client.generic("POST", slot["complete_url"], body, content_type="application/json")
    assert response.status_code == 400
    message = response.json()["caption"][0]
    assert message.startswith("Caption contains an invalid character (U+D800")
    assert "Surrogate" not in response.json()["detail"]


@pytest.mark.parametrize("consent", [False, "false", None])
def test_consent_must_be_given_on_completion(api: Any, fan: Any, campaign: Any, consent: Any) -> None:
    client = api(fan)
    slot = _slot(client, campaign)
    body = {"alt_text": "A fan dancing"} if consent is None else {"alt_text": "A fan dancing", "consent": consent}
    response = client.post(slot["complete_url"], body, format="json")
    assert response.status_code == 400
    assert response.json()["consent"] == ["Please accept the campaign's terms to enter."]


def test_a_blank_description_is_refused_by_the_serializer(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = _slot(client, campaign)
    response = client.post(slot["complete_url"], {"alt_text": "   ", "consent": True}, format="json")
    assert response.status_code == 400
    assert response.json()["alt_text"] == ["Describe the picture in a few words for people who cannot see it."]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"content_type": "text/plain", "size": 10}, "content_type", "Send a photo (JPEG"),
        ({"content_type": "", "size": 10}, "content_type", "Send a photo (JPEG"),
        ({"content_type": "image/jpeg", "size": 0}, "size", "The file is empty."),
        ({"content_type": "image/jpeg", "size": 10**12}, "size", "The file is larger than any campaign accepts"),
    ],
)
def test_an_upload_slot_request_outside_the_schema_is_a_400_on_its_field(
    api: Any, fan: Any, campaign: Any, body: dict[str, Any], field: str, message: str
) -> None:
    response = api(fan).post(f"/api/v1/campaigns/{campaign.slug}/uploads/", body, format="json")
    assert response.status_code == 400
    assert response.json()[field][0].startswith(message)


def test_a_nul_character_is_refused_on_its_field(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = _slot(client, campaign)
    response = client.post(slot["complete_url"], {"alt_text": "a\x00b", "consent": True}, format="json")
    assert response.status_code == 400
    assert "alt_text" in response.json()


def test_an_unmatched_api_path_is_json_even_in_debug_mode(client: Any, settings: Any) -> None:
    settings.DEBUG = True
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such API endpoint; see /api/docs/."}


def test_a_missing_final_slash_is_named_in_the_404(client: Any) -> None:
    response = client.post("/api/v1/auth/token", {"username": "a", "password": "b"})
    assert response.status_code == 404
    assert response.json()["detail"] == "API addresses end with a slash: /api/v1/auth/token/"


def test_an_unmatched_api_path_with_a_session_cookie_is_still_a_json_404(fan: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(fan)
    response = client.delete("/api/v1/auth/tokens/null,null/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
