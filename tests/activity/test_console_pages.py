"""The audit trail in the console: the brand's activity page and an entry's page with its timeline."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client

from accounts.models import Brand, User
from activity.models import Activity
from campaigns.models import Campaign
from moderation.services import entry_decide
from submissions.models import Entry
from tests.helpers import approved_entry, pending_entry

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(user: User, path: str, status: int = 200) -> str:
    response = _client(user).get(path)
    assert response.status_code == status, path
    assert response["Cache-Control"] == "private, no-store"
    return html.unescape(response.content.decode())


@pytest.fixture
def rejected(campaign: Campaign, fan: User, moderator: User) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign)
    entry_decide(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"], note="Too risky")
    return entry


def test_the_activity_page_lists_records_with_exports_carrying_the_filters(brand: Brand, analyst: User) -> None:
    for n in range(3):
        Activity.objects.create(
            brand_id=brand.pk, at=DAY + dt.timedelta(minutes=n), actor="mod@northern.test", actor_id=1,
            verb=f"entry.{'approved' if n else 'rejected'}", target_type="entry", target_id=f"t{n}",
            snapshot={"guidelines": ["safe"]} if not n else {},
        )  # fmt: skip
    page = _page(analyst, f"/console/{brand.slug}/activity/?since=2026-11-20&verb=entry.appr")
    assert "<strong>2</strong> records match the filters" in page
    assert "t1" in page
    assert "t2" in page
    assert "t0" not in page
    assert f'/api/v1/brands/{brand.slug}/activity/export.csv?since=2026-11-20&verb=entry.appr"' in page
    assert f'/api/v1/brands/{brand.slug}/activity/export.jsonl?since=2026-11-20&verb=entry.appr"' in page
    everything = _page(analyst, f"/console/{brand.slug}/activity/")
    assert '{"guidelines": ["safe"]}' in everything


def test_the_activity_page_pages_through_older_records_keeping_the_filters(brand: Brand, brand_admin: User) -> None:
    Activity.objects.bulk_create(
        Activity(brand_id=brand.pk, at=DAY + dt.timedelta(seconds=n), actor="system:processing",
                 verb="entry.processed", target_type="entry", target_id=f"n{n:03d}")
        for n in range(60)
    )  # fmt: skip
    first = _page(brand_admin, f"/console/{brand.slug}/activity/?actor=system")
    assert "Page 1 of 2" in first
    assert "n059" in first
    assert "n009" not in first
    assert 'href="?actor=system&page=2"' in first
    second = _page(brand_admin, f"/console/{brand.slug}/activity/?actor=system&page=2")
    assert "n009" in second
    assert "n059" not in second


def test_a_filter_the_page_cannot_read_is_shown_next_to_its_field(brand: Brand, analyst: User) -> None:
    page = _page(analyst, f"/console/{brand.slug}/activity/?since=last+week", status=400)
    assert 'id="id_since_error"' in page
    assert "Give a date (2026-11-25)" in page
    assert "Export CSV" not in page


def test_a_range_that_ends_before_it_starts_is_pointed_out_at_its_end(brand: Brand, analyst: User) -> None:
    page = _page(analyst, f"/console/{brand.slug}/activity/?since=2026-11-20&until=2026-11-19", status=400)
    assert 'id="id_until_error"' in page
    assert "The end must come after the start." in page


def test_moderators_and_outsiders_do_not_get_the_activity_page(brand: Brand, moderator: User, outsider: User) -> None:
    for person in (moderator, outsider):
        assert _client(person).get(f"/console/{brand.slug}/activity/").status_code == 404


def test_the_brand_home_links_the_activity_page_for_those_who_may_read_it(
    brand: Brand, brand_admin: User, analyst: User, moderator: User
) -> None:
    link = f'href="/console/{brand.slug}/activity/"'
    for person, shown in ((brand_admin, True), (analyst, True), (moderator, False)):
        response = _client(person).get(f"/console/{brand.slug}/")
        assert response.status_code == 200
        assert (link in response.content.decode()) is shown, person


def test_an_entrys_page_shows_its_picture_decision_and_timeline(
    rejected: Entry, brand: Brand, moderator: User, analyst: User
) -> None:
    for person in (moderator, analyst):
        page = _page(person, f"/console/{brand.slug}/entries/{rejected.pk}/")
        assert "Entry by Dancing Fan" in page
        assert 'class="state state-pending"' in page or 'class="state state-rejected"' in page
        assert "<img" in page
        assert 'alt="A fan dancing"' in page
        decisions = page.split('id="decisions-heading"')[1].split('id="timeline-heading"')[0]
        assert "Reject" in decisions
        assert moderator.email in decisions
        assert "<code>safe</code>" in decisions
        assert "Too risky" in decisions
        timeline = page.split('id="timeline-heading"')[1]
        assert "entry.processed" in timeline
        assert "decision.made" in timeline
        assert "system:processing" in timeline
    assert "Open the original file" in _page(moderator, f"/console/{brand.slug}/entries/{rejected.pk}/")
    assert "Open the original file" not in _page(analyst, f"/console/{brand.slug}/entries/{rejected.pk}/")


def test_an_entrys_page_is_404_outside_its_brand(rejected: Entry, brand: Brand, outsider: User, fan: User) -> None:
    for person in (outsider, fan):
        assert _client(person).get(f"/console/{brand.slug}/entries/{rejected.pk}/").status_code == 404
    assert _client(outsider).get(f"/console/rival-records/entries/{rejected.pk}/").status_code == 404


def test_the_feature_page_leads_moderators_to_each_entrys_history(
    campaign: Campaign, brand: Brand, fan: User, moderator: User
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    page = _page(moderator, f"/console/{brand.slug}/campaigns/{campaign.slug}/feature/")
    assert f'href="/console/{brand.slug}/entries/{entry.pk}/"' in page
