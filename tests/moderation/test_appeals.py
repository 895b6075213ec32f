"""Appeals: a fan contests a rejection or a removal once; another moderator decides it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from activity.models import Activity
from campaigns.models import Campaign
from config.errors import Conflict, DomainError
from moderation.models import Appeal, Decision, OutboxMail
from moderation.services import appeal_decide, appeal_file, entry_remove, entry_reverse
from submissions.models import Entry, EntryState
from submissions.services import entry_transition
from tests.helpers import decide_now, pending_entry, uploaded_entry


@pytest.fixture
def rejected(fan: User, campaign: Campaign, moderator: User) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign, seed=3)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"], note="Too risky")
    entry.refresh_from_db()
    return entry


@pytest.fixture
def removed(fan: User, campaign: Campaign, moderator: User) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign, seed=4)
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    entry_remove(actor=moderator, entry_id=entry.pk, guideline_codes=["no-ads"])
    entry.refresh_from_db()
    return entry


def rule_rejected(*, fan: User, campaign: Campaign, seed: int = 5) -> Entry:
    """An entry an automatic rule rejected: REJECTED with a rule flag and no decision."""
    entry = pending_entry(author=fan, campaign=campaign, seed=seed)
    entry.flags = [{"kind": "rule", "action": "reject", "rule": str(uuid.uuid4()), "guideline": "no-ads"}]
    entry_transition(entry=entry, to=EntryState.REJECTED, reason="An automatic rule of the brand")
    entry.save()
    return entry


def test_the_author_appeals_a_rejection_once(rejected: Entry, fan: User, moderator: User) -> None:
    appeal = appeal_file(actor=fan, entry_id=rejected.pk, text="  It was choreographed safely.  ")
    assert appeal.text == "It was choreographed safely."
    assert appeal.contested_by == moderator
    assert appeal.decision == Decision.objects.get(entry=rejected)
    record = Activity.objects.get(verb="appeal.filed")
    assert record.actor == f"fan:{fan.pk}"
    with pytest.raises(Conflict) as second:
        appeal_file(actor=fan, entry_id=rejected.pk, text="Again")
    assert second.value.field == "entry"


def test_only_the_author_can_appeal(rejected: Entry, other_fan: User, moderator: User) -> None:
    for someone in (other_fan, moderator):
        with pytest.raises(Http404):
            appeal_file(actor=someone, entry_id=rejected.pk, text="Please")
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_appeal_text_must_be_given_and_short(rejected: Entry, fan: User, text: str) -> None:
    with pytest.raises(DomainError) as refused:
        appeal_file(actor=fan, entry_id=rejected.pk, text=text)
    assert refused.value.field == "text"
    assert refused.value.status == 400


def test_an_appeal_of_2000_characters_is_accepted(rejected: Entry, fan: User) -> None:
    assert len(appeal_file(actor=fan, entry_id=rejected.pk, text="x" * 2000).text) == 2000


def test_the_window_closes_after_the_setting(rejected: Entry, fan: User, settings: Any) -> None:
    Decision.objects.filter(entry=rejected).update(applied_at=timezone.now() - dt.timedelta(days=184))
    with pytest.raises(Conflict) as late:
        appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    assert late.value.field == "entry"
    assert "ended on" in late.value.message


def test_files_refused_by_processing_cannot_be_appealed(fan: User, campaign: Campaign) -> None:
    entry = uploaded_entry(author=fan, campaign=campaign)
    entry_transition(entry=entry, to=EntryState.REJECTED, reason="The file could not be read.")
    entry.save()
    with pytest.raises(Conflict) as refused:
        appeal_file(actor=fan, entry_id=entry.pk, text="Please")
    assert refused.value.field == "entry"


def test_pending_and_approved_entries_cannot_be_appealed(fan: User, campaign: Campaign, moderator: User) -> None:
    entry = pending_entry(author=fan, campaign=campaign, seed=8)
    with pytest.raises(Conflict):
        appeal_file(actor=fan, entry_id=entry.pk, text="Please")
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    with pytest.raises(Conflict):
        appeal_file(actor=fan, entry_id=entry.pk, text="Please")


def test_a_rule_rejection_can_be_appealed_and_any_moderator_decides(
    fan: User, campaign: Campaign, moderator: User
) -> None:
    entry = rule_rejected(fan=fan, campaign=campaign)
    appeal = appeal_file(actor=fan, entry_id=entry.pk, text="No ads here")
    assert appeal.decision is None
    assert appeal.contested_by is None
    appeal_decide(actor=moderator, entry_id=entry.pk, outcome="upheld", restore_to="approved", reasons="Fine")
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED


def test_the_moderator_who_decided_cannot_decide_the_appeal(rejected: Entry, fan: User, moderator: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    with pytest.raises(Conflict) as refused:
        appeal_decide(actor=moderator, entry_id=rejected.pk, outcome="upheld", reasons="I was wrong")
    assert refused.value.field == "moderator"
    assert Appeal.objects.get().decided_at is None


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_appeal_decided_by_the_contested_moderator(
    rejected: Entry, fan: User, moderator: User
) -> None:
    appeal = appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(decided_by=moderator, decided_at=timezone.now(), outcome="upheld")


def test_an_upheld_appeal_approves_the_entry_and_tells_the_fan(rejected: Entry, fan: User, brand_admin: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    OutboxMail.objects.all().delete()
    appeal = appeal_decide(
        actor=brand_admin, entry_id=rejected.pk, outcome="upheld", restore_to="approved", reasons="Safe enough"
    )
    rejected.refresh_from_db()
    assert rejected.state == EntryState.APPROVED
    assert rejected.is_public
    assert all(r.public_name for r in rejected.renditions.all())
    assert appeal.restored_to == "approved"
    assert Activity.objects.filter(verb="appeal.upheld", actor=brand_admin.email).exists()
    [message] = OutboxMail.objects.all()
    assert message.to == fan.email
    assert "upheld" in message.subject
    assert "Safe enough" in message.body


def test_an_upheld_appeal_can_send_the_entry_back_to_review(rejected: Entry, fan: User, brand_admin: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="upheld", restore_to="pending", reasons="Look again")
    rejected.refresh_from_db()
    assert rejected.state == EntryState.PENDING
    assert not rejected.is_public


def test_an_upheld_appeal_against_a_removal_makes_the_entry_public_again(
    removed: Entry, fan: User, brand_admin: User
) -> None:
    appeal_file(actor=fan, entry_id=removed.pk, text="It is not an ad")
    appeal = appeal_decide(
        actor=brand_admin, entry_id=removed.pk, outcome="upheld", restore_to="pending", reasons="Not an ad"
    )
    removed.refresh_from_db()
    assert removed.state == EntryState.APPROVED
    assert removed.is_public
    assert appeal.restored_to == "approved"


def test_a_rejected_appeal_is_final(rejected: Entry, fan: User, brand_admin: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    OutboxMail.objects.all().delete()
    appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="rejected", reasons="Still a stunt")
    rejected.refresh_from_db()
    assert rejected.state == EntryState.REJECTED
    assert Activity.objects.filter(verb="appeal.rejected").exists()
    [message] = OutboxMail.objects.all()
    assert "final" in message.body
    assert "Still a stunt" in message.body
    with pytest.raises(Conflict):
        appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="upheld", reasons="Changed my mind")
    with pytest.raises(Conflict):
        appeal_file(actor=fan, entry_id=rejected.pk, text="Once more")


def test_reasons_are_required(rejected: Entry, fan: User, brand_admin: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    with pytest.raises(DomainError) as refused:
        appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="rejected", reasons="  ")
    assert refused.value.field == "reasons"


def test_analysts_and_outsiders_cannot_decide(rejected: Entry, fan: User, analyst: User, outsider: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    for someone in (analyst, outsider):
        with pytest.raises(Http404):
            appeal_decide(actor=someone, entry_id=rejected.pk, outcome="upheld", reasons="Yes")


def test_a_rejection_email_carries_the_statement_of_reasons(
    fan: User, campaign: Campaign, moderator: User, settings: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign, seed=9)
    OutboxMail.objects.all().delete()
    decision = decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"], note="50%")
    [message] = OutboxMail.objects.all()
    body = message.body
    assert "was not accepted" in body  # what was decided
    assert "3. No dangerous stunts." in body  # which guideline, with its text
    assert "No automated means decided this" in body  # automated means
    assert decision.applied_at is not None
    deadline = decision.applied_at + dt.timedelta(days=settings.APPEAL_WINDOW_DAYS)
    assert deadline.strftime("%Y") in body
    assert "appeal" in body.lower()
    assert f"/me/entries/{entry.pk}/appeal/" in body
    assert "My entries" in body
    assert f"D-{decision.pk}" in body  # a decision reference
    assert "50%" in body


def test_a_removal_email_carries_the_statement_of_reasons(removed: Entry) -> None:
    message = OutboxMail.objects.order_by("pk").last()
    assert message is not None
    decision = Decision.objects.get(entry=removed, action="remove")
    assert "taken down" in message.body
    assert "4. No advertising." in message.body
    assert "No automated means decided this" in message.body
    assert f"D-{decision.pk}" in message.body
    assert f"/me/entries/{removed.pk}/appeal/" in message.body


def test_the_overturn_rate_counts_upheld_appeals_per_contested_moderator(
    fan: User, campaign: Campaign, moderator: User, brand_admin: User, client: Any
) -> None:
    from moderation.stats import moderator_stats, period_for

    campaign.max_entries_per_fan = campaign.max_entries_per_fan_per_day = 10
    campaign.save(update_fields=["max_entries_per_fan", "max_entries_per_fan_per_day"])
    outcomes = ["upheld", "rejected", "rejected"]
    for seed, outcome in enumerate(outcomes, start=20):
        entry = pending_entry(author=fan, campaign=campaign, seed=seed)
        decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
        appeal_file(actor=fan, entry_id=entry.pk, text="Please")
        appeal_decide(actor=brand_admin, entry_id=entry.pk, outcome=outcome, reasons="Looked again")
    open_one = pending_entry(author=fan, campaign=campaign, seed=30)
    decide_now(actor=moderator, entry_id=open_one.pk, action="reject", guideline_codes=["safe"])
    appeal_file(actor=fan, entry_id=open_one.pk, text="Still open: not counted")
    ruled = rule_rejected(fan=fan, campaign=campaign, seed=31)
    appeal_file(actor=fan, entry_id=ruled.pk, text="A rule's: counted for no one")
    appeal_decide(actor=brand_admin, entry_id=ruled.pk, outcome="upheld", reasons="Fine")

    stats = moderator_stats(brand=campaign.brand, period=period_for(key="7d"))
    figures = stats.of(moderator.pk)
    assert figures is not None
    assert (figures.overturned, figures.appealed) == (1, 3)
    assert figures.overturn_rate == pytest.approx(1 / 3)
    assert (stats.team.overturned, stats.team.appealed) == (1, 3)
    client.force_login(brand_admin)
    page = client.get(f"/console/{campaign.brand.slug}/moderators/").content.decode()
    assert "Overturned on appeal" in page
    assert "(1/3)" in page


def test_an_entry_reopened_meanwhile_cannot_be_restored_by_the_appeal(
    rejected: Entry, fan: User, moderator: User, brand_admin: User
) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="Please")
    entry_reverse(actor=moderator, entry_id=rejected.pk, action="reopen", reason="Second look")
    with pytest.raises(Conflict) as refused:
        appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="upheld", reasons="Yes")
    assert refused.value.field == "entry"
    appeal = appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="rejected", reasons="Re-opened already")
    assert appeal.outcome == "rejected"
