"""Processing is idempotent, bounded, and never leaves an entry stuck."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import MAX_PROCESSING_ATTEMPTS, entry_create, entry_process, requeue_stuck_entries
from submissions.storage import private_storage

pytestmark = pytest.mark.django_db


def uploaded(fan: Any, campaign: Any, data: bytes | None = None) -> Entry:
    data = data or sample_photo(seed=11, size=(640, 480))
    return entry_create(
        author=fan,
        campaign=campaign,
        upload=io.BytesIO(data),
        size=len(data),
        caption="c",
        alt_text="a",
        consent=True,
    )


def test_processing_twice_changes_nothing_the_second_time(fan: Any, campaign: Any) -> None:
    entry = uploaded(fan, campaign)
    entry_process(entry_id=entry.pk)
    first = sorted(entry.renditions.values_list("name", flat=True))
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert sorted(entry.renditions.values_list("name", flat=True)) == first
    assert entry.processing_attempts == 1


def test_entry_interrupted_mid_processing_finishes_when_delivered_again(fan: Any, campaign: Any) -> None:
    entry = uploaded(fan, campaign)
    Entry.objects.filter(pk=entry.pk).update(state="processing", processing_attempts=1)
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_file_damaged_after_upload_ends_rejected_with_reason(fan: Any, campaign: Any) -> None:
    data = sample_photo(seed=12)
    entry = uploaded(fan, campaign, data)
    private_storage().delete(entry.original)
    private_storage().save(entry.original, io.BytesIO(data[: len(data) // 3]))
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "rejected"
    assert "damaged" in entry.rejection_reason
    assert not entry.renditions.exists()


def test_poison_entry_is_rejected_after_bounded_deliveries(fan: Any, campaign: Any) -> None:
    entry = uploaded(fan, campaign)
    Entry.objects.filter(pk=entry.pk).update(state="processing", processing_attempts=MAX_PROCESSING_ATTEMPTS)
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "rejected"
    assert "could not process" in entry.rejection_reason


def test_sweeper_requeues_entries_stuck_in_processing(
    fan: Any, campaign: Any, django_capture_on_commit_callbacks: Any
) -> None:
    entry = uploaded(fan, campaign)
    Entry.objects.filter(pk=entry.pk).update(
        state="processing", state_changed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert requeue_stuck_entries() == 1
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_sweeper_leaves_fresh_entries_alone(fan: Any, campaign: Any) -> None:
    entry = uploaded(fan, campaign)
    Entry.objects.filter(pk=entry.pk).update(state="processing")
    assert requeue_stuck_entries() == 0


def test_storage_outage_is_retried_without_counting_towards_the_poison_limit(
    fan: Any, campaign: Any, monkeypatch: Any
) -> None:
    from submissions import processing

    entry = uploaded(fan, campaign)
    real = processing._process_photo

    def storage_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(processing, "_process_photo", storage_down)
    for _ in range(MAX_PROCESSING_ATTEMPTS + 2):
        with pytest.raises(ConnectionError):
            entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "processing"
    assert entry.processing_attempts == 0

    monkeypatch.setattr(processing, "_process_photo", real)
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert entry.processing_attempts == 1


def test_processing_task_retries_storage_errors_with_backoff() -> None:
    from botocore.exceptions import EndpointConnectionError

    from submissions.tasks import process_entry

    assert issubclass(ConnectionError, tuple(process_entry.autoretry_for))
    assert issubclass(EndpointConnectionError, tuple(process_entry.autoretry_for))
    assert process_entry.retry_backoff
    assert process_entry.acks_late
    assert process_entry.reject_on_worker_lost
