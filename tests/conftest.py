"""Shared fixtures: personas (healthchecks-style), API clients, media folders, task mode.

Which services the run uses comes from the environment (see README, "Tests"): PostgreSQL when
DATABASE_URL names it, S3 when S3_*_BUCKET are set, Redis + a real Celery worker for the tests
marked `integration`. Unit tests run tasks in-process whatever the broker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import Role, User
from campaigns.models import Campaign
from submissions.samples import sample_photo
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.parts import missing_for


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    storage = f"S3 at {os.environ.get('AWS_S3_ENDPOINT_URL', 'AWS')}" if settings.USE_S3 else "local folders"
    broker = settings.CELERY_BROKER_URL.split("@")[-1] if not settings.CELERY_TASK_ALWAYS_EAGER else "in-process"
    return [f"fanfare: database={db} storage={storage} broker={broker} CI={os.environ.get('CI', 'false')}"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, leave out tests whose parts this machine lacks (see tests/parts.py)."""
    if os.environ.get("CI") == "true":
        return
    kept, left_out, reasons = [], [], set()
    for item in items:
        reason = missing_for({m.name for m in item.iter_markers()})
        if reason:
            left_out.append(item)
            reasons.add(reason)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
        config.stash[_LEFT_OUT] = sorted(reasons)


_LEFT_OUT = pytest.StashKey[list[str]]()


@pytest.fixture(autouse=True)
def _required_parts(request: pytest.FixtureRequest) -> None:
    """Under CI a test whose part is missing fails, with the reason, before it starts."""
    reason = missing_for({m.name for m in request.node.iter_markers()})
    if reason:
        pytest.fail(reason)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for reason in config.stash.get(_LEFT_OUT, []):
        terminalreporter.write_line(f"left out (not CI): {reason}", yellow=True)
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("CI") == "true" and skipped:
        terminalreporter.write_line(f"CI: {len(skipped)} test(s) skipped; every test must run in CI.", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if os.environ.get("CI") == "true" and reporter and reporter.stats.get("skipped"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _media_and_site(settings: Any, tmp_path: Any) -> None:
    """Local media in a fresh temporary folder per test; plain static files (no manifest)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if not settings.USE_S3:
        settings.PUBLIC_MEDIA_ROOT = tmp_path / "public"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path / "private"), "base_url": "/private-media-is-not-served/"},
            },
            "public": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {
                    "location": str(tmp_path / "public"),
                    "base_url": f"{settings.SITE_URL}/media/",
                    "allow_overwrite": True,
                },
            },
        }


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, settings: Any) -> None:
    """Passwords hashed cheaply in tests: the brute-force tests try a hundred of them.

    Not in integration tests: their servers run in other processes, with the real hashers.
    """
    if request.node.get_closest_marker("integration") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Unit tests run Celery tasks eagerly; integration tests send them to the real worker."""
    from config.celery import app

    eager = request.node.get_closest_marker("integration") is None
    before = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _decisions_applied_by_the_test(settings: Any) -> None:
    """No timer threads: a test makes decisions take effect itself (tests.helpers.decide_now)."""
    settings.MODERATION_APPLY_TIMER = False


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- Personas ---------------------------------------------------------------------------------
@pytest.fixture
def brand(db: None) -> Any:
    return BrandFactory.create(name="Northern Lights", slug="northern-lights")


@pytest.fixture
def other_brand(db: None) -> Any:
    return BrandFactory.create(name="Rival Records", slug="rival-records")


def _member(brand: Any, role: str, email: str) -> User:
    user = UserFactory.create(email=email)
    MembershipFactory.create(user=user, brand=brand, role=role)
    return user


@pytest.fixture
def brand_admin(brand: Any) -> User:
    return _member(brand, Role.ADMIN, "admin@northern.test")


@pytest.fixture
def moderator(brand: Any) -> User:
    return _member(brand, Role.MODERATOR, "mod@northern.test")


@pytest.fixture
def analyst(brand: Any) -> User:
    return _member(brand, Role.ANALYST, "analyst@northern.test")


@pytest.fixture
def outsider(other_brand: Any) -> User:
    """Staff (admin) of another brand: must see nothing of ours."""
    return _member(other_brand, Role.ADMIN, "admin@rival.test")


@pytest.fixture
def fan(db: None) -> User:
    return UserFactory.create(email="fan@example.test", display_name="Dancing Fan")


@pytest.fixture
def other_fan(db: None) -> User:
    return UserFactory.create(email="other.fan@example.test", display_name="Other Fan")


@pytest.fixture
def campaign(brand: Any) -> Campaign:
    return CampaignFactory.create(brand=brand, slug="movement-monday", hashtag="#MovementMonday")


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """api(user) is an API client authenticated as `user` (None: anonymous)."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def photo() -> bytes:
    return sample_photo(seed=1, size=(1200, 900), with_gps=True, exif_orientation=6)
