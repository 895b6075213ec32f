"""A decision takes effect after the undo window: until then nothing leaves, and `z` takes it back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from activity.models import Activity
from config.errors import Conflict
from moderation import services
from moderation.models import Decision, OutboxMail
from submissions.models import Entry
from submissions.services import entry_withdraw
from tests.helpers import pending_entry, undo_window_passes

pytestmark = pytest.mark.django_db


def public_files(entry: Entry) -> int:
    return entry.renditions.exclude(public_name="").count()


def test_an_approval_within_its_window_shows_nothing_and_tells_no_one(
    moderator: Any, fan: Any, campaign: Any, api: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    decision = services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert entry.claimed_by == moderator
    assert decision.effective_at - decision.created_at == dt.timedelta(seconds=10)
    assert public_files(entry) == 0
    assert not OutboxMail.objects.exists()
    assert api(None).get(f"/api/v1/entries/{entry.pk}/").status_code == 404

    assert undo_window_passes() == 1
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert public_files(entry) == entry.renditions.count()
    assert list(OutboxMail.objects.values_list("to", flat=True)) == [fan.email]


def test_undo_within_the_window_leaves_no_email_no_files_and_gives_the_entry_back(
    moderator: Any, fan: Any, campaign: Any, api: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    decision = services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    response = api(moderator).post(f"/api/v1/decisions/{decision.pk}/undo/")
    assert response.status_code == 200, response.content
    assert response.json()["undone_at"] is not None

    assert undo_window_passes() == 0
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert entry.claimed_by == moderator  # back in front of the moderator who undid it
    assert public_files(entry) == 0
    assert not OutboxMail.objects.exists()
    assert mail.outbox == []
    verbs = list(Activity.objects.filter(entry_id=entry.pk).order_by("id").values_list("verb", flat=True))
    assert verbs == ["entry.processed", "decision.made", "decision.undone"]
    # …and it can be decided again.
    services.entry_decide(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
    undo_window_passes()
    entry.refresh_from_db()
    assert entry.state == "rejected"


def test_undo_after_the_window_is_refused_naming_the_decision(
    moderator: Any, fan: Any, campaign: Any, api: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    decision = services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    undo_window_passes()
    response = api(moderator).post(f"/api/v1/decisions/{decision.pk}/undo/")
    assert response.status_code == 409
    assert "decision" in response.json()
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_only_the_deciding_moderator_can_undo(
    moderator: Any, brand_admin: Any, fan: Any, campaign: Any, api: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    decision = services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    assert api(brand_admin).post(f"/api/v1/decisions/{decision.pk}/undo/").status_code == 409
    assert api(moderator).post(f"/api/v1/decisions/{decision.pk}/undo/").status_code == 200


def test_an_entry_in_its_window_is_not_handed_to_another_moderator(
    moderator: Any, brand_admin: Any, fan: Any, campaign: Any, brand: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    assert services.queue_claim(actor=brand_admin, brand=brand, count=5) == []
    # Nor back to the moderator who decided it, after a reload.
    assert services.queue_claim(actor=moderator, brand=brand, count=5, resume=True) == []
    services.queue_release(actor=moderator, entry_ids=[entry.pk])
    entry.refresh_from_db()
    assert entry.claimed_by == moderator  # releasing does not free an entry being decided


def test_applying_twice_does_nothing_twice(moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    decision = services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    later = decision.effective_at
    assert services.decision_apply(decision_id=decision.pk, now=later - dt.timedelta(seconds=1)) is None  # too early
    assert services.decision_apply(decision_id=decision.pk, now=later) is not None
    assert services.decision_apply(decision_id=decision.pk, now=later) is None
    assert OutboxMail.objects.count() == 1
    assert Activity.objects.filter(entry_id=entry.pk, verb="entry.approved").count() == 1


def test_a_decision_on_an_entry_the_fan_withdrew_meanwhile_lapses(moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    entry_withdraw(actor=fan, entry=entry)
    assert undo_window_passes() == 1
    entry.refresh_from_db()
    assert entry.state == "withdrawn"
    assert public_files(entry) == 0
    assert not OutboxMail.objects.exists()
    lapsed = Activity.objects.get(entry_id=entry.pk, verb="decision.lapsed")
    assert lapsed.actor == "system:undo-window"


def test_a_second_decision_within_the_window_is_a_conflict(moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    with pytest.raises(Conflict):
        services.entry_decide(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
    assert Decision.objects.count() == 1


def test_the_window_follows_the_setting_within_5_to_30_seconds(settings: Any) -> None:
    settings.MODERATION_UNDO_SECONDS = 25
    assert services.undo_window() == dt.timedelta(seconds=25)


def test_the_sweeper_applies_only_what_is_due(moderator: Any, fan: Any, campaign: Any) -> None:
    first = pending_entry(author=fan, campaign=campaign, seed=1)
    services.entry_decide(actor=moderator, entry_id=first.pk, action="approve")
    assert services.decisions_apply_due(now=timezone.now()) == 0
    assert services.decisions_apply_due(now=timezone.now() + dt.timedelta(seconds=11)) == 1


def test_a_removal_takes_effect_when_made_and_is_never_an_open_decision(
    moderator: Any, fan: Any, campaign: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    undo_window_passes()
    removal = services.entry_remove(actor=moderator, entry_id=entry.pk, guideline_codes=["safe"])
    assert removal.applied_at is not None
    assert undo_window_passes() == 0
    assert not Activity.objects.filter(verb="decision.lapsed").exists()


def test_an_entry_whose_decision_is_late_to_take_effect_is_not_handed_to_another_moderator(
    moderator: Any, brand_admin: Any, fan: Any, campaign: Any, brand: Any
) -> None:
    """The workers are behind: the decider's lease ran out before the decision took effect."""
    entry = pending_entry(author=fan, campaign=campaign)
    services.entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    Entry.objects.filter(pk=entry.pk).update(claim_expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert services.queue_claim(actor=brand_admin, brand=brand, count=5) == []
