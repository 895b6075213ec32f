"""The brand home's counts: from the entry tallies, right through the entry's life, never a scan of entries."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from campaigns.models import Campaign
from moderation.services import decision_apply, entry_decide, entry_remove
from submissions.models import Entry, EntryTally
from submissions.services import entry_process, entry_withdraw, tallies_compact, tally_move
from tests.factories import CampaignFactory
from tests.helpers import decide_now, pending_entry, uploaded_entry

pytestmark = pytest.mark.django_db

HOME = "/console/northern-lights/"


def counts(client: Client) -> dict[str, Any]:
    """What the brand home shows: the brand's pending total and each campaign's three counts, by slug."""
    response = client.get(HOME)
    assert response.status_code == 200
    return {
        "pending": response.context["pending_count"],
        **{
            row["campaign"].slug: (
                row["campaign"].pending_count,
                row["campaign"].approved_count,
                row["campaign"].featured_count,
            )
            for row in response.context["rows"]
        },
    }


def decided(entry: Entry, moderator: User, action: str) -> None:
    """A moderator's decision on `entry`, taken effect (its undo window over)."""
    decide_now(
        actor=moderator, entry_id=entry.pk, action=action, guideline_codes=["own-work"] if action == "reject" else ()
    )


@pytest.fixture
def campaign(brand: Any) -> Campaign:
    """The brand's campaign, taking as many entries from one fan as these tests send."""
    return CampaignFactory.create(
        brand=brand, slug="movement-monday", max_entries_per_fan=50, max_entries_per_fan_per_day=50
    )


@pytest.fixture
def admin_client(client: Client, brand_admin: User) -> Client:
    client.force_login(brand_admin)
    return client


def test_brand_home_counts_follow_uploads_decisions_removal_and_withdrawal(
    admin_client: Client, moderator: User, fan: User, campaign: Campaign, brand: Any
) -> None:
    second = CampaignFactory.create(brand=brand, slug="second-wind", opens_at=campaign.opens_at - dt.timedelta(days=1))
    assert counts(admin_client) == {"pending": 0, "movement-monday": (0, 0, 0), "second-wind": (0, 0, 0)}

    uploaded = uploaded_entry(author=fan, campaign=campaign)
    # Uploaded but not processed yet: nothing for the moderators so far.
    assert counts(admin_client)["movement-monday"] == (0, 0, 0)
    entry_process(entry_id=uploaded.pk)
    a, b, c = (pending_entry(author=fan, campaign=campaign, seed=s) for s in (2, 3, 4))
    d = pending_entry(author=fan, campaign=second, seed=5)
    assert counts(admin_client) == {"pending": 5, "movement-monday": (4, 0, 0), "second-wind": (1, 0, 0)}

    # During the undo window a decision has not taken effect: the entries still count as pending.
    windowed = [
        entry_decide(actor=moderator, entry_id=a.pk, action="approve"),
        entry_decide(actor=moderator, entry_id=c.pk, action="reject", guideline_codes=["own-work"]),
    ]
    assert counts(admin_client) == {"pending": 5, "movement-monday": (4, 0, 0), "second-wind": (1, 0, 0)}
    for decision in windowed:
        assert decision_apply(decision_id=decision.pk, now=decision.effective_at) is not None
    decided(b, moderator, "approve")
    decided(d, moderator, "approve")
    assert counts(admin_client) == {"pending": 1, "movement-monday": (1, 2, 0), "second-wind": (0, 1, 0)}

    entry_remove(actor=moderator, entry_id=a.pk, guideline_codes=["no-ads"])
    entry_withdraw(actor=fan, entry=Entry.objects.get(pk=b.pk))
    entry_withdraw(actor=fan, entry=Entry.objects.get(pk=uploaded.pk))
    assert counts(admin_client) == {"pending": 0, "movement-monday": (0, 0, 0), "second-wind": (0, 1, 0)}


def test_brand_home_shows_only_its_own_brands_counts(
    admin_client: Client, fan: User, campaign: Campaign, other_brand: Any
) -> None:
    theirs = CampaignFactory.create(brand=other_brand, slug="rival-beats")
    pending_entry(author=fan, campaign=campaign, seed=1)
    pending_entry(author=fan, campaign=theirs, seed=2)
    pending_entry(author=fan, campaign=theirs, seed=3)
    assert counts(admin_client) == {"pending": 1, "movement-monday": (1, 0, 0)}


