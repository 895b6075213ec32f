"""Integration fixtures: a real Celery worker on Redis, S3 buckets, the shared PostgreSQL test database.

The tests in this folder run only when the run is configured for the real services: REDIS_URL,
S3 (S3_PRIVATE_BUCKET, S3_PUBLIC_BUCKET and usually AWS_S3_ENDPOINT_URL) and a PostgreSQL
DATABASE_URL, since the worker is a separate process and must see the test database. Otherwise
a developer's run leaves them out and says why, and a CI run fails (tests/parts.py; `.ci/run`
sets all of this up).

The worker's broker is REDIS_URL's server with the next database number (e.g. /11 → /12), or
FANFARE_TEST_BROKER_URL when set: the per-test cache.clear() (a FLUSHDB of the cache database)
then never drops queued tasks, and a developer's own worker on REDIS_URL never takes ours.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings

from tests.integration.helpers import Worker

REPO = Path(__file__).resolve().parents[2]
WORKER_START_TIMEOUT = 60.0


def broker_url() -> str:
    """The worker's broker: REDIS_URL's server, next database number (see the module docstring)."""
    if os.environ.get("FANFARE_TEST_BROKER_URL"):
        return os.environ["FANFARE_TEST_BROKER_URL"]
    parts = urlsplit(str(settings.REDIS_URL))
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


def database_url(db: dict[str, Any]) -> str:
    """A DATABASE_URL for the worker pointing at the test database pytest-django created."""
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{db['PORT']}" if db["PORT"] else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


def _reset_broker_connections() -> None:
    """Make this process's Celery app connect anew, to whatever broker the environment now names.

    The app keeps its connection and producer pools (Celery's own after-fork hook resets these
    same two attributes). They are dropped, not closed: kombu shares pools per broker URL, so the
    one of the run's broker must stay usable for the tests that come after this module.
    """
    from config.celery import app

    app._pool = None  # type: ignore[attr-defined]  # private attribute, not in celery-types
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None  # type: ignore[attr-defined]  # private attribute, not in celery-types


def _wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"the Celery worker exited with {worker.process.returncode}:\n{worker.tail()}")
        if " ready." in worker.log_text():
            return
        time.sleep(0.1)
    pytest.fail(f"the Celery worker was not ready after {WORKER_START_TIMEOUT:.0f}s:\n{worker.tail()}")


def _stop(worker: Worker) -> None:
    """Warm shutdown (the worker stops its pool itself); SIGKILL whatever is left after 20 s."""
    children = worker.pool_pids()
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait(timeout=10)
    for pid in children:
        with contextlib.suppress(OSError):
            if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def celery_worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A real `celery worker` process (prefork, one child) on the test database, for this module.

    Tasks this process queues go to the worker's broker while the fixture is active.
    """
    from django.db import connection

    from config.celery import app

    broker = broker_url()
    with pytest.MonkeyPatch.context() as mp:
        # Celery reads CELERY_BROKER_URL from the environment before its configuration.
        mp.setenv("CELERY_BROKER_URL", broker)
        _reset_broker_connections()
        app.control.purge()  # tasks left in our broker database by an interrupted run

        env = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "DATABASE_CONN_MAX_AGE": "0",  # no idle connections holding up the flush between tests
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
        }
        log = tmp_path_factory.mktemp("celery") / "worker.log"
        name = f"fanfare-test-{uuid.uuid4().hex[:8]}@%h"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            "1",
            "-n",
            name,
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
        with log.open("wb") as out:
            # Same process group as pytest: whatever stops the run (Ctrl-C, the CI's timeout) stops it too.
            process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        worker = Worker(process=process, log=log, broker=broker)
        try:
            _wait_until_ready(worker)
            yield worker
        finally:
            _stop(worker)
    _reset_broker_connections()


@pytest.fixture
def s3() -> Any:
    """A boto3 S3 client for the run's endpoint, to look inside the buckets."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
    )
