"""The photo pipeline on the real services: API upload → S3 → Celery worker → review → public bucket.

These run against the S3 endpoint, Redis and PostgreSQL of the run, with a real `celery worker`
process (see conftest.py); they are skipped when those are not configured.
"""

from __future__ import annotations

import io
import os
import signal
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import Role, User
from campaigns.models import Campaign
from submissions.models import Entry
from submissions.samples import sample_photo
from tests.factories import CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import decide_now
from tests.integration.helpers import Worker, jpeg_segments, wait_for, webp_chunks

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SECRET_COMMENT = b"secret-serial-123"
# What the sample photo's metadata carries; none of it may reach a rendition.
METADATA_MARKERS = (b"Exif", b"http://ns.adobe.com/xap", SECRET_COMMENT, b"FanfareCam", b"Serial 12345")
CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp"}
PROCESSING_TIMEOUT = 60.0


@pytest.fixture
def fan(transactional_db: None) -> User:
    return UserFactory.create(email="pipeline.fan@example.test", display_name="Pipeline Fan")


@pytest.fixture
def campaign(transactional_db: None) -> Campaign:
    return CampaignFactory.create(slug="pipeline-monday", hashtag="#PipelineMonday")


@pytest.fixture
def moderator(campaign: Campaign) -> User:
    user = UserFactory.create(email="pipeline.mod@example.test")
    MembershipFactory.create(user=user, brand=campaign.brand, role=Role.MODERATOR)
    return user


def upload(*, fan: User, campaign: Campaign, photo: bytes) -> str:
    client = APIClient()
    client.force_authenticate(fan)
    response = client.post(
        f"/api/v1/campaigns/{campaign.slug}/entries/",
        {
            "file": SimpleUploadedFile("dance.jpg", photo, content_type="image/jpeg"),
            "caption": "My moves",
            "alt_text": "A fan dancing in a park",
            "consent": "true",
        },
        format="multipart",
    )
    assert response.status_code in (201, 202), response.content
    entry_id: str = response.json()["id"]
    return entry_id


def state_of(entry_id: str) -> str:
    return Entry.objects.values_list("state", flat=True).get(pk=entry_id)


def wait_until_pending(worker: Worker, entry_id: str) -> Entry:
    def done() -> bool:
        state = state_of(entry_id)
        if state not in ("uploaded", "processing", "pending"):
            entry = Entry.objects.get(pk=entry_id)
            pytest.fail(f"entry ended {state}: {entry.rejection_reason!r}\n--- worker log ---\n{worker.tail()}")
        return state == "pending"

    wait_for(done, timeout=PROCESSING_TIMEOUT, what=f"entry {entry_id} to be pending", worker=worker)
    return Entry.objects.get(pk=entry_id)


