"""Weekly features: published from the shortlist at the campaign's own weekday and hour, once."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from moderation.models import Feature, ShortlistItem
from moderation.services import entry_remove, entry_shortlist, features_publish_due
from submissions.storage import public_storage
from tests.helpers import approved_entry

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def shortlist_for_week(campaign: Any, entry: Any, moderator: Any, at: dt.datetime) -> None:
    year, week = campaign.iso_week(at)
    ShortlistItem.objects.create(campaign=campaign, entry=entry, iso_year=year, iso_week=week, added_by=moderator)


def test_iso_week_is_taken_in_the_campaigns_time_zone(campaign: Any) -> None:
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: the next ISO week there.
    sunday_night_utc = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)
    assert campaign.iso_week(sunday_night_utc) == (2026, 49)
    campaign.time_zone = "UTC"
    assert campaign.iso_week(sunday_night_utc) == (2026, 48)


def test_feature_is_published_once_due_and_only_once(moderator: Any, fan: Any, campaign: Any) -> None:
    campaign.feature_weekday, campaign.feature_hour = 0, 18  # Mondays 18:00 Berlin
    campaign.save()
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    monday = dt.datetime(2026, 11, 30, 17, 59, tzinfo=BERLIN)
    shortlist_for_week(campaign, entry, moderator, monday)

    assert features_publish_due(now=monday) == []
    published = features_publish_due(now=monday + dt.timedelta(minutes=1))
    assert [f.week_label for f in published] == ["2026-W49"]
    assert features_publish_due(now=monday + dt.timedelta(minutes=6)) == []
    assert Feature.objects.count() == 1
    entry.refresh_from_db()
    assert entry.state == "featured"


def test_week_with_empty_shortlist_publishes_nothing(campaign: Any) -> None:
    later = timezone.now() + dt.timedelta(days=8)
    assert features_publish_due(now=later) == []
    assert not Feature.objects.exists()


def test_feature_takes_at_most_the_campaigns_count_in_shortlist_order(
    moderator: Any, fan: Any, other_fan: Any, campaign: Any
) -> None:
    campaign.feature_count = 2
    campaign.save()
    entries = [
        approved_entry(author=author, campaign=campaign, moderator=moderator, seed=seed)
        for seed, author in enumerate([fan, other_fan, fan], start=1)
    ]
    for entry in entries:
        entry_shortlist(actor=moderator, entry_id=entry.pk)
    call_command("publish_features", "--campaign", campaign.slug, "--now")
    feature = Feature.objects.get()
    assert list(feature.items.values_list("entry_id", flat=True)) == [entries[0].pk, entries[1].pk]


def test_publishing_writes_the_static_document_the_widget_reads(moderator: Any, fan: Any, campaign: Any) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator, caption="<b>bold</b> move")
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    call_command("publish_features", "--campaign", campaign.slug, "--now")
    with public_storage().open("features/movement-monday.json") as fh:
        doc = json.loads(fh.read())
    assert doc["campaign"]["hashtag"] == "#MovementMonday"
    assert doc["entries"][0]["caption"] == "<b>bold</b> move"
    assert doc["entries"][0]["creator"] == "Dancing Fan"
    assert fan.email not in json.dumps(doc)
    formats = {(r["format"], r["width"]) for r in doc["entries"][0]["renditions"]}
    assert ("jpeg", 320) in formats
    assert ("webp", 320) in formats


def test_removing_a_featured_entry_rewrites_the_document(moderator: Any, fan: Any, campaign: Any) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    call_command("publish_features", "--campaign", campaign.slug, "--now")
    public_names = list(entry.renditions.values_list("public_name", flat=True))

    entry_remove(actor=moderator, entry_id=entry.pk, guideline_codes=["own-work"], note="Reported: not theirs")

    with public_storage().open("features/movement-monday.json") as fh:
        assert json.loads(fh.read())["entries"] == []
    assert not any(public_storage().exists(name) for name in public_names)
    entry.refresh_from_db()
    assert entry.state == "removed"


def test_publish_command_without_due_features_prints_nothing(campaign: Any, capsys: Any) -> None:
    call_command("publish_features")
    assert capsys.readouterr().out == ""


def test_author_withdrawing_a_featured_entry_takes_it_out_of_the_gallery(
    moderator: Any, fan: Any, campaign: Any
) -> None:
    from submissions.services import entry_withdraw

    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    call_command("publish_features", "--campaign", campaign.slug, "--now")
    entry_withdraw(actor=fan, entry=entry)
    with public_storage().open("features/movement-monday.json") as fh:
        assert json.loads(fh.read())["entries"] == []


def test_shortlisting_builds_this_weeks_feature_until_it_is_due_then_next_weeks(campaign: Any) -> None:
    from moderation.selectors import shortlist_week

    campaign.feature_weekday, campaign.feature_hour = 0, 12  # Mondays 12:00 Berlin
    campaign.save()
    monday_morning = dt.datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)  # 2026-W49
    wednesday = dt.datetime(2026, 12, 2, 15, 0, tzinfo=BERLIN)
    assert shortlist_week(campaign=campaign, now=monday_morning) == (2026, 49)
    assert shortlist_week(campaign=campaign, now=wednesday) == (2026, 50)


def test_entry_shortlisted_after_the_due_hour_waits_for_next_weeks_feature(
    moderator: Any, fan: Any, campaign: Any
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    item = entry_shortlist(actor=moderator, entry_id=entry.pk)
    due = campaign.feature_due_at(item.iso_year, item.iso_week)
    assert due > timezone.now()  # never a week whose publication has already passed
    assert features_publish_due(now=timezone.now()) == []
    assert [f.week_label for f in features_publish_due(now=due)] == [f"{item.iso_year}-W{item.iso_week:02d}"]


def test_one_campaign_failing_to_publish_does_not_hold_up_the_others(
    moderator: Any, fan: Any, campaign: Any, brand: Any, monkeypatch: Any
) -> None:
    from moderation.services import features as services
    from tests.factories import CampaignFactory

    other = CampaignFactory.create(brand=brand, slug="spin-sunday", hashtag="#SpinSunday")
    for c, seed in ((campaign, 1), (other, 2)):
        entry = approved_entry(author=fan, campaign=c, moderator=moderator, seed=seed)
        entry_shortlist(actor=moderator, entry_id=entry.pk)
    real = services.feature_publish

    def flaky(*, campaign: Any, **kwargs: Any) -> Any:
        if campaign.slug == "movement-monday":
            raise ConnectionError("database hiccup")
        return real(campaign=campaign, **kwargs)

    monkeypatch.setattr(services, "feature_publish", flaky)
    item = ShortlistItem.objects.filter(campaign=other).get()
    due = max(c.feature_due_at(item.iso_year, item.iso_week) for c in (campaign, other))
    published = features_publish_due(now=due + dt.timedelta(hours=1))
    assert [f.campaign.slug for f in published] == ["spin-sunday"]
