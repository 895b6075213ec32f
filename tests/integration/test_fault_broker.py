"""The broker stopped while decisions are e-mailed and a feature is published.

The moderator's decisions and the admin's publication succeed while the broker is down; the
gallery document is written in the request instead of by a task; the fans' e-mails wait in the
outbox and, once the broker is back, each is sent exactly once by the real worker (the sweeper
that Celery beat runs every minute, run here by the test), however often the sweep repeats.

This module runs its own redis-server as the broker (tests/integration/faults.py) with the real
Celery worker of conftest.py on it; the worker writes e-mails to files in a temporary folder.
"""

from __future__ import annotations

import email
import email.header
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import Role, User
from campaigns.models import Campaign
from moderation.models import Feature, OutboxMail
from moderation.tasks import send_outbox_mail, send_pending_mail
from submissions.models import Entry
from submissions.samples import sample_photo
from tests.factories import CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import undo_window_passes, uploaded_entry
from tests.integration.faults import Broker
from tests.integration.helpers import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PROCESSING_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    broker = Broker()
    broker.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FANFARE_TEST_BROKER_URL", broker.url)  # read by conftest's celery_worker
        yield broker
    if broker.process is not None:
        broker.stop()


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder where the worker's file-based mail backend writes what it sends."""
    folder = tmp_path_factory.mktemp("mailbox")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EMAIL_URL", f"filemail:///{folder}")
        yield folder


@pytest.fixture(scope="module")
def worker(broker: Broker, mailbox: Path, celery_worker: Worker) -> Worker:
    assert celery_worker.broker == broker.url
    return celery_worker


@pytest.fixture
def campaign(transactional_db: None) -> Campaign:
    return CampaignFactory.create(slug="broker-monday", hashtag="#BrokerMonday", feature_count=5)


@pytest.fixture
def moderator(campaign: Campaign) -> User:
    user = UserFactory.create(email="broker.mod@example.test")
    MembershipFactory.create(user=user, brand=campaign.brand, role=Role.MODERATOR)
    return user


@pytest.fixture
def brand_admin(campaign: Campaign) -> User:
    user = UserFactory.create(email="broker.admin@example.test")
    MembershipFactory.create(user=user, brand=campaign.brand, role=Role.ADMIN)
    return user


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def sent_mail(mailbox: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the worker's mail backend wrote."""
    found = []
    for path in sorted(mailbox.iterdir()):
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                message = email.message_from_string(chunk.strip())
                subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
                found.append((message["To"], subject))
    return found


def results(worker: Worker, task: str) -> list[str]:
    """What each finished run of `task` returned, from the worker's log."""
    return re.findall(rf"moderation\.tasks\.{task}\[[^\]]+\] succeeded in [0-9.]+s: (\S+)", worker.log_text())


def timed(call: Any) -> Any:
    started = time.monotonic()
    response = call()
    assert time.monotonic() - started < 20, "the client waited too long for a broker that is down"
    return response


def test_decisions_and_a_publication_while_the_broker_is_down_succeed_and_each_mail_goes_once(
    broker: Broker,
    worker: Worker,
    mailbox: Path,
    campaign: Campaign,
    moderator: User,
    brand_admin: User,
    s3: Any,
) -> None:
    fans = [UserFactory.create(email=f"broker.fan{n}@example.test") for n in range(2)]
    entries = [
        uploaded_entry(author=fan, campaign=campaign, data=sample_photo(seed=95 + n, size=(640, 480)))
        for n, fan in enumerate(fans)
    ]
    wait_for(
        lambda: set(Entry.objects.values_list("state", flat=True)) == {"pending"},
        timeout=PROCESSING_TIMEOUT,
        what="the entries to be processed",
        worker=worker,
    )

    broker.stop()
    moderation = client_for(moderator)
    for entry in entries:
        response = timed(
            lambda entry=entry: moderation.post(
                f"/api/v1/entries/{entry.pk}/decision/", {"action": "approve"}, format="json"
            )
        )
        assert response.status_code == 201, response.content
    # The decisions' own tasks could not be queued; when their undo window ends the sweeper
    # applies them (run here, in this process, as beat's task would in a worker).
    assert undo_window_passes() == len(entries)
    for entry in entries:
        response = timed(lambda entry=entry: moderation.post(f"/api/v1/entries/{entry.pk}/shortlist/"))
        assert response.status_code == 201, response.content
    response = timed(lambda: client_for(brand_admin).post(f"/api/v1/campaigns/{campaign.slug}/features/publish/"))
    assert response.status_code == 201, response.content
    assert Feature.objects.count() == 1
    assert set(Entry.objects.values_list("state", flat=True)) == {"featured"}

    # The gallery document could not be queued: the request wrote it.
    key = f"features/{campaign.slug}.json"
    document = json.loads(s3.get_object(Bucket=settings.S3_PUBLIC_BUCKET, Key=key)["Body"].read())
    assert sorted(e["id"] for e in document["entries"]) == sorted(str(e.pk) for e in entries)
    # The e-mails wait in the outbox: two per fan (approved, featured), none sent yet.
    assert OutboxMail.objects.filter(sent_at__isnull=True).count() == 4
    assert sent_mail(mailbox) == []

    broker.start()
    wait_for(
        lambda: worker.log_text().count("Connected to redis://") >= 2,
        timeout=90,
        what="the worker to reconnect to the broker",
        worker=worker,
    )
    send_pending_mail.delay()  # what Celery beat does every minute
    wait_for(
        lambda: not OutboxMail.objects.filter(sent_at__isnull=True).exists(),
        timeout=60,
        what="the outbox to be sent",
        worker=worker,
    )
    # Sweeping again, and a late task for the same rows, send nothing twice.
    send_pending_mail.delay()
    send_outbox_mail.delay(list(OutboxMail.objects.values_list("pk", flat=True)))
    wait_for(
        lambda: len(results(worker, "send_pending_mail")) == 2 and len(results(worker, "send_outbox_mail")) == 1,
        timeout=60,
        what="the second sweep and the late task to run",
        worker=worker,
    )
    assert results(worker, "send_pending_mail") == ["4", "0"]
    assert results(worker, "send_outbox_mail") == ["0"]
    sent = sent_mail(mailbox)
    assert Counter(to for to, _subject in sent) == {fan.email: 2 for fan in fans}
    for fan in fans:
        subjects = sorted(subject for to, subject in sent if to == fan.email)
        assert subjects == ["Your #BrokerMonday entry is approved", "Your entry is featured in #BrokerMonday!"]
    assert os.listdir(mailbox)
