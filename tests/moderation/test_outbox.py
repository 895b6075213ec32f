"""Fans' e-mails go through an outbox: written with the change, sent once, never lost to an outage."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from moderation import notifications
from moderation.models import OutboxMail
from moderation.tasks import send_outbox_mail, send_pending_mail, write_feature_document
from submissions.storage import public_storage
from tests.helpers import approved_entry, decide_now, pending_entry, undo_window_passes

pytestmark = pytest.mark.django_db(transaction=True)


def refuse(*args: Any, **kwargs: Any) -> None:
    raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@contextlib.contextmanager
def broker_refusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tasks are queued to a broker (not run in-process), and the broker refuses connections."""
    from config.celery import app

    with monkeypatch.context() as mp:
        mp.setattr(send_outbox_mail, "delay", refuse)
        mp.setattr(write_feature_document, "delay", refuse)
        before = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            yield
        finally:
            app.conf.task_always_eager = before


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with broker_refusing(monkeypatch):
        yield


def test_decision_is_mailed_once_after_the_commit(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = api(moderator).post(f"/api/v1/entries/{entry.pk}/decision/", {"action": "approve"}, format="json")
    assert response.status_code == 201
    assert not OutboxMail.objects.exists()  # written when the decision takes effect
    undo_window_passes()
    [sent] = OutboxMail.objects.all()
    assert sent.sent_at is not None
    assert [m.to for m in mail.outbox] == [[fan.email]]

    assert send_pending_mail.delay().get() == 0
    assert notifications.outbox_send(mail_id=sent.pk) is False
    assert len(mail.outbox) == 1


def test_decision_while_the_broker_is_down_succeeds_and_the_mail_is_sent_by_the_sweeper(
    api: Any, moderator: Any, fan: Any, campaign: Any, broker_down: None, caplog: pytest.LogCaptureFixture
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = api(moderator).post(
        f"/api/v1/entries/{entry.pk}/decision/", {"action": "reject", "guidelines": ["no-ads"]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert undo_window_passes() == 1  # the sweeper applies it: no task was needed
    assert mail.outbox == []
    [waiting] = OutboxMail.objects.all()
    assert waiting.sent_at is None
    assert waiting.to == fan.email
    assert "No advertising." in waiting.body
    assert "the sweeper will send them" in caplog.text

    assert notifications.outbox_send_pending() == 1
    assert notifications.outbox_send_pending() == 0
    assert [m.to for m in mail.outbox] == [[fan.email]]
    assert "not accepted" in mail.outbox[0].subject


def test_feature_publication_while_the_broker_is_down_mails_each_featured_fan_once(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, other_fan: Any, campaign: Any, monkeypatch: Any
) -> None:

    for author, seed in ((fan, 1), (other_fan, 2)):
        entry = approved_entry(author=author, campaign=campaign, moderator=moderator, seed=seed)
        assert api(moderator).post(f"/api/v1/entries/{entry.pk}/shortlist/").status_code == 201
    mail.outbox.clear()
    OutboxMail.objects.update(sent_at=None)  # the approvals' mails: pretend unsent, they must go once too

    with broker_refusing(monkeypatch):
        response = api(brand_admin).post("/api/v1/campaigns/movement-monday/features/publish/")
    assert response.status_code == 201, response.content
    assert mail.outbox == []
    # The document could not be queued either: it was written in the request instead.
    assert public_storage().exists("features/movement-monday.json")

    assert notifications.outbox_send_pending() == 4
    assert notifications.outbox_send_pending() == 0
    featured = sorted(m.to[0] for m in mail.outbox if "featured" in m.subject)
    assert featured == sorted([fan.email, other_fan.email])
    assert len(mail.outbox) == 4


def test_rolled_back_decision_leaves_no_mail(moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)

    class Abort(Exception):
        pass

    def decide_then_fail() -> None:
        with transaction.atomic():
            decide_now(actor=moderator, entry_id=entry.pk, action="approve")
            raise Abort

    with pytest.raises(Abort):
        decide_then_fail()

    assert not OutboxMail.objects.exists()
    assert mail.outbox == []


def test_mail_server_failure_is_retried_with_backoff_for_days_then_given_up(
    moderator: Any, fan: Any, campaign: Any, monkeypatch: Any
) -> None:
    def server_gone(*args: Any, **kwargs: Any) -> int:
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(notifications, "send_mail", server_gone)
    entry = pending_entry(author=fan, campaign=campaign)
    decision = decide_now(actor=moderator, entry_id=entry.pk, action="approve")  # the decision stands
    assert decision.pk
    [waiting] = OutboxMail.objects.all()
    assert (waiting.sent_at, waiting.attempts) == (None, 1)

    # The sweeper, a minute later, waits for the backoff: a short outage is not spent in minutes.
    assert notifications.outbox_send_pending() == 0
    waiting.refresh_from_db()
    assert waiting.attempts == 1
    assert waiting.next_attempt_at is not None

    while waiting.attempts < notifications.MAX_MAIL_ATTEMPTS:
        OutboxMail.objects.update(next_attempt_at=None)  # as if the wait had passed
        assert notifications.outbox_send_pending() == 0
        waiting.refresh_from_db()
    # By then the waits between attempts had grown to hours: the attempts span days, not minutes.
    assert waiting.next_attempt_at is not None
    assert waiting.next_attempt_at - timezone.now() > dt.timedelta(hours=5)
    OutboxMail.objects.update(next_attempt_at=None)
    notifications.outbox_send_pending()  # given up: no further attempt
    waiting.refresh_from_db()
    assert (waiting.sent_at, waiting.attempts) == (None, notifications.MAX_MAIL_ATTEMPTS)
