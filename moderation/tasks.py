"""Celery adapters for moderation."""

from __future__ import annotations

from celery import shared_task

from campaigns.models import Campaign
from moderation import notifications, services
from submissions.processing import STORAGE_ERRORS


@shared_task
def publish_due_features() -> list[str]:
    """Publish each campaign's weekly feature once it is due (Celery beat, every 5 minutes)."""
    return [str(feature) for feature in services.features_publish_due()]


@shared_task(acks_late=True, autoretry_for=STORAGE_ERRORS, retry_backoff=5, retry_backoff_max=300, max_retries=10)
def write_feature_document(campaign_id: int) -> str | None:
    """Write a campaign's static feature document (idempotent: the latest feature, every time)."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    return services.feature_document_write(campaign=campaign) if campaign else None


@shared_task(acks_late=True)
def send_outbox_mail(mail_ids: list[int]) -> int:
    """Send these outbox e-mails (each once; see moderation.notifications)."""
    return sum(notifications.outbox_send(mail_id=mail_id) for mail_id in mail_ids)


@shared_task
def send_pending_mail() -> int:
    """The outbox sweeper (Celery beat, every minute): send what could not be queued or sent."""
    return notifications.outbox_send_pending()


@shared_task
def apply_due_decisions() -> int:
    """Apply every decision whose undo window has ended (idempotent). Queued for each second in
    which decisions fall due (services.schedule_apply), and run by Celery beat every 5 seconds as
    the sweeper for a task lost to a broker outage or a killed worker; storage trouble leaves a
    decision for the next run."""
    return services.decisions_apply_due()
