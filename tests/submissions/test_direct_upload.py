"""Direct uploads: slot, bytes straight to storage, completion that checks what arrived.

Runs against whatever storage is configured: local folders (the file streams through Fanfare) or
the S3 endpoint (a real presigned POST to the bucket).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from submissions.models import Entry, UploadSlot
from submissions.samples import sample_photo
from submissions.storage import private_storage
from submissions.uploads import upload_slots_sweep

pytestmark = pytest.mark.django_db(transaction=True)
SLOTS = "/api/v1/campaigns/movement-monday/uploads/"
DETAILS = {"caption": "Straight to the bucket", "alt_text": "A fan jumping", "consent": True}


def ask_slot(client: Any, content_type: str = "image/jpeg", size: int = 1000) -> Any:
    return client.post(SLOTS, {"content_type": content_type, "size": size}, format="json")


def send(client: APIClient, slot: dict[str, Any], data: bytes, content_type: str = "image/jpeg") -> int:
    target = slot["upload"]
    if target["url"].startswith("http"):  # presigned POST to S3: Fanfare never sees the bytes
        response = requests.post(
            target["url"], data=target["fields"], files={"file": ("x", data, content_type)}, timeout=30
        )
        return response.status_code
    upload = SimpleUploadedFile("x", data, content_type=content_type)
    return client.post(target["url"], {"file": upload}, format="multipart").status_code


def complete(client: Any, slot: dict[str, Any], **details: Any) -> Any:
    return client.post(slot["complete_url"], {**DETAILS, **details}, format="json")


def test_fan_uploads_directly_and_the_entry_is_processed(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    data = sample_photo(seed=40, with_gps=True)
    slot = ask_slot(client, size=len(data)).json()
    assert slot["kind"] == "photo"
    assert send(client, slot, data) in (200, 201, 204)
    response = complete(client, slot)
    assert response.status_code in (201, 202), response.content
    entry = Entry.objects.get(pk=response.json()["id"])
    assert entry.state == "pending"
    assert entry.original.startswith(f"originals/{campaign.pk}/")
    assert not private_storage().exists(UploadSlot.objects.get().key)  # out of quarantine


def test_completing_twice_is_a_conflict(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    data = sample_photo(seed=41)
    slot = ask_slot(client, size=len(data)).json()
    send(client, slot, data)
    assert complete(client, slot).status_code in (201, 202)
    send(client, slot, data)  # reusing the POST: S3 takes it into quarantine, Fanfare refuses it
    assert complete(client, slot).status_code == 409
    assert Entry.objects.count() == 1
    key = UploadSlot.objects.get().key
    upload_slots_sweep(now=timezone.now() + dt.timedelta(hours=3))
    assert not private_storage().exists(key)  # no orphan left behind


def test_completion_for_a_file_never_uploaded_is_refused(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = ask_slot(client).json()
    response = complete(client, slot)
    assert response.status_code == 400
    assert "did not receive" in response.json()["file"][0]
    assert not Entry.objects.exists()


def test_bytes_that_are_not_a_photo_are_refused_at_completion(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    data = b"<html><script>alert(1)</script></html>" * 10
    slot = ask_slot(client, size=len(data)).json()
    send(client, slot, data)
    response = complete(client, slot)
    assert response.status_code == 400
    assert "file" in response.json()
    assert not Entry.objects.exists()
    assert not private_storage().exists(UploadSlot.objects.get().key)


def test_video_sent_where_a_photo_was_declared_is_refused(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    data = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 100
    slot = ask_slot(client, size=len(data)).json()
    send(client, slot, data)
    response = complete(client, slot)
    assert response.status_code == 400
    assert "photo but the file is a video" in response.json()["file"][0]


def test_slot_refuses_unknown_types_and_sizes_over_the_limit(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    assert "content_type" in ask_slot(client, content_type="image/svg+xml").json()
    assert "content_type" in ask_slot(client, content_type="text/html").json()
    too_big = ask_slot(client, size=campaign.max_bytes + 1)
    assert too_big.status_code == 400
    assert "MB" in too_big.json()["file"][0]
    assert not UploadSlot.objects.exists()


def test_file_bigger_than_declared_is_refused(api: Any, fan: Any, campaign: Any) -> None:
    campaign.max_bytes = 5000
    campaign.save()
    client = api(fan)
    slot = ask_slot(client, size=1000).json()
    status = send(client, slot, sample_photo(seed=42))  # larger than 5000 bytes
    if status < 300:  # storage took it anyway: completion must still refuse
        assert complete(client, slot).status_code == 400
    assert not Entry.objects.exists()


def test_per_day_limit_is_enforced_when_asking_for_a_slot(api: Any, fan: Any, campaign: Any) -> None:
    campaign.max_entries_per_fan_per_day = 1
    campaign.save()
    client = api(fan)
    data = sample_photo(seed=43)
    slot = ask_slot(client, size=len(data)).json()
    send(client, slot, data)
    complete(client, slot)
    response = ask_slot(client, size=len(data))
    assert response.status_code == 400
    assert "24 hours" in response.json()["file"][0]


def test_other_fans_cannot_use_my_slot(api: Any, fan: Any, other_fan: Any, campaign: Any) -> None:
    data = sample_photo(seed=44)
    slot = ask_slot(api(fan), size=len(data)).json()
    send(api(fan), slot, data)
    assert complete(api(other_fan), slot).status_code == 404


def test_photo_whose_header_comes_after_large_metadata_is_accepted(api: Any, fan: Any, campaign: Any) -> None:
    """Edited exports and portrait-mode photos carry hundreds of KB before the picture's size."""
    import io

    from PIL import Image

    im = Image.open(io.BytesIO(sample_photo(seed=45, size=(800, 600))))
    out = io.BytesIO()
    im.save(out, "JPEG", icc_profile=bytes(range(256)) * 2000)  # ~500 KB of APP2 before SOF
    data = out.getvalue()
    assert len(data) > 400_000
    client = api(fan)
    slot = ask_slot(client, size=len(data)).json()
    send(client, slot, data)
    response = complete(client, slot)
    assert response.status_code in (201, 202), response.content
    assert Entry.objects.get().state == "pending"


