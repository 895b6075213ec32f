"""Processing is idempotent, bounded, and never leaves an entry stuck."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from django.utils import timezone

from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import MAX_PROCESSING_ATTEMPTS, entry_process, requeue_stuck_entries
from submissions.storage import private_storage
from tests.helpers import uploaded_entry

pytestmark = pytest.mark.django_db


def uploaded(fan: Any, campaign: Any, data: bytes | None = None) -> Entry:
    return uploaded_entry(author=fan, campaign=campaign, data=data, caption="c", alt_text="a")


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

    retry_for = tuple(process_entry.autoretry_for)  # type: ignore[attr-defined]  # a task option celery-types omits
    assert issubclass(ConnectionError, retry_for)
    assert issubclass(EndpointConnectionError, retry_for)
    assert process_entry.retry_backoff  # type: ignore[attr-defined]  # likewise
    assert process_entry.acks_late
    assert process_entry.reject_on_worker_lost


def test_entry_withdrawn_while_processing_keeps_no_renditions(fan: Any, campaign: Any, monkeypatch: Any) -> None:
    from submissions import processing
    from submissions.services import entry_withdraw

    entry = uploaded(fan, campaign)
    real_store = processing._store

    def withdraw_midway(*, entry: Entry, outcome: Any) -> Any:
        names = real_store(entry=entry, outcome=outcome)
        entry_withdraw(actor=fan, entry=entry)
        return names

    monkeypatch.setattr(processing, "_store", withdraw_midway)
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "withdrawn"
    assert not entry.renditions.exists()
    assert private_storage().listdir(f"renditions/{entry.pk}")[1] == []


def test_limits_are_checked_again_when_the_entry_is_recorded(fan: Any, campaign: Any) -> None:
    """An upload that passed the checks while another finished is refused, and its file goes."""
    from config.errors import DomainError
    from submissions import media
    from submissions.services import entry_create_from_stored

    campaign.max_entries_per_fan = 1
    campaign.save()
    uploaded(fan, campaign)
    stored = private_storage().save("originals/late.jpeg", io.BytesIO(sample_photo(seed=13)))
    probe = media.Probe(kind="photo", format="jpeg", width=100, height=100)
    with pytest.raises(DomainError, match="most it allows"):
        entry_create_from_stored(
            entry_id=uuid.uuid4(),
            author=fan,
            campaign=campaign,
            stored=stored,
            size=10,
            info=probe,
            caption="",
            alt_text="a",
        )
    assert not private_storage().exists(stored)
    assert Entry.objects.count() == 1
