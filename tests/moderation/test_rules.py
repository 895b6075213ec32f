"""Automatic rules applied to entries: blocked terms, blocked fans, bursts and new accounts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from activity.models import Activity
from moderation.models import OutboxMail, Rule
from moderation.rules import brand_terms
from moderation.services import queue_claim, rule_create, rule_delete
from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import entry_create, entry_process
from tests.helpers import approved_entry, pending_entry

pytestmark = pytest.mark.django_db
SLOTS = "/api/v1/campaigns/movement-monday/uploads/"


def rule(brand: Any, moderator: Any, kind: str, value: str, action: str = "flag", **kwargs: Any) -> Rule:
    return rule_create(actor=moderator, brand=brand, kind=kind, value=value, action=action, **kwargs)


def entry_from(fan: Any, campaign: Any, *, seed: int, client: str = "", **details: Any) -> Entry:
    data = sample_photo(seed=seed, size=(320, 240))
    entry = entry_create(
        author=fan,
        campaign=campaign,
        upload=io.BytesIO(data),
        size=len(data),
        consent=True,
        client=client,
        **{"alt_text": "A fan dancing", **details},
    )
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    return entry


def rule_flags(entry: Entry) -> list[dict[str, Any]]:
    return [f for f in entry.flags if f.get("kind") == "rule"]


@pytest.fixture
def roomy(campaign: Any) -> Any:
    campaign.max_entries_per_fan = campaign.max_entries_per_fan_per_day = 10
    campaign.save(update_fields=["max_entries_per_fan", "max_entries_per_fan_per_day"])
    return campaign


@pytest.mark.parametrize(
    ("caption", "matched"),
    [
        ("Total ＳＰＡＭ here", "ＳＰＡＭ"),  # fullwidth
        ("Total SpAm here", "SpAm"),  # case
        ("Total sp\u200bam here", "sp\u200bam"),  # zero-width space
    ],
)
def test_blocked_term_in_the_caption_flags_the_entry_with_its_span(
    brand: Any, moderator: Any, fan: Any, campaign: Any, caption: str, matched: str
) -> None:
    spam = rule(brand, moderator, "blocked_term", "spam")
    entry = entry_from(fan, campaign, seed=1, caption=caption)
    assert entry.state == "pending"
    assert not entry.held
    [flag] = rule_flags(entry)
    assert flag["rule"] == str(spam.pk)
    assert flag["rule_kind"] == "blocked_term"
    assert flag["action"] == "flag"
    assert flag["field"] == "caption"
    assert flag["matched"] == matched
    assert caption[flag["span"][0] : flag["span"][1]] == matched
    assert "spam" in flag["why"]
    assert flag["guideline"] is None


def test_innocent_words_containing_a_term_are_not_hit(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    rule(brand, moderator, "blocked_term", "ass")
    rule(brand, moderator, "blocked_term", "cunt")
    entry = entry_from(fan, campaign, seed=1, caption="A classic assessment from Scunthorpe", alt_text="Passing by")
    assert rule_flags(entry) == []
    assert not entry.held


def test_blocked_term_in_alt_text_or_display_name_is_hit(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    rule(brand, moderator, "blocked_term", "buy followers", action="hold")
    fan.display_name = "BUY FOLLOWERS today"
    fan.save()
    entry = entry_from(fan, campaign, seed=1, alt_text="Someone who says Buy Followers")
    assert sorted(f["field"] for f in rule_flags(entry)) == ["alt_text", "display_name"]
    assert entry.held


def test_rule_narrowed_to_another_campaign_does_not_apply(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    from tests.factories import CampaignFactory

    CampaignFactory.create(brand=brand, slug="elsewhere")
    rule(brand, moderator, "blocked_term", "spam", campaign="elsewhere")
    entry = entry_from(fan, campaign, seed=1, caption="spam")
    assert rule_flags(entry) == []


def test_every_hit_is_recorded_by_the_rule_as_actor(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    spam = rule(brand, moderator, "blocked_term", "spam", action="hold")
    entry = entry_from(fan, campaign, seed=1, caption="spam")
    record = Activity.objects.get(entry_id=entry.pk, verb="entry.held")
    assert record.actor == f"system:{spam.pk}"
    assert record.brand_id == brand.pk


def test_held_entry_is_not_claimed_in_pending_but_is_in_flagged(
    brand: Any, moderator: Any, fan: Any, campaign: Any
) -> None:
    rule(brand, moderator, "blocked_term", "spam", action="hold")
    held = entry_from(fan, campaign, seed=1, caption="spam")
    assert held.held
    assert queue_claim(actor=moderator, brand=brand, count=5) == []
    claimed = queue_claim(actor=moderator, brand=brand, count=5, flagged=True)
    assert [e.pk for e in claimed] == [held.pk]


def test_held_entry_is_listed_in_flagged_not_pending(
    api: Any, brand: Any, moderator: Any, fan: Any, campaign: Any
) -> None:
    rule(brand, moderator, "blocked_term", "spam", action="hold")
    held = entry_from(fan, campaign, seed=1, caption="spam")
    client = api(moderator)
    pending = client.get("/api/v1/brands/northern-lights/entries/", {"view": "pending"}).json()
    flagged = client.get("/api/v1/brands/northern-lights/entries/", {"view": "flagged"}).json()
    assert pending["results"] == []
    [shown] = flagged["results"]
    assert shown["id"] == str(held.pk)
    assert shown["flags"][0]["why"]
    counts = client.get("/api/v1/brands/northern-lights/views/").json()
    assert counts["pending"] == 0
    assert counts["flagged"] == 1


def test_reject_cites_the_guideline_and_mails_a_statement_of_reasons(
    brand: Any, moderator: Any, fan: Any, campaign: Any, settings: Any
) -> None:
    settings.APPEAL_WINDOW_DAYS = 200
    ads = rule(brand, moderator, "blocked_term", "cheap pills", action="reject", guideline="no-ads")
    entry = entry_from(fan, campaign, seed=1, caption="Cheap PILLS here")
    assert entry.state == "rejected"
    assert entry.rejection_reason == "No advertising."
    [flag] = rule_flags(entry)
    assert flag["action"] == "reject"
    assert flag["guideline"] == "no-ads"
    assert Activity.objects.get(entry_id=entry.pk, verb="entry.rejected").actor == ads.actor
    mail = OutboxMail.objects.get(to=fan.email)
    assert "No advertising." in mail.body
    assert "automated means were involved" in mail.body.lower()
    assert str(entry.pk) in mail.body
    assert reverse("my-entries") in mail.body
    deadline = timezone.now() + dt.timedelta(days=200)
    assert date_format(deadline, "DATE_FORMAT") in mail.body


def test_reject_citing_a_guideline_the_campaign_lacks_holds_instead(
    brand: Any, moderator: Any, fan: Any, campaign: Any
) -> None:
    from campaigns.models import Guideline
    from tests.factories import CampaignFactory

    other = CampaignFactory.create(brand=brand, slug="other-one")
    Guideline.objects.create(campaign=other, number=9, code="only-there", text="Only there.")
    rule(brand, moderator, "blocked_term", "spam", action="reject", guideline="only-there")
    entry = entry_from(fan, campaign, seed=1, caption="spam")
    assert entry.state == "pending"
    assert entry.held
    [flag] = rule_flags(entry)
    assert flag["action"] == "hold"
    assert "only-there" in flag["why"]
    assert not OutboxMail.objects.exists()


def test_strongest_action_wins(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    rule(brand, moderator, "blocked_term", "spam", action="hold")
    rule(brand, moderator, "new_account", "hours:24", action="flag")
    entry = entry_from(fan, campaign, seed=1, caption="spam")
    assert sorted(f["action"] for f in rule_flags(entry)) == ["flag", "hold"]
    assert entry.held


def test_burst_per_fan_flags_the_entry_over_the_number(brand: Any, moderator: Any, fan: Any, roomy: Any) -> None:
    rule(brand, moderator, "burst", "2")
    first = entry_from(fan, roomy, seed=1)
    second = entry_from(fan, roomy, seed=2)
    third = entry_from(fan, roomy, seed=3)
    assert rule_flags(first) == rule_flags(second) == []
    [flag] = rule_flags(third)
    assert flag["rule_kind"] == "burst"
    assert "3" in flag["why"]


def test_burst_per_network_counts_every_fan_of_a_slash_24(
    brand: Any, moderator: Any, fan: Any, other_fan: Any, roomy: Any
) -> None:
    rule(brand, moderator, "burst", "network:1")
    first = entry_from(fan, roomy, seed=1, client="198.51.100.7")
    second = entry_from(other_fan, roomy, seed=2, client="198.51.100.200")
    elsewhere = entry_from(other_fan, roomy, seed=3, client="203.0.113.9")
    assert first.client_network == "198.51.100.0/24"
    assert rule_flags(first) == []
    [flag] = rule_flags(second)
    assert flag["rule_kind"] == "burst"
    assert "198.51.100.0/24" in flag["why"]
    assert rule_flags(elsewhere) == []


def test_ipv6_entries_are_grouped_by_their_slash_48(fan: Any, roomy: Any) -> None:
    entry = entry_from(fan, roomy, seed=1, client="2001:db8:abcd:12::1")
    assert entry.client_network == "2001:db8:abcd::/48"


def test_new_account_younger_than_n_hours_is_flagged(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    rule(brand, moderator, "new_account", "hours:24")
    entry = entry_from(fan, campaign, seed=1)
    [flag] = rule_flags(entry)
    assert flag["rule_kind"] == "new_account"
    fan.date_joined = timezone.now() - dt.timedelta(days=3)
    fan.save()
    assert rule_flags(entry_from(fan, campaign, seed=2)) == []


def test_fan_with_fewer_approved_entries_than_k_is_flagged(brand: Any, moderator: Any, fan: Any, roomy: Any) -> None:
    approved_entry(author=fan, campaign=roomy, moderator=moderator, seed=1)
    rule(brand, moderator, "new_account", "approved:2")
    [flag] = rule_flags(entry_from(fan, roomy, seed=2))
    assert "1" in flag["why"]
    approved_entry(author=fan, campaign=roomy, moderator=moderator, seed=3)
    assert rule_flags(entry_from(fan, roomy, seed=4)) == []


def test_blocked_fan_is_refused_at_slot_time_with_a_neutral_message(
    api: Any, brand: Any, moderator: Any, fan: Any, campaign: Any
) -> None:
    rule(brand, moderator, "blocked_fan", "example.test")
    response = api(fan).post(SLOTS, {"content_type": "image/jpeg", "size": 1000}, format="json")
    assert response.status_code == 400
    assert response.json()["campaign"] == ["You cannot enter this campaign."]


def test_blocked_fan_is_refused_when_the_entry_is_created(
    brand: Any, moderator: Any, fan: Any, other_fan: Any, campaign: Any
) -> None:
    from config.errors import DomainError

    rule(brand, moderator, "blocked_fan", "fan@example.test")
    with pytest.raises(DomainError) as refused:
        entry_from(fan, campaign, seed=1)
    assert refused.value.field == "campaign"
    assert entry_from(other_fan, campaign, seed=2).state == "pending"


def test_compiled_terms_are_rebuilt_when_the_rules_change(brand: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    spam = rule(brand, moderator, "blocked_term", "spam")
    first = brand_terms(brand_id=brand.pk)
    assert brand_terms(brand_id=brand.pk) is first
    rule_delete(actor=moderator, brand=brand, rule_id=spam.pk)
    assert brand_terms(brand_id=brand.pk) is not first
    assert rule_flags(pending_entry(author=fan, campaign=campaign, caption="spam")) == []


def test_moderator_sees_why_a_rule_flagged_the_entry(
    client: Any, brand: Any, moderator: Any, fan: Any, campaign: Any
) -> None:
    rule(brand, moderator, "blocked_term", "spam", action="hold")
    entry = entry_from(fan, campaign, seed=1, caption="spam")
    client.force_login(moderator)
    page = client.get(f"/console/northern-lights/entries/{entry.pk}/")
    assert page.status_code == 200
    assert "The blocked term “spam” appears in the caption" in page.content.decode()
