"""The S3 endpoint stopped during upload completion and during processing.

A fan completing an upload while the endpoint is down gets a 503 that says file storage is
briefly unavailable, and the file stays in its slot: completing again once the endpoint is back
works. Processing that meets the outage retries with backoff, without counting towards the poison
limit, and the entry ends `pending` once, with one set of renditions.

This module runs moto's S3 server of its own behind a port it can close (tests/integration/faults.py);
the test process and a real Celery worker use it instead of the run's endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
import requests
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from campaigns.models import Campaign
from submissions.models import Entry, UploadSlot
from submissions.samples import sample_photo
from tests.factories import CampaignFactory, UserFactory
from tests.helpers import uploaded_entry
from tests.integration.faults import S3Endpoint
from tests.integration.helpers import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DETAILS = {"caption": "Storage-proof", "alt_text": "A fan dancing", "consent": True}
PROCESSING_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """Our own S3 endpoint with the run's bucket names; this process and the worker use it."""
    s3 = S3Endpoint(log=tmp_path_factory.mktemp("moto") / "moto.log")
    s3.launch(buckets=(settings.S3_PRIVATE_BUCKET, settings.S3_PUBLIC_BUCKET))
    storages = {
        name: {**conf, "OPTIONS": {**conf["OPTIONS"], "endpoint_url": s3.url}}
        for name, conf in cast(dict[str, dict[str, Any]], settings.STORAGES).items()
        if name in ("default", "public")
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_S3_ENDPOINT_URL", s3.url)  # read by the worker conftest starts after this
        with override_settings(STORAGES={**settings.STORAGES, **storages}):
            yield s3
    s3.shutdown()


@pytest.fixture(scope="module")
def worker(endpoint: S3Endpoint, celery_worker: Worker) -> Worker:
    """conftest's real worker, started after the switch, so on our endpoint."""
    return celery_worker


@pytest.fixture
def fan(transactional_db: None) -> User:
    return UserFactory.create(email="storage.fan@example.test")


@pytest.fixture
def campaign(transactional_db: None) -> Campaign:
    return CampaignFactory.create(slug="storage-monday", hashtag="#StorageMonday")


def keys_under(endpoint: S3Endpoint, prefix: str) -> list[str]:
    """What the private bucket holds, asked of moto directly (works while the endpoint is "down")."""
    listing = endpoint.client(direct=True).list_objects_v2(Bucket=settings.S3_PRIVATE_BUCKET, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def wait_until_pending(worker: Worker, entry: Entry) -> Entry:
    def done() -> bool:
        entry.refresh_from_db()
        if entry.state not in ("uploaded", "processing", "pending"):
            pytest.fail(f"entry ended {entry.state}: {entry.rejection_reason!r}\n{worker.tail()}")
        return entry.state == "pending"

    wait_for(done, timeout=PROCESSING_TIMEOUT, what="the entry to be pending", worker=worker)
    return entry


def assert_one_set_of_renditions(endpoint: S3Endpoint, entry: Entry) -> None:
    assert entry.processing_attempts == 1
    names = sorted(entry.renditions.values_list("name", flat=True))
    assert names
    # Other deliveries' files go right after the commit that recorded these.
    wait_for(lambda: keys_under(endpoint, f"renditions/{entry.pk}/") == names, timeout=30, what="one set of files")


def test_upload_completion_while_the_s3_endpoint_is_down_is_a_503_and_the_upload_is_kept(
    endpoint: S3Endpoint, worker: Worker, fan: User, campaign: Campaign
) -> None:
    client = APIClient()
    client.force_authenticate(fan)
    data = sample_photo(seed=90, size=(800, 600))
    response = client.post(
        f"/api/v1/campaigns/{campaign.slug}/uploads/", {"content_type": "image/jpeg", "size": len(data)}, format="json"
    )
    assert response.status_code == 201, response.content
    slot = response.json()
    target = slot["upload"]
    assert target["url"].startswith(endpoint.url)
    sent = requests.post(target["url"], data=target["fields"], files={"file": ("x", data, "image/jpeg")}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    key = UploadSlot.objects.get(pk=slot["id"]).key

    endpoint.stop()
    started = time.monotonic()
    response = client.post(slot["complete_url"], DETAILS, format="json")
    assert response.status_code == 503, response.content
    assert time.monotonic() - started < 15
    assert response["Retry-After"].isdigit()
    assert "file storage is briefly unavailable" in response.json()["detail"]
    assert keys_under(endpoint, key) == [key]  # the fan's file is still in its slot
    assert UploadSlot.objects.get(pk=slot["id"]).completed_at is None
    assert not Entry.objects.exists()

    endpoint.start()
    response = client.post(slot["complete_url"], DETAILS, format="json")
    assert response.status_code in (201, 202), response.content
    entry = wait_until_pending(worker, Entry.objects.get(pk=response.json()["id"]))
    assert_one_set_of_renditions(endpoint, entry)
    assert keys_under(endpoint, f"originals/{campaign.pk}/") == [entry.original]
    assert keys_under(endpoint, "quarantine/") == []
    assert Entry.objects.count() == 1


def test_processing_while_the_s3_endpoint_is_down_retries_and_ends_pending_once(
    endpoint: S3Endpoint, worker: Worker, fan: User, campaign: Campaign
) -> None:
    retries_before = worker.log_text().count("EndpointConnectionError")
    with transaction.atomic():
        entry = uploaded_entry(author=fan, campaign=campaign, data=sample_photo(seed=91, size=(800, 600)))
        endpoint.stop()
    # Committed: the task is queued now, and meets the outage as soon as it reads the original.
    # Two failed deliveries; a retry may already be under way (its backoff has full jitter).
    wait_for(
        lambda: worker.log_text().count("EndpointConnectionError") > retries_before + 1,
        timeout=60,
        what="the task to meet the outage twice",
        worker=worker,
    )
    assert "Retry in" in worker.log_text()
    entry.refresh_from_db()
    assert entry.state in ("uploaded", "processing")
    assert entry.processing_attempts <= 1  # the storage's fault: failed deliveries are not counted

    endpoint.start()
    entry = wait_until_pending(worker, entry)
    assert_one_set_of_renditions(endpoint, entry)
    assert Entry.objects.count() == 1
