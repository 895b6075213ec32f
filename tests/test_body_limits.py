"""Oversized bodies are refused from Content-Length, unread: JSON 413 on the API, a page on the site."""

from __future__ import annotations

import io
from typing import Any

import pytest

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read before the request was refused")

    readline = read


def _post(client: Any, path: str, length: int, content_type: str = "multipart/form-data; boundary=x") -> Any:
    return client.generic(
        "POST", path, b"", content_type=content_type, CONTENT_LENGTH=str(length), **{"wsgi.input": Unreadable()}
    )


def test_a_60_mb_upload_to_a_20_mb_campaign_is_refused_unread_with_json(api: Any, fan: Any, campaign: Any) -> None:
    response = _post(api(fan), "/api/v1/campaigns/movement-monday/entries/", 60 * MB)
    assert response.status_code == 413
    body = response.json()
    assert body["detail"] == "The file is 60.0 MB; this campaign accepts files up to 20.0 MB."
    assert body["file"] == [body["detail"]]


def test_an_anonymous_upload_on_the_site_is_not_read(client: Any, campaign: Any) -> None:
    response = _post(client, "/c/movement-monday/enter/", 15 * MB)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_oversized_upload_on_the_site_gets_a_readable_page(client: Any, fan: Any, campaign: Any) -> None:
    client.force_login(fan)
    response = _post(client, "/c/movement-monday/enter/", 60 * MB)
    assert response.status_code == 413
    page = response.content.decode()
    assert "this campaign accepts files up to 20.0 MB" in page
    assert "<h1>" in page


def test_an_upload_within_the_limit_goes_through(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api(fan).post(
        "/api/v1/campaigns/movement-monday/entries/",
        {"file": SimpleUploadedFile("p.jpg", photo), "alt_text": "A fan", "consent": True},
        format="multipart",
    )
    assert response.status_code in (201, 202), response.content


def test_a_direct_upload_slot_has_the_limit_of_its_slot(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = client.post(
        "/api/v1/campaigns/movement-monday/uploads/", {"content_type": "image/jpeg", "size": 1000}, format="json"
    ).json()
    # The local-storage route (with S3 the browser posts to the bucket, but the route still exists).
    response = _post(client, f"/api/v1/uploads/{slot['id']}/file/", 21 * MB + 1)
    assert response.status_code == 413


def test_a_json_body_over_the_general_limit_is_refused_unread(api: Any, fan: Any, campaign: Any) -> None:
    response = _post(
        api(fan), "/api/v1/uploads/00000000-0000-0000-0000-000000000000/complete/", 3 * MB, "application/json"
    )
    assert response.status_code == 413
    assert "the most this address accepts is 2.5 MB" in response.json()["detail"]


def test_a_large_body_to_an_unknown_slot_is_a_404_unread(api: Any, fan: Any, campaign: Any) -> None:
    response = _post(api(fan), "/api/v1/uploads/00000000-0000-0000-0000-000000000000/file/", 400 * MB)
    assert response.status_code == 404


def test_a_scheduled_campaign_is_not_revealed_by_its_file_limit(api: Any, fan: Any, campaign: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    campaign.opens_at = timezone.now() + dt.timedelta(days=2)
    campaign.save()
    scheduled = _post(api(fan), "/api/v1/campaigns/movement-monday/entries/", 60 * MB)
    unknown = _post(api(fan), "/api/v1/campaigns/no-such-campaign/entries/", 60 * MB)
    assert scheduled.status_code == unknown.status_code == 404


def test_a_database_outage_while_checking_the_limit_is_a_503(api: Any, fan: Any, campaign: Any) -> None:
    from unittest import mock

    from django.db import OperationalError

    with mock.patch("config.limits._file_limit", side_effect=OperationalError("the server closed the connection")):
        response = _post(api(fan), "/api/v1/campaigns/movement-monday/entries/", 5 * MB)
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "briefly unavailable" in response.json()["detail"]