def keys_under(s3: Any, bucket: str, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def anonymous_get(url: str) -> tuple[int, Message, bytes]:
    """A plain GET with no credentials, as a browser or CDN would make it (headers: any case)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def assert_no_metadata(data: bytes, fmt: str) -> None:
    for marker in METADATA_MARKERS:
        assert marker not in data, f"{marker!r} survived in a {fmt} rendition"
    if fmt == "jpeg":
        markers = {marker for marker, _payload in jpeg_segments(data)}
        assert not markers & {0xE1, 0xE2, 0xED, 0xFE}, "APP1 (EXIF/XMP), APP2 (ICC), APP13 (IPTC) or COM segment"
    else:
        assert not set(webp_chunks(data)) & {b"EXIF", b"XMP ", b"ICCP"}
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        assert dict(exif) == {}
        assert dict(exif.get_ifd(0x8825)) == {}  # GPS
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & set(im.info)


def test_upload_through_api_with_s3_and_real_worker_ends_pending_with_clean_private_renditions(
    celery_worker: Worker, s3: Any, fan: User, campaign: Campaign
) -> None:
    photo = sample_photo(seed=21, with_gps=True, exif_orientation=6, comment=SECRET_COMMENT)
    # The upload really carries what must be stripped: EXIF with GPS, a comment, orientation 6.
    with Image.open(io.BytesIO(photo)) as original:
        assert original.size == (1200, 900)
        assert original.getexif()[0x0112] == 6
        assert original.getexif().get_ifd(0x8825)
        assert original.info["comment"] == SECRET_COMMENT

    entry = wait_until_pending(celery_worker, upload(fan=fan, campaign=campaign, photo=photo))

    assert (entry.width, entry.height) == (900, 1200)
    renditions = {r.name: r for r in entry.renditions.all()}
    assert {r.format for r in renditions.values()} == {"jpeg", "webp"}
    private, public = settings.S3_PRIVATE_BUCKET, settings.S3_PUBLIC_BUCKET
    assert keys_under(s3, private, f"renditions/{entry.pk}/") == sorted(renditions)
    s3.head_object(Bucket=private, Key=entry.original)
    for key, rendition in renditions.items():
        data = s3.get_object(Bucket=private, Key=key)["Body"].read()
        assert_no_metadata(data, rendition.format)
        with Image.open(io.BytesIO(data)) as im:
            assert im.format is not None
            assert im.format.lower() == rendition.format
            assert im.size == (rendition.width, rendition.height)
            assert im.height > im.width  # the orientation was applied to the pixels

    # Until a moderator approves it nothing is public: not in the public bucket, and the private
    # bucket refuses anonymous reads; the author gets short-lived signed links instead.
    assert keys_under(s3, public, f"entries/{entry.pk}/") == []
    endpoint = os.environ["AWS_S3_ENDPOINT_URL"].rstrip("/")
    status, _headers, _body = anonymous_get(f"{endpoint}/{private}/{next(iter(renditions))}")
    assert status == 403
    client = APIClient()
    client.force_authenticate(fan)
    body = client.get(f"/api/v1/entries/{entry.pk}/").json()
    assert len(body["renditions"]) == len(renditions)
    for item in body["renditions"]:
        assert "X-Amz-Signature=" in item["url"]
        status, headers, _body = anonymous_get(item["url"])
        assert status == 200
        assert headers["Content-Type"] == CONTENT_TYPES[item["format"]]
    assert APIClient().get(f"/api/v1/entries/{entry.pk}/").status_code == 404


def test_approved_entry_renditions_are_in_the_public_bucket_and_served_to_anyone(
    celery_worker: Worker, s3: Any, fan: User, moderator: User, campaign: Campaign
) -> None:
    photo = sample_photo(seed=22, with_gps=True, exif_orientation=6, comment=SECRET_COMMENT)
    entry = wait_until_pending(celery_worker, upload(fan=fan, campaign=campaign, photo=photo))

    decide_now(actor=moderator, entry_id=entry.pk, action="approve")

    entry.refresh_from_db()
    assert entry.state == "approved"
    renditions = list(entry.renditions.all())
    public_names = sorted(r.public_name for r in renditions)
    assert public_names == sorted(r.name.replace("renditions/", "entries/", 1) for r in renditions)
    assert keys_under(s3, settings.S3_PUBLIC_BUCKET, f"entries/{entry.pk}/") == public_names

    body = APIClient().get(f"/api/v1/entries/{entry.pk}/").json()  # a visitor, not signed in
    assert len(body["renditions"]) == len(renditions) > 0
    by_size = {(r.format, r.width): r for r in renditions}
    for item in body["renditions"]:
        assert "X-Amz-" not in item["url"]  # a plain, cacheable address
        status, headers, data = anonymous_get(item["url"])
        assert status == 200, item["url"]
        assert headers["Content-Type"] == CONTENT_TYPES[item["format"]]
        assert headers["Cache-Control"] == "public, max-age=3600"  # a takedown leaves caches within the hour
        rendition = by_size[(item["format"], item["width"])]
        assert data == s3.get_object(Bucket=settings.S3_PRIVATE_BUCKET, Key=rendition.name)["Body"].read()
        assert_no_metadata(data, item["format"])
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (item["width"], item["height"])


def _backends_waiting_for_a_lock() -> set[int]:
    """PostgreSQL backends of the test database blocked on a lock (this connection excluded)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh activity inside our transaction
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_worker_killed_while_processing_gets_the_task_again_and_entry_ends_pending(
    celery_worker: Worker, s3: Any, fan: User, campaign: Campaign
) -> None:
    # Large enough that processing (decode, six encodes, six uploads) takes a noticeable moment.
    photo = sample_photo(seed=23, size=(4000, 3000), with_gps=True, exif_orientation=6)
    entry_id = upload(fan=fan, campaign=campaign, photo=photo)
    wait_for(lambda: state_of(entry_id) != "uploaded", timeout=PROCESSING_TIMEOUT, what="processing to start")

    with transaction.atomic():
        # Holding the entry's row: the worker makes and stores the renditions, then waits for
        # this lock at its last step, so it is killed at a known point mid-task.
        entry = Entry.objects.select_for_update().get(pk=entry_id)
        assert entry.state == "processing", "processing finished before the test could hold the entry"
        assert entry.processing_attempts == 1
        first = wait_for(_backends_waiting_for_a_lock, timeout=30, what="the worker to reach its last step")
        assert keys_under(s3, settings.S3_PRIVATE_BUCKET, f"renditions/{entry_id}/")
        [child] = celery_worker.pool_pids()
        os.kill(child, signal.SIGKILL)
        # acks_late + reject_on_worker_lost: the task goes back to the queue and a new pool process
        # takes it; it waits for the same row.
        wait_for(
            lambda: _backends_waiting_for_a_lock() - first,
            timeout=30,
            what="the task to be delivered again",
            worker=celery_worker,
        )
        assert child not in celery_worker.pool_pids()

    entry = wait_until_pending(celery_worker, entry_id)
    assert entry.processing_attempts == 2
    names = sorted(r.name for r in entry.renditions.all())
    assert names
    # The second delivery removes the killed one's files once its renditions are recorded (after
    # the commit, so a moment after the entry is pending).
    wait_for(
        lambda: keys_under(s3, settings.S3_PRIVATE_BUCKET, f"renditions/{entry_id}/") == names,
        timeout=30,
        what="the killed delivery's files to be removed",
        worker=celery_worker,
    )
    assert "WorkerLostError" in celery_worker.log_text()


def test_the_worker_applies_a_decision_when_its_undo_window_ends_and_not_an_undone_one(
    celery_worker: Worker, s3: Any, fan: User, moderator: User, campaign: Campaign, settings: Any
) -> None:
    """The decision's own task, queued with a countdown, does the work on the real worker."""
    from moderation.models import OutboxMail
    from moderation.services import decision_undo, entry_decide

    settings.MODERATION_UNDO_SECONDS = 5
    kept = wait_until_pending(celery_worker, upload(fan=fan, campaign=campaign, photo=sample_photo(seed=31)))
    undone = wait_until_pending(celery_worker, upload(fan=fan, campaign=campaign, photo=sample_photo(seed=32)))
    decision = entry_decide(actor=moderator, entry_id=kept.pk, action="approve")
    regret = entry_decide(actor=moderator, entry_id=undone.pk, action="approve")
    decision_undo(actor=moderator, decision_id=regret.pk)
    assert state_of(str(kept.pk)) == "pending"

    wait_for(lambda: state_of(str(kept.pk)) == "approved", timeout=30, what="the approval", worker=celery_worker)
    decision.refresh_from_db()
    assert decision.applied_at is not None
    assert decision.applied_at >= decision.effective_at
    assert keys_under(s3, settings.S3_PUBLIC_BUCKET, f"entries/{kept.pk}/")
    assert state_of(str(undone.pk)) == "pending"
    assert keys_under(s3, settings.S3_PUBLIC_BUCKET, f"entries/{undone.pk}/") == []
    assert list(OutboxMail.objects.values_list("subject", flat=True)) == ["Your #PipelineMonday entry is approved"]
