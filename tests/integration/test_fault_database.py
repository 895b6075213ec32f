"""PostgreSQL restarted while uploads complete and entries process.

Fans waiting on "complete my upload" get a 503 that says the database is briefly unavailable;
once it is back, completing again works, and every entry ends `pending` exactly once: none lost,
none stuck, no second set of renditions, no delivery counted towards the poison limit.

This module runs a PostgreSQL cluster of its own (tests/integration/faults.py) and points the
test process, a real Celery worker and a gunicorn server at it; the shared server is never
stopped. S3 and Redis are the run's.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import psycopg
import pytest
import requests
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from campaigns.models import Campaign
from submissions.models import Entry, UploadSlot
from submissions.samples import sample_photo
from tests.factories import PASSWORD, CampaignFactory, UserFactory
from tests.integration.faults import AppServer, PrivatePostgres
from tests.integration.helpers import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DATABASE = "fanfare_faults"
DETAILS: dict[str, Any] = {"caption": "Restart-proof", "alt_text": "A fan dancing", "consent": True}
PROCESSING_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def postgres(django_db_setup: None, django_db_blocker: Any) -> Iterator[PrivatePostgres]:
    """The private cluster, migrated; the test process's connection points at it for this module."""
    pg = PrivatePostgres()
    saved = {key: connection.settings_dict[key] for key in ("HOST", "PORT", "NAME")}
    try:
        pg.start()
        with psycopg.connect(pg.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        with django_db_blocker.unblock():
            connection.close()
            connection.settings_dict.update(HOST="127.0.0.1", PORT=str(pg.port), NAME=DATABASE)
            call_command("migrate", verbosity=0, interactive=False)
        yield pg
    finally:
        with django_db_blocker.unblock():
            connection.close()
        connection.settings_dict.update(saved)
        pg.remove()


@pytest.fixture(scope="module")
def worker(postgres: PrivatePostgres, celery_worker: Worker) -> Worker:
    """conftest's real worker, started after the switch, so on the private cluster."""
    return celery_worker


@pytest.fixture(scope="module")
def server(postgres: PrivatePostgres, worker: Worker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{postgres.port}/{DATABASE}",
        "CELERY_BROKER_URL": worker.broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }
    app = AppServer(env=env, log=tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    app.start()
    yield app
    app.stop()


@pytest.fixture
def campaign(transactional_db: None) -> Campaign:
    return CampaignFactory.create(slug="restart-monday", hashtag="#RestartMonday", max_entries_per_fan_per_day=10)


@pytest.fixture
def fan_session(server: AppServer, transactional_db: None) -> requests.Session:
    """A fan's API client on the real server, signed in with a token."""
    fan = UserFactory.create(email="restart.fan@example.test")
    EmailAddress.objects.create(user=fan, email=fan.email, verified=True, primary=True)
    response = requests.post(
        f"{server.url}/api/v1/auth/token/", data={"username": fan.email, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    session = requests.Session()
    session.headers["Authorization"] = f"Token {response.json()['token']}"
    return session


@contextlib.contextmanager
def database_down(pg: PrivatePostgres) -> Iterator[None]:
    """PostgreSQL stops (every session is cut) and starts again after the block."""
    pg.stop()
    try:
        yield
    finally:
        pg.start()
        connection.close()  # the test process's own session died with the server


def upload_to_slot(session: requests.Session, server: AppServer, campaign: Campaign, *, seed: int) -> dict[str, Any]:
    """Steps 1 and 2 of a direct upload: a slot, and the bytes sent straight to the bucket."""
    data = sample_photo(seed=seed, size=(800, 600))
    response = session.post(
        f"{server.url}/api/v1/campaigns/{campaign.slug}/uploads/",
        json={"content_type": "image/jpeg", "size": len(data)},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    slot: dict[str, Any] = response.json()
    target = slot["upload"]
    sent = requests.post(target["url"], data=target["fields"], files={"file": ("x", data, "image/jpeg")}, timeout=30)
    assert sent.status_code in (200, 201, 204), sent.text
    return slot


def keys_under(s3: Any, prefix: str) -> list[str]:
    listing = s3.list_objects_v2(Bucket=settings.S3_PRIVATE_BUCKET, Prefix=prefix)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def wait_until_all_pending(worker: Worker, ids: list[str]) -> None:
    def done() -> bool:
        states = dict(Entry.objects.filter(pk__in=ids).values_list("pk", "state"))
        if set(states.values()) - {"uploaded", "processing", "pending"}:
            pytest.fail(f"an entry ended outside pending: {states}\n--- worker log ---\n{worker.tail()}")
        return len(states) == len(ids) and set(states.values()) == {"pending"}

    wait_for(done, timeout=PROCESSING_TIMEOUT, what="every entry to be pending", worker=worker)


def assert_processed_exactly_once(s3: Any, entries: list[Entry]) -> None:
    for entry in entries:
        entry.refresh_from_db()
        assert entry.state == "pending"
        assert entry.processing_attempts == 1, f"{entry.pk} counted {entry.processing_attempts} deliveries"
        names = sorted(entry.renditions.values_list("name", flat=True))
        assert names
        # One set, no leftovers: other deliveries' files go right after the commit.
        wait_for(partial(_has_only, s3, f"renditions/{entry.pk}/", names), timeout=30, what="one set of files")


def _has_only(s3: Any, prefix: str, names: list[str]) -> bool:
    return keys_under(s3, prefix) == names


def test_upload_completion_while_postgresql_restarts_is_a_503_and_completing_again_works(
    postgres: PrivatePostgres,
    server: AppServer,
    worker: Worker,
    fan_session: requests.Session,
    campaign: Campaign,
    s3: Any,
) -> None:
    slots = [upload_to_slot(fan_session, server, campaign, seed=70 + n) for n in range(3)]

    with database_down(postgres):
        for slot in slots:
            started = time.monotonic()
            response = fan_session.post(f"{server.url}{slot['complete_url']}", json=DETAILS, timeout=30)
            assert response.status_code == 503, response.text
            assert time.monotonic() - started < 10
            assert response.headers["Retry-After"].isdigit()
            assert response.headers["Content-Type"] == "application/json"
            assert "database is briefly unavailable" in response.json()["detail"]
        # The fans' files wait in their slots.
        quarantined = sorted(f"quarantine/{campaign.pk}/{slot['id']}" for slot in slots)
        assert keys_under(s3, f"quarantine/{campaign.pk}/") == quarantined

    completed = []
    for slot in slots:
        response = fan_session.post(f"{server.url}{slot['complete_url']}", json=DETAILS, timeout=30)
        assert response.status_code in (201, 202), f"{response.status_code} {response.text}\n{server.tail()}"
        completed.append(response.json()["id"])
    again = fan_session.post(f"{server.url}{slots[0]['complete_url']}", json=DETAILS, timeout=30)
    assert again.status_code == 409  # completed once

    wait_until_all_pending(worker, completed)
    entries = list(Entry.objects.filter(pk__in=completed))
    assert len(entries) == Entry.objects.count() == len(slots)
    assert_processed_exactly_once(s3, entries)
    assert set(UploadSlot.objects.values_list("entry_id", flat=True)) == {e.pk for e in entries}
    assert keys_under(s3, f"quarantine/{campaign.pk}/") == []


def _waiting_for_a_lock(conn: psycopg.Connection[Any]) -> set[int]:
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchall()
    return {pid for (pid,) in rows}


def test_entries_processing_while_postgresql_restarts_end_pending_exactly_once(
    postgres: PrivatePostgres,
    server: AppServer,
    worker: Worker,
    fan_session: requests.Session,
    campaign: Campaign,
    s3: Any,
) -> None:
    holder = psycopg.connect(f"host=127.0.0.1 port={postgres.port} dbname={DATABASE} user=postgres")
    try:
        # Holding the renditions table: the worker counts its delivery, makes and stores the
        # renditions, then waits at its last step, where the restart cuts it off.
        holder.execute("LOCK TABLE submissions_rendition IN EXCLUSIVE MODE")
        ids = []
        for n in range(2):
            response = fan_session.post(
                f"{server.url}/api/v1/campaigns/{campaign.slug}/entries/",
                data={"alt_text": "A fan dancing", "consent": "true"},
                files={"file": ("dance.jpg", sample_photo(seed=80 + n, size=(800, 600)), "image/jpeg")},
                timeout=30,
            )
            assert response.status_code in (201, 202), response.text
            ids.append(response.json()["id"])
        wait_for(lambda: _waiting_for_a_lock(holder), timeout=30, what="the worker's last step", worker=worker)
        first = Entry.objects.get(state="processing")
        assert first.processing_attempts == 1
        assert keys_under(s3, f"renditions/{first.pk}/")  # stored before the restart

        with database_down(postgres):
            pass
    finally:
        with contextlib.suppress(psycopg.Error):
            holder.close()

    wait_until_all_pending(worker, ids)
    assert_processed_exactly_once(s3, list(Entry.objects.filter(pk__in=ids)))
    assert Entry.objects.count() == 2
    log = worker.log_text()
    assert "DatabaseUnavailable" in log, worker.tail()
