"""Celery adapters for submissions: each task only calls a service."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import gettext as _

from submissions import services
from submissions.processing import STORAGE_ERRORS


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=STORAGE_ERRORS,
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    time_limit=300,
    soft_time_limit=240,
)
def process_entry(entry_id: str) -> str | None:
    """Process one uploaded entry (idempotent: safe to run twice)."""
    try:
        entry = services.entry_process(entry_id=entry_id)
    except SoftTimeLimitExceeded:
        from submissions.processing import entry_reject_unprocessable

        entry = entry_reject_unprocessable(
            entry_id=entry_id, reason=_("This file took too long to process. Please send a shorter or smaller one.")
        )
    return entry.state if entry else None


@shared_task
def requeue_stuck_entries() -> int:
    """The sweeper (Celery beat): re-queue stuck entries, clear stale upload quarantine."""
    from submissions.uploads import upload_slots_sweep

    upload_slots_sweep()
    return services.requeue_stuck_entries()
