"""A broker outage during an upload loses no entry: it is processed, once, when the broker is back.

This module runs its own Redis server as the broker (so stopping it disturbs nothing else), with
the real Celery worker of conftest.py attached to it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import User
from campaigns.models import Campaign
from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import requeue_stuck_entries
from tests.factories import CampaignFactory, UserFactory
from tests.integration.faults import Broker
from tests.integration.helpers import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    broker = Broker()
    broker.start()
    before = os.environ.get("FANFARE_TEST_BROKER_URL")
    os.environ["FANFARE_TEST_BROKER_URL"] = broker.url  # read by conftest's celery_worker
    yield broker
    if before is None:
        os.environ.pop("FANFARE_TEST_BROKER_URL", None)
    else:
        os.environ["FANFARE_TEST_BROKER_URL"] = before
    if broker.process is not None:
        broker.stop()


@pytest.fixture
def fan(transactional_db: None) -> User:
    return UserFactory.create(email="outage.fan@example.test")


@pytest.fixture
def campaign(transactional_db: None) -> Campaign:
    return CampaignFactory.create(slug="outage-monday", hashtag="#OutageMonday")


def test_entry_uploaded_while_the_broker_is_down_is_processed_once_it_is_back(
    broker: Broker, celery_worker: Worker, fan: User, campaign: Campaign
) -> None:
    assert celery_worker.broker == broker.url
    broker.stop()

    client = APIClient()
    client.force_authenticate(fan)
    started = time.monotonic()
    response = client.post(
        f"/api/v1/campaigns/{campaign.slug}/entries/",
        {
            "file": SimpleUploadedFile("dance.jpg", sample_photo(seed=61), content_type="image/jpeg"),
            "alt_text": "A fan dancing",
            "consent": "true",
        },
        format="multipart",
    )
    # The fan's upload is accepted and kept, even though its task could not be queued.
    assert response.status_code == 202, response.content
    assert time.monotonic() - started < 30
    entry = Entry.objects.get(pk=response.json()["id"])
    assert entry.state == "uploaded"

    broker.start()
    wait_for(
        lambda: celery_worker.log_text().count("Connected to redis://") >= 2,
        timeout=90,
        what="the worker to reconnect to the broker",
        worker=celery_worker,
    )
    # The periodic sweeper finds the entry stuck in "uploaded" and queues it again.
    assert requeue_stuck_entries(older_than=dt.timedelta(0)) == 1

    def processed() -> Any:
        entry.refresh_from_db()
        return entry.state == "pending"

    wait_for(processed, timeout=60, what="the entry to be processed", worker=celery_worker)
    assert entry.processing_attempts == 1
    assert entry.renditions.count() == 6
