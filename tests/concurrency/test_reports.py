"""Reports arriving at the same moment, on PostgreSQL: the entry is hidden once, no report fails."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import User
from activity.models import Activity
from moderation import services
from moderation.models import Report
from submissions.models import Entry, EntryState

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql,  # SQLite serialises writers: no race to test
]

REPORTERS = 8


def _approved(campaign: Any, fan: User) -> Entry:
    now = timezone.now()
    return Entry.objects.create(
        id=uuid.uuid4(),
        campaign=campaign,
        brand_id=campaign.brand_id,
        author=fan,
        alt_text="A dancer",
        original="originals/race.jpg",
        consent_version=1,
        consent_given_at=now,
        state=EntryState.APPROVED,
    )


def _at_once(entry: Entry, reason: str) -> list[Any]:
    start = threading.Barrier(REPORTERS)
    results: list[Any] = [None] * REPORTERS

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = services.report_create(
                actor=None, entry_id=entry.pk, reason=reason, address=f"203.0.113.{i}", agent="race"
            )
        except Exception as exc:  # the assertion below names it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(REPORTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("reason", ["minor", "illegal"])
def test_reports_at_once_hide_the_entry_once_and_all_are_stored(campaign: Any, fan: User, reason: str) -> None:
    entry = _approved(campaign, fan)
    results = _at_once(entry, reason)
    assert all(isinstance(r, Report) for r in results), results
    assert Report.objects.filter(entry=entry).count() == REPORTERS
    entry.refresh_from_db()
    assert entry.state == EntryState.HIDDEN
    assert Activity.objects.filter(verb="entry.hidden", entry_id=entry.pk).count() == 1
