"""A fan's two tabs sending a new version of one rejected entry at the same moment, on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from campaigns.models import Guideline
from config.errors import Conflict
from submissions.models import Entry
from submissions.resubmissions import entry_resubmit
from tests.helpers import decide_now, pending_entry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql,  # SQLite serialises writers: no race to test
]
TABS = 6


def test_only_one_of_simultaneous_resubmissions_is_taken(fan: Any, moderator: Any, campaign: Any) -> None:
    Guideline.objects.create(campaign=campaign, number=5, code="too-dark", text="Bright enough.", fixable=True)
    entry = pending_entry(author=fan, campaign=campaign)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["too-dark"])
    start = threading.Barrier(TABS)
    outcomes: list[str] = []

    def tab(i: int) -> None:
        try:
            start.wait()
            entry_resubmit(
                actor=fan, entry=entry, caption=f"Try {i}", alt_text="A fan dancing in daylight", consent=True
            )
            outcomes.append("sent")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=(i,)) for i in range(TABS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["conflict"] * (TABS - 1) + ["sent"]
    assert Entry.objects.filter(resubmission_of=entry).count() == 1
