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
from tests.helpers import undo_window_passes, uploaded_entry

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


def test_processing_task_retries_storage_errors_with_backoff_until_the_storage_is_back(
    fan: Any, campaign: Any, monkeypatch: Any
) -> None:
    from botocore.exceptions import EndpointConnectionError

    from submissions import processing
    from submissions.tasks import process_entry

    entry = uploaded(fan, campaign)
    real = processing._process_photo
    calls = []

    def storage_down_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
        return real(*args, **kwargs)

    monkeypatch.setattr(processing, "_process_photo", storage_down_once)
    # Run in-process; throw=False lets the eager run deliver the retry at once.
    process_entry.apply(args=(str(entry.pk),), throw=False)

    entry.refresh_from_db()
    assert len(calls) == 2
    assert entry.state == "pending"
    assert entry.processing_attempts == 1
    assert entry.renditions.exists()
    assert process_entry.acks_late
    assert process_entry.reject_on_worker_lost


def fail_once(monkeypatch: Any, module: Any, name: str, exc: Exception) -> None:
    """Make module.name raise `exc` on its first call only (a dropped database connection)."""
    real = getattr(module, name)
    state = {"failed": False}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if not state["failed"]:
            state["failed"] = True
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)


def test_database_outage_after_the_renditions_are_stored_is_retried_without_counting_twice(
    fan: Any, campaign: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import OperationalError

    from submissions import processing

    entry = uploaded(fan, campaign)
    fail_once(monkeypatch, processing, "_flag_duplicates", OperationalError("server closed the connection"))
    with pytest.raises(processing.DatabaseUnavailable) as raised:
        entry_process(entry_id=entry.pk)
    assert raised.value.counted  # the first step had committed: this delivery is recorded
    entry.refresh_from_db()
    assert (entry.state, entry.processing_attempts) == ("processing", 1)

    with django_capture_on_commit_callbacks(execute=True):
        entry_process(entry_id=entry.pk, counted=raised.value.counted)

    entry.refresh_from_db()
    assert (entry.state, entry.processing_attempts) == ("pending", 1)
    names = sorted(entry.renditions.values_list("name", flat=True))
    assert names
    # One set: the retry replaced the interrupted delivery's files instead of adding copies.
    assert _files_under(f"renditions/{entry.pk}/") == names


def test_database_outage_before_the_first_step_commits_counts_nothing(
    fan: Any, campaign: Any, monkeypatch: Any
) -> None:
    from django.db import InterfaceError

    from submissions import processing

    entry = uploaded(fan, campaign)
    fail_once(monkeypatch, processing, "entry_transition", InterfaceError("connection already closed"))
    with pytest.raises(processing.DatabaseUnavailable) as raised:
        entry_process(entry_id=entry.pk)
    assert not raised.value.counted
    entry.refresh_from_db()
    assert (entry.state, entry.processing_attempts) == ("uploaded", 0)

    entry_process(entry_id=entry.pk, counted=raised.value.counted)
    entry.refresh_from_db()
    assert (entry.state, entry.processing_attempts) == ("pending", 1)


def test_processing_task_retries_a_database_outage_and_the_entry_ends_pending_once(
    fan: Any, campaign: Any, monkeypatch: Any
) -> None:
    from django.db import OperationalError

    from submissions import processing
    from submissions.tasks import process_entry

    entry = uploaded(fan, campaign)
    fail_once(monkeypatch, processing, "_flag_duplicates", OperationalError("terminating connection"))
    process_entry.apply(args=(str(entry.pk),), throw=False)

    entry.refresh_from_db()
    assert (entry.state, entry.processing_attempts) == ("pending", 1)
    assert entry.renditions.exists()


def test_database_outages_never_reach_the_poison_limit(fan: Any, campaign: Any, monkeypatch: Any) -> None:
    from django.db import OperationalError

    from submissions import processing

    entry = uploaded(fan, campaign)
    counted = False
    for _ in range(MAX_PROCESSING_ATTEMPTS + 2):
        fail_once(monkeypatch, processing, "_flag_duplicates", OperationalError("the database restarted"))
        with pytest.raises(processing.DatabaseUnavailable) as raised:
            entry_process(entry_id=entry.pk, counted=counted)
        counted = raised.value.counted
    entry_process(entry_id=entry.pk, counted=counted)
    entry.refresh_from_db()
    assert (entry.state, entry.processing_attempts) == ("pending", 1)


def test_entry_withdrawn_while_processing_keeps_no_renditions(
    fan: Any, campaign: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from submissions import processing
    from submissions.services import entry_withdraw

    entry = uploaded(fan, campaign)
    real_store = processing._store

    def withdraw_midway(*, entry: Entry, outcome: Any, run: str) -> Any:
        names = real_store(entry=entry, outcome=outcome, run=run)
        entry_withdraw(actor=fan, entry=entry)
        return names

    monkeypatch.setattr(processing, "_store", withdraw_midway)
    with django_capture_on_commit_callbacks(execute=True):
        entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "withdrawn"
    assert not entry.renditions.exists()
    assert _files_under(f"renditions/{entry.pk}/") == []


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


def _files_under(prefix: str) -> list[str]:
    storage = private_storage()
    try:
        folders, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    found = [prefix + name for name in files]
    for folder in folders:
        found += _files_under(f"{prefix}{folder}/")
    return sorted(found)


def test_approving_while_a_late_delivery_writes_renditions_is_not_a_server_error(
    fan: Any, campaign: Any, moderator: Any, api: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Two deliveries of one entry: the first to finish puts it in review, a moderator approves it
    just as the late one starts writing its files. The approval must copy intact files."""
    from submissions import processing

    entry = uploaded(fan, campaign)
    storage = private_storage()
    decision: dict[str, Any] = {}

    class ApprovedMidWrite:
        """The storage as the late delivery sees it: the moderator acts at its first write."""

        def __getattr__(self, name: str) -> Any:
            return getattr(storage, name)

        def delete(self, name: str) -> None:
            storage.delete(name)
            if not decision:
                decision["response"] = api(moderator).post(
                    f"/api/v1/entries/{entry.pk}/decision/", {"action": "approve"}, format="json"
                )

    real_store = processing._store

    def late_store(**kwargs: Any) -> Any:
        monkeypatch.setattr(processing, "_store", real_store)
        entry_process(entry_id=entry.pk)  # the other delivery finishes first
        monkeypatch.setattr(processing, "private_storage", lambda: ApprovedMidWrite())
        return real_store(**kwargs)

    monkeypatch.setattr(processing, "_store", late_store)
    with django_capture_on_commit_callbacks(execute=True):
        entry_process(entry_id=entry.pk)

    assert decision["response"].status_code == 201, decision["response"].content
    undo_window_passes()  # the approval copies the files when it takes effect
    entry.refresh_from_db()
    assert entry.state == "approved"
    names = sorted(entry.renditions.values_list("name", flat=True))
    assert all(storage.exists(name) for name in names)
    assert all(entry.renditions.values_list("public_name", flat=True))
    # The late delivery's own files are gone; the approved ones stay.
    assert _files_under(f"renditions/{entry.pk}/") == names
