"""Uploading an entry through the API: what a fan gets back, and what bad input leaves behind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from submissions.models import CAPTION_MAX, Entry
from submissions.samples import sample_photo
from submissions.storage import private_storage

URL = "/api/v1/campaigns/movement-monday/entries/"
pytestmark = pytest.mark.django_db(transaction=True)


def upload(client: Any, data: bytes, name: str = "dance.jpg", **fields: Any) -> Any:
    payload = {"caption": "My moves", "alt_text": "A fan dancing", "consent": "true", **fields}
    if data is not None:
        payload["file"] = SimpleUploadedFile(name, data, content_type="image/jpeg")
    return client.post(URL, payload, format="multipart")


def nothing_left_behind() -> None:
    assert Entry.objects.count() == 0
    dirs, files = private_storage().listdir("originals") if private_storage().exists("originals") else ([], [])
    assert not files
    for d in dirs:
        assert private_storage().listdir(f"originals/{d}")[1] == []


def test_fan_uploads_photo_and_it_lands_in_review(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    response = upload(api(fan), photo)

    assert response.status_code in (201, 202), response.content
    body = response.json()
    entry = Entry.objects.get(pk=body["id"])
    assert entry.state == "pending"
    assert entry.consent_version == campaign.consent_version
    assert entry.renditions.count() >= 4
    # The EXIF orientation (6: rotate 90°) was applied: the 1200×900 original is now portrait.
    assert (entry.width, entry.height) == (900, 1200)


def test_entry_records_terms_version_and_time(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    before = timezone.now()
    body = upload(api(fan), photo).json()
    entry = Entry.objects.get(pk=body["id"])
    assert entry.consent_version == 1
    assert before <= entry.consent_given_at <= timezone.now()


def test_anonymous_visitor_cannot_upload(api: Any, campaign: Any, photo: bytes) -> None:
    assert upload(api(None), photo).status_code in (401, 403)
    nothing_left_behind()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "cute.jpg"),
        (b"%PDF-1.4 not a picture at all", "photo.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.jpg"),
        (b"#!/bin/sh\nrm -rf /\n", "run.jpg"),
    ],
)
def test_file_that_is_not_an_image_is_refused_whatever_its_name(
    api: Any, fan: Any, campaign: Any, data: bytes, name: str
) -> None:
    response = upload(api(fan), data, name=name)
    assert response.status_code == 400
    assert "file" in response.json()
    nothing_left_behind()


def test_empty_file_is_refused(api: Any, fan: Any, campaign: Any) -> None:
    response = upload(api(fan), b"")
    assert response.status_code == 400
    assert "empty" in response.json()["file"][0].lower()
    nothing_left_behind()


def test_file_over_campaign_byte_limit_is_refused(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    campaign.max_bytes = len(photo) - 1
    campaign.save()
    response = upload(api(fan), photo)
    assert response.status_code == 400
    assert "MB" in response.json()["file"][0]
    nothing_left_behind()


def test_picture_over_pixel_limit_is_refused_before_decoding(api: Any, fan: Any, campaign: Any) -> None:
    campaign.max_pixels = 10_000
    campaign.save()
    response = upload(api(fan), sample_photo(seed=2, size=(200, 200)))
    assert response.status_code == 400
    assert "megapixels" in response.json()["file"][0]
    nothing_left_behind()


def test_caption_over_2200_characters_is_refused(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    response = upload(api(fan), photo, caption="x" * (CAPTION_MAX + 1))
    assert response.status_code == 400
    assert "caption" in response.json()
    nothing_left_behind()


def test_missing_consent_is_refused(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    response = upload(api(fan), photo, consent="false")
    assert response.status_code == 400
    assert "consent" in response.json()
    nothing_left_behind()


def test_missing_picture_description_is_refused(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    response = upload(api(fan), photo, alt_text="  ")
    assert response.status_code == 400
    assert "alt_text" in response.json()
    nothing_left_behind()


def test_upload_to_closed_campaign_is_refused(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    campaign.closes_at = timezone.now() - dt.timedelta(minutes=1)
    campaign.opens_at = timezone.now() - dt.timedelta(days=2)
    campaign.save()
    response = upload(api(fan), photo)
    assert response.status_code == 400
    assert "campaign" in response.json()
    nothing_left_behind()


def test_upload_to_campaign_not_yet_open_is_refused(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    campaign.opens_at = timezone.now() + dt.timedelta(days=1)
    campaign.save()
    assert upload(api(fan), photo).status_code == 404  # unpublished until it opens
    nothing_left_behind()


def test_fan_cannot_exceed_entries_per_fan(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    campaign.max_entries_per_fan = 1
    campaign.save()
    assert upload(api(fan), photo).status_code in (201, 202)
    response = upload(api(fan), sample_photo(seed=9))
    assert response.status_code == 400
    assert Entry.objects.count() == 1


def test_unknown_campaign_is_404(api: Any, fan: Any, photo: bytes) -> None:
    assert upload(api(fan), photo).status_code == 404


def test_original_is_stored_under_server_made_name(api: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    body = upload(api(fan), photo, name="../../etc/passwd\x00.jpg").json()
    entry = Entry.objects.get(pk=body["id"])
    assert entry.original == f"originals/{campaign.pk}/{entry.pk}.jpeg"