def test_sweeper_forgets_old_slots_once_their_quarantine_is_clear(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    data = sample_photo(seed=46)
    slot = ask_slot(client, size=len(data)).json()
    send(client, slot, data)
    complete(client, slot)
    ask_slot(client, size=len(data))  # never used
    upload_slots_sweep(now=timezone.now() + dt.timedelta(hours=3))
    assert not UploadSlot.objects.exists()
    assert Entry.objects.count() == 1  # the entry made from a slot stays


def test_file_sent_as_a_text_field_is_refused_naming_the_field(api: Any, fan: Any, campaign: Any) -> None:
    client = api(fan)
    slot = ask_slot(client).json()
    response = client.post(f"/api/v1/uploads/{slot['id']}/file/", {"file": "not a file"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_database_outage_while_completing_is_a_503_and_completing_again_works(
    api: Any, fan: Any, campaign: Any, monkeypatch: Any
) -> None:
    from django.db import OperationalError

    from submissions import uploads

    client = api(fan)
    data = sample_photo(seed=47)
    slot = ask_slot(client, size=len(data)).json()
    assert send(client, slot, data) in (200, 201, 204)
    real = uploads.entry_create_from_stored  # type: ignore[attr-defined]  # imported there from services, patched there

    def database_gone(**kwargs: Any) -> Any:
        # The original was copied out of quarantine; then the database goes away.
        assert private_storage().exists(kwargs["stored"])
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(uploads, "entry_create_from_stored", database_gone)
    response = complete(client, slot)
    assert response.status_code == 503
    assert "database is briefly unavailable" in response.json()["detail"]
    key = UploadSlot.objects.get().key
    assert private_storage().exists(key)  # the fan's upload is still in its slot
    assert not Entry.objects.exists()

    monkeypatch.setattr(uploads, "entry_create_from_stored", real)
    response = complete(client, slot)
    assert response.status_code in (201, 202), response.content
    entry = Entry.objects.get()
    assert private_storage().exists(entry.original)
    assert not private_storage().exists(key)
    assert UploadSlot.objects.get().entry_id == entry.pk
