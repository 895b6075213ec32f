"""Celery adapters for moderation."""

from __future__ import annotations

from celery import shared_task

from moderation import services


@shared_task
def publish_due_features() -> list[str]:
    """Publish each campaign's weekly feature once it is due (Celery beat, every 5 minutes)."""
    return [str(feature) for feature in services.features_publish_due()]
