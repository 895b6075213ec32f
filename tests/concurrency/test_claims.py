"""Moderators claiming and deciding at the same moment, on PostgreSQL (row locks are real there)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import Role, User
from moderation import services
from moderation.models import Decision
from submissions.models import Entry, EntryState
from tests.factories import MembershipFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql,  # SQLite serialises writers: no race to test
]

MODERATORS = 12


def _entries(campaign: Any, fan: User, n: int) -> None:
    now = timezone.now()
    Entry.objects.bulk_create(
        Entry(
            id=uuid.uuid4(),
            campaign=campaign,
            brand_id=campaign.brand_id,
            author=fan,
            alt_text="A dancer",
            original=f"originals/{i}.jpg",
            consent_version=1,
            consent_given_at=now,
            state=EntryState.PENDING,
        )
        for i in range(n)
    )


def _together(work: Any, people: list[User]) -> list[Any]:
    """Run work(person) in one thread per person, all released at once."""
    start = threading.Barrier(len(people))
    results: list[Any] = [None] * len(people)

    def run(i: int, person: User) -> None:
        try:
            start.wait()
            results[i] = work(person)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def team(brand: Any) -> list[User]:
    people = [UserFactory.create(email=f"mod{i}@northern.test") for i in range(MODERATORS)]
    for person in people:
        MembershipFactory.create(user=person, brand=brand, role=Role.MODERATOR)
    return people


def test_moderators_claiming_at_once_never_get_the_same_entry(
    team: list[User], brand: Any, campaign: Any, fan: User
) -> None:
    _entries(campaign, fan, 30)
    claims = _together(lambda person: [e.pk for e in services.queue_claim(actor=person, brand=brand, count=4)], team)
    taken = [pk for batch in claims for pk in batch]
    assert len(taken) == 30  # every entry went to someone (12 × 4 asked for 48)
    assert len(set(taken)) == 30  # and to one moderator only
    holders = Counter(Entry.objects.values_list("claimed_by_id", flat=True))
    assert sum(holders.values()) == 30
    assert None not in holders


def test_moderators_deciding_the_same_bulk_at_once_decide_each_entry_once(
    team: list[User], brand: Any, campaign: Any, fan: User
) -> None:
    _entries(campaign, fan, 20)
    ids = list(Entry.objects.values_list("pk", flat=True))
    _together(
        lambda person: services.decisions_bulk(actor=person, brand=brand, action="approve", entry_ids=ids).done,
        team[:4],
    )
    decided = Counter(Decision.objects.values_list("entry_id", flat=True))
    assert len(decided) == 20
    assert set(decided.values()) == {1}
