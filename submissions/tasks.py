"""Celery adapters for submissions: each task only calls a service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.utils.translation import gettext as _

from submissions import services
from submissions.processing import STORAGE_ERRORS, DatabaseUnavailable

RETRY_BACKOFF = 5  # seconds before the first retry (with full jitter), doubling each time
RETRY_BACKOFF_MAX = 300
MAX_RETRIES = 5  # then the sweeper (requeue_stuck_entries) is the backstop


def retry_countdown(retries: int) -> int:
    return get_exponential_backoff_interval(
        factor=RETRY_BACKOFF, retries=retries, maximum=RETRY_BACKOFF_MAX, full_jitter=True
    )


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    time_limit=300,
    soft_time_limit=240,
)
def process_entry(self: Any, entry_id: str, counted: bool = False) -> str | None:
    """Process one uploaded entry (idempotent: safe to run twice).

    Storage and database outages are retried with backoff; the interrupted delivery does not
    count towards the poison limit (see submissions.processing).
    """
    try:
        entry = services.entry_process(entry_id=entry_id, counted=counted)
    except SoftTimeLimitExceeded:
        from submissions.processing import entry_reject_unprocessable

        entry = entry_reject_unprocessable(
            entry_id=entry_id, reason=_("This file took too long to process. Please send a shorter or smaller one.")
        )
    except STORAGE_ERRORS as exc:
        raise self.retry(
            exc=exc, args=(entry_id,), kwargs={"counted": False}, countdown=retry_countdown(self.request.retries)
        ) from exc
    except DatabaseUnavailable as exc:
        raise self.retry(
            exc=exc, args=(entry_id,), kwargs={"counted": exc.counted}, countdown=retry_countdown(self.request.retries)
        ) from exc
    return entry.state if entry else None


@shared_task
def requeue_stuck_entries() -> int:
    """The sweeper (Celery beat): re-queue stuck entries, clear stale upload quarantine."""
    from submissions.uploads import upload_slots_sweep

    upload_slots_sweep()
    return services.requeue_stuck_entries()


@shared_task
def compact_tallies() -> int:
    """Fold the entry count deltas (Celery beat, every minute; see submissions.models.EntryTally)."""
    return services.tallies_compact()
