"""Celery adapters for submissions: each task only calls a service."""

from __future__ import annotations

from celery import shared_task
from django.core.exceptions import ImproperlyConfigured

from submissions import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError, ConnectionError),
    dont_autoretry_for=(ImproperlyConfigured,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=5,
    time_limit=300,
    soft_time_limit=240,
)
def process_entry(entry_id: str) -> str | None:
    """Process one uploaded entry (idempotent: safe to run twice)."""
    entry = services.entry_process(entry_id=entry_id)
    return entry.state if entry else None


@shared_task
def requeue_stuck_entries() -> int:
    return services.requeue_stuck_entries()