def test_brand_home_reads_no_entry_rows(admin_client: Client, moderator: User, fan: User, campaign: Campaign) -> None:
    pending_entry(author=fan, campaign=campaign, seed=1)
    decided(pending_entry(author=fan, campaign=campaign, seed=2), moderator, "approve")
    with CaptureQueriesContext(connection) as queries:
        assert counts(admin_client)["movement-monday"] == (1, 1, 0)
    entry_table = Entry._meta.db_table
    readers = [q["sql"] for q in queries.captured_queries if f'"{entry_table}"' in q["sql"]]
    assert readers == []


def test_counts_are_the_same_after_compaction_and_a_second_compaction_changes_nothing(
    admin_client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entries = [pending_entry(author=fan, campaign=campaign, seed=s) for s in range(1, 5)]
    decided(entries[0], moderator, "approve")
    decided(entries[1], moderator, "reject")
    before = counts(admin_client)
    assert before["movement-monday"] == (2, 1, 0)
    assert EntryTally.objects.filter(campaign=campaign).count() > 3

    assert tallies_compact() > 0
    rows = sorted(EntryTally.objects.filter(campaign=campaign).values_list("state", "n"))
    # One row per state with entries in it; the folded-away states (uploaded, processing) leave none.
    assert rows == [("approved", 1), ("pending", 2), ("rejected", 1)]
    assert counts(admin_client) == before

    kept = sorted(EntryTally.objects.values_list("pk", "campaign_id", "state", "n"))
    assert tallies_compact() == 0
    assert sorted(EntryTally.objects.values_list("pk", "campaign_id", "state", "n")) == kept
    assert counts(admin_client) == before

    # New deltas after a compaction are folded into the same rows next time.
    decided(entries[2], moderator, "approve")
    tallies_compact()
    assert sorted(EntryTally.objects.filter(campaign=campaign).values_list("state", "n")) == [
        ("approved", 2),
        ("pending", 1),
        ("rejected", 1),
    ]
    assert counts(admin_client)["movement-monday"] == (1, 2, 0)


@pytest.mark.postgresql  # needs two real database connections at once
@pytest.mark.django_db(transaction=True)
def test_a_delta_committed_while_compaction_runs_is_kept_not_folded_away(
    campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decision's delta that commits after tallies_compact has read a campaign's rows but before
    it deletes them must survive: compaction deletes only the rows it read (by id), so the late
    delta stays for the next run. (Deleting "the campaign's rows" instead would delete it uncounted.)

    The decision runs in another thread (its own connection). It writes its delta before the
    compaction starts and is let commit at the moment compaction is about to delete.
    """
    for _ in range(3):
        tally_move(campaign_id=campaign.pk, from_state=None, to_state="pending")
    written, may_commit, done = threading.Event(), threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def decision() -> None:
        try:
            with transaction.atomic():
                tally_move(campaign_id=campaign.pk, from_state="pending", to_state="approved")
                written.set()
                assert may_commit.wait(timeout=20)
        except BaseException as exc:  # reported by the test thread
            failure.append(exc)
        finally:
            connections.close_all()
            done.set()

    real_delete = QuerySet.delete

    def delete_after_the_decision_commits(self: QuerySet[Any]) -> tuple[int, dict[str, int]]:
        if self.model is EntryTally and not may_commit.is_set():
            may_commit.set()
            assert done.wait(timeout=20)
        return real_delete(self)

    monkeypatch.setattr(QuerySet, "delete", delete_after_the_decision_commits)
    thread = threading.Thread(target=decision)
    thread.start()
    assert written.wait(timeout=20)
    tallies_compact()
    thread.join()
    assert failure == []
    assert may_commit.is_set()  # the decision did commit in the middle of the compaction

    def totals() -> dict[str, int]:
        out: dict[str, int] = {}
        for state, n in EntryTally.objects.filter(campaign=campaign).values_list("state", "n"):
            out[state] = out.get(state, 0) + n
        return {state: n for state, n in out.items() if n}

    assert totals() == {"pending": 2, "approved": 1}
    monkeypatch.undo()
    tallies_compact()
    assert totals() == {"pending": 2, "approved": 1}
    assert sorted(EntryTally.objects.filter(campaign=campaign).values_list("state", "n")) == [
        ("approved", 1),
        ("pending", 2),
    ]
