"""A part that is briefly down gives a 503 with Retry-After: JSON on the API, a page elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from django.db import InterfaceError, OperationalError
from django.test import Client
from kombu.exceptions import OperationalError as BrokerError
from rest_framework.test import APIClient

from accounts.models import User
from campaigns.models import Campaign
from submissions.models import UploadSlot
from submissions.uploads import upload_slot_create

pytestmark = pytest.mark.django_db

ENDPOINT_DOWN = EndpointConnectionError(endpoint_url="http://127.0.0.1:9/fanfare-private")


@pytest.fixture
def slot(fan: User, campaign: Campaign) -> UploadSlot:
    return upload_slot_create(author=fan, campaign=campaign, content_type="image/jpeg", size=1000)


def complete(client: APIClient, slot: UploadSlot) -> Any:
    return client.post(f"/api/v1/uploads/{slot.pk}/complete/", {"alt_text": "A dance", "consent": True}, format="json")


@pytest.mark.parametrize(
    ("exc", "part"),
    [
        (OperationalError("server closed the connection unexpectedly"), "database"),
        (InterfaceError("connection already closed"), "database"),
        (ENDPOINT_DOWN, "file storage"),
        (ConnectTimeoutError(endpoint_url="http://127.0.0.1:9/"), "file storage"),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9/"), "file storage"),
        (BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused."), "background service"),
    ],
)
def test_upload_completion_during_an_outage_is_a_503_json_that_says_which_part_and_to_retry(
    api: Callable[[User | None], APIClient], fan: User, slot: UploadSlot, exc: Exception, part: str
) -> None:
    with mock.patch("submissions.uploads.upload_slot_complete", side_effect=exc):
        response = complete(api(fan), slot)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "15"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["detail"]
    assert part in body["detail"]
    assert "briefly unavailable" in body["detail"]
    assert "try again" in body["detail"]


def test_outage_in_an_api_view_is_logged_as_a_warning_with_the_exception_class(
    api: Callable[[User | None], APIClient], fan: User, slot: UploadSlot, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="config.outages"),
        mock.patch("submissions.uploads.upload_slot_complete", side_effect=ENDPOINT_DOWN),
    ):
        complete(api(fan), slot)

    [record] = [r for r in caplog.records if r.name == "config.outages"]
    assert record.levelno == logging.WARNING
    assert "EndpointConnectionError" in record.getMessage()
    assert f"/api/v1/uploads/{slot.pk}/complete/" in record.getMessage()


def test_database_outage_on_a_page_shows_a_readable_503_page_without_a_stack_trace(campaign: Campaign) -> None:
    with mock.patch("campaigns.views.campaigns_open", side_effect=OperationalError("connection refused")):
        response = Client().get("/")

    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Retry-After"] == "15"
    html = response.content.decode()
    assert "<title>Briefly unavailable · Fanfare</title>" in html
    assert "Fanfare&#x27;s database is briefly unavailable. Please try again in a moment." in html
    assert "Traceback" not in html
    assert "OperationalError" not in html
    assert "connection refused" not in html


def test_storage_outage_on_a_page_shows_the_page_that_names_file_storage(campaign: Campaign) -> None:
    with mock.patch("campaigns.views.campaigns_open", side_effect=ENDPOINT_DOWN):
        response = Client().get("/")

    assert response.status_code == 503
    assert "file storage is briefly unavailable" in response.content.decode()
    assert "127.0.0.1:9" not in response.content.decode()


def test_other_errors_are_left_to_django(api: Callable[[User | None], APIClient], fan: User, slot: UploadSlot) -> None:
    with (
        mock.patch("submissions.uploads.upload_slot_complete", side_effect=RuntimeError("a bug")),
        pytest.raises(RuntimeError, match="a bug"),
    ):
        complete(api(fan), slot)
