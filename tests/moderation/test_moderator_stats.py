"""The moderator stats page: pace per active hour, seconds per entry, mix, undo rate, the chart."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from campaigns.models import Campaign
from moderation.models import Decision
from moderation.stats import moderator_stats, period_for
from submissions.models import Entry
from tests.factories import CampaignFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/console/northern-lights/moderators/"
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def decide(
    moderator: User,
    at: dt.datetime,
    *,
    campaign: Campaign,
    action: str = "approve",
    undone: bool = False,
    bulk: uuid.UUID | None = None,
) -> Decision:
    """A decision made at `at` on a fresh entry of `campaign` (no media: the figures need none)."""
    entry = Entry.objects.create(
        campaign=campaign,
        author=UserFactory.create(),
        alt_text="A fan dancing",
        original="originals/none.jpg",
        consent_version=1,
        consent_given_at=at,
        state="approved" if action == "approve" else "rejected",
    )
    return Decision.objects.create(
        entry=entry,
        moderator=moderator,
        action=action,
        created_at=at,
        effective_at=at + dt.timedelta(seconds=10),
        applied_at=None if undone else at + dt.timedelta(seconds=10),
        undone_at=at + dt.timedelta(seconds=5) if undone else None,
        undone_by=moderator if undone else None,
        bulk_id=bulk,
    )


@pytest.fixture
def second_moderator(brand: Any) -> User:
    user = UserFactory.create(email="bea@northern.test", display_name="Bea")
    MembershipFactory.create(user=user, brand=brand, role=Role.MODERATOR)
    return user


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def test_sessions_split_at_five_minutes_and_pace_counts_active_time(
    moderator: User, second_moderator: User, campaign: Campaign
) -> None:
    # Mo: gaps of 10, 20 and 30 s, then an hour off, then one gap of 40 s: two sessions.
    for offset in (0, 10, 30, 60, 3600, 3640):
        decide(moderator, T0 + seconds(offset), campaign=campaign)
    # Bea decides once: no gap of her own.
    decide(second_moderator, T0 + seconds(7200), campaign=campaign)

    stats = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW))

    mo = stats.of(moderator.pk)
    assert mo is not None
    assert mo.sessions == 2
    assert mo.median_seconds == 25
    # 100 s of gaps plus the first entry of each session at the median (2 × 25 s).
    assert mo.active_seconds == 150
    assert mo.per_active_hour == pytest.approx(6 / (150 / 3600))
    bea = stats.of(second_moderator.pk)
    assert bea is not None
    assert bea.sessions == 1
    assert bea.median_seconds is None
    assert bea.active_seconds == 25  # her one entry at the team's median
    assert stats.team.sessions == 3
    assert stats.team.median_seconds == 25
    assert stats.team.active_seconds == 175
    assert stats.team.per_active_hour == pytest.approx(7 / (175 / 3600))
    assert [f.moderator for f in stats.moderators] == [moderator, second_moderator]


def test_decisions_exactly_five_minutes_apart_start_a_new_session(moderator: User, campaign: Campaign) -> None:
    for offset in (0, 299, 599):
        decide(moderator, T0 + seconds(offset), campaign=campaign)

    mo = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW)).of(moderator.pk)

    assert mo is not None
    assert mo.sessions == 2
    assert mo.gaps == [299]


def test_fractions_of_a_second_are_kept(moderator: User, campaign: Campaign) -> None:
    for offset in (0, 1.25, 2.5, 5.0):
        decide(moderator, T0 + seconds(offset), campaign=campaign)

    mo = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW)).of(moderator.pk)

    assert mo is not None
    assert mo.gaps == pytest.approx([1.25, 1.25, 2.5], abs=1e-6)
    assert mo.median_seconds == pytest.approx(1.25, abs=1e-6)


def test_undone_decisions_count_in_the_undo_rate_but_not_in_the_mix(
    moderator: User, second_moderator: User, campaign: Campaign
) -> None:
    for offset, action in ((0, "approve"), (10, "approve"), (20, "reject"), (30, "approve")):
        decide(moderator, T0 + seconds(offset), campaign=campaign, action=action)
    decide(moderator, T0 + seconds(40), campaign=campaign, action="reject", undone=True)
    decide(second_moderator, T0, campaign=campaign, action="reject")

    stats = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW))

    mo = stats.of(moderator.pk)
    assert mo is not None
    assert (mo.made, mo.undone, mo.approved, mo.rejected) == (5, 1, 3, 1)
    assert mo.undo_rate == pytest.approx(0.2)
    assert mo.approve_share == pytest.approx(0.75)
    assert stats.team.approve_share == pytest.approx(3 / 5)
    assert stats.team.undo_rate == pytest.approx(1 / 6)


def test_a_bulk_action_counts_per_entry_but_is_one_step_in_the_timeline(moderator: User, campaign: Campaign) -> None:
    bulk = uuid.uuid4()
    decide(moderator, T0, campaign=campaign)
    for _ in range(3):
        decide(moderator, T0 + seconds(20), campaign=campaign, action="reject", bulk=bulk)
    decide(moderator, T0 + seconds(50), campaign=campaign)

    mo = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW)).of(moderator.pk)

    assert mo is not None
    assert (mo.decisions, mo.bulk, mo.rejected) == (5, 3, 3)
    # The 20 s before the bulk action are active time but not one entry's time.
    assert mo.gaps == [30]
    assert mo.active_seconds == 50 + 30


def test_undoing_part_of_a_bulk_action_counts_each_undone_entry(moderator: User, campaign: Campaign) -> None:
    bulk = uuid.uuid4()
    for undone in (False, False, True):
        decide(moderator, T0, campaign=campaign, action="reject", bulk=bulk, undone=undone)

    mo = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW)).of(moderator.pk)

    assert mo is not None
    assert (mo.made, mo.undone, mo.bulk, mo.rejected) == (3, 1, 2, 2)
    assert mo.undo_rate == pytest.approx(1 / 3)
    assert mo.sessions == 1
    assert mo.gaps == []


def test_other_brands_older_decisions_and_removals_are_left_out(
    moderator: User, campaign: Campaign, other_brand: Any
) -> None:
    decide(moderator, T0, campaign=campaign)
    decide(moderator, T0 + seconds(5), campaign=CampaignFactory.create(brand=other_brand))
    decide(moderator, NOW - dt.timedelta(days=8), campaign=campaign)
    decide(moderator, T0 + seconds(9), campaign=campaign, action="remove")

    stats = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW))

    assert stats.team.made == 1
    assert stats.team.sessions == 1


def test_periods_start_at_a_whole_hour_or_midnight() -> None:
    day = period_for(key="24h", now=NOW + dt.timedelta(minutes=17))
    assert day.since == dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)
    assert len(day.buckets) == 24
    assert day.buckets[-1] == dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    week = period_for(key="7d", now=NOW)
    assert week.since == dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    assert week.buckets[-1] == dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    assert period_for(key="nonsense", now=NOW).key == "7d"
    assert len(period_for(key="30d", now=NOW).buckets) == 30


def test_chart_buckets_hold_each_days_standing_decisions(moderator: User, campaign: Campaign) -> None:
    decide(moderator, T0, campaign=campaign)
    decide(moderator, T0 + seconds(30), campaign=campaign, action="reject")
    decide(moderator, T0 + seconds(60), campaign=campaign, action="reject", undone=True)
    decide(moderator, NOW - dt.timedelta(minutes=5), campaign=campaign)

    stats = moderator_stats(brand=campaign.brand, period=period_for(key="7d", now=NOW))

    days = {at.date(): tuple(counts) for at, counts in stats.team.per_bucket.items()}
    assert days == {dt.date(2026, 11, 24): (1, 1), dt.date(2026, 11, 25): (1, 0)}


# --- The page -----------------------------------------------------------------------------------
def page(user: User, query: str = "") -> Any:
    client = Client()
    client.force_login(user)
    return client.get(PAGE + query)


def cells(html: str, name: str) -> list[str]:
    """The cells of the stats table row whose header is `name`, as text."""
    row = re.search(
        rf"<tr[^>]*>\s*<th scope=\"row\">(?:<a [^>]*>)?{re.escape(name)}(?:</a>)?</th>(.*?)</tr>", html, re.S
    )
    assert row, f"no row for {name}"
    found = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", c).replace("\N{NO-BREAK SPACE}", " ").strip() for c in found]


def test_analyst_reads_each_moderators_figures(
    analyst: User, moderator: User, second_moderator: User, campaign: Campaign
) -> None:
    now = timezone.now()
    for offset in (0, 10, 30):
        decide(moderator, now - dt.timedelta(hours=1) + seconds(offset), campaign=campaign)
    decide(second_moderator, now - dt.timedelta(hours=1), campaign=campaign, action="reject")
    decide(second_moderator, now - dt.timedelta(hours=1) + seconds(20), campaign=campaign, undone=True)

    response = page(analyst)

    assert response.status_code == 200
    html = response.content.decode()
    # Decisions, in bulk, sessions, active time, per hour, median, approved, against team, undone,
    # overturned on appeal
    # Mo: gaps of 10 and 20 s, so 30 s plus the first entry at the 15 s median.
    assert cells(html, moderator.display_name) == [
        "3",
        "0",
        "1",
        "45 s",
        "240",
        "15.0 s",
        "100%",
        "+25 pts",
        "0%",
        "–",
    ]
    # Bea's undone decision still took her time: one gap of 20 s, one decision standing.
    assert cells(html, "Bea") == [
        "1",
        "0",
        "1",
        "40 s",
        "90",
        "20.0 s",
        "0%",
        "−75 pts",
        "50% (1)",
        "–",
    ]
    assert "less than 5 minutes apart" in html
    assert "45\N{NO-BREAK SPACE}s" in html  # a narrow screen never wraps a unit away from its number


def test_choosing_a_moderator_highlights_them_in_the_chart(
    brand_admin: User, moderator: User, campaign: Campaign
) -> None:
    decide(moderator, timezone.now() - dt.timedelta(minutes=30), campaign=campaign)

    html = page(brand_admin, f"?period=24h&moderator={moderator.pk}").content.decode()

    assert f"Moderators: {moderator.display_name}" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert '<title id="chart-title">Decisions per hour, last 24 hours</title>' in svg
    assert f"Narrow bars in front: {moderator.display_name}, 1 approved, 0 rejected." in svg
    assert svg.count('class="mine-approve"') == 1
    assert "style=" not in svg


def test_the_chart_table_lists_each_hour_for_the_team_and_the_chosen_moderator(
    brand_admin: User, moderator: User, second_moderator: User, campaign: Campaign
) -> None:
    # Ten past the previous hour: all three in one hour's bucket, whatever the time now.
    hour_ago = timezone.now().replace(minute=10, second=0, microsecond=0) - dt.timedelta(hours=1)
    decide(moderator, hour_ago, campaign=campaign)
    decide(second_moderator, hour_ago + seconds(5), campaign=campaign, action="reject")
    decide(second_moderator, hour_ago + seconds(9), campaign=campaign)

    html = page(brand_admin, f"?period=24h&moderator={second_moderator.pk}").content.decode()

    table = html[html.index('class="chart-data"') :]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">([^<]+)</th>(.*?)</tr>", table, re.S)
    assert len(rows) == 24
    counts = {label: re.findall(r"<td[^>]*>(\d+)</td>", cells) for label, cells in rows}
    label = timezone.localtime(hour_ago).strftime("%H:00")
    assert counts[label] == ["2", "1", "1", "1"]  # team approved, rejected; Bea approved, rejected
    assert sum(int(c[0]) + int(c[1]) for c in counts.values()) == 3


def test_a_member_without_decisions_shows_with_no_figures(brand_admin: User, analyst: User) -> None:
    html = page(brand_admin, f"?moderator={analyst.pk}").content.decode()

    assert cells(html, analyst.display_name)[:6] == ["0", "0", "0", "–", "–", "–"]


def test_people_outside_the_brand_cannot_be_looked_up(brand_admin: User, outsider: User, other_brand: Any) -> None:
    # The outsider moderates their own brand: nothing of it shows here.
    decide(outsider, timezone.now() - dt.timedelta(minutes=30), campaign=CampaignFactory.create(brand=other_brand))

    response = page(brand_admin, f"?moderator={outsider.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Showing the whole team" in html
    assert outsider.email not in html
    assert outsider.display_name not in html
    assert page(brand_admin, "?moderator=nobody").status_code == 404


def test_a_former_moderators_link_still_shows_their_decisions(brand_admin: User, campaign: Campaign) -> None:
    former = UserFactory.create(display_name="Former Fay")  # decided here, no longer a member
    decide(former, timezone.now() - dt.timedelta(days=2), campaign=campaign)

    assert "Moderators: Former Fay" in page(brand_admin, f"?moderator={former.pk}").content.decode()
    assert "Showing the whole team" in page(brand_admin, f"?moderator={former.pk}&period=24h").content.decode()


def test_outsider_gets_404(outsider: User, moderator: User, campaign: Campaign) -> None:
    decide(moderator, timezone.now() - dt.timedelta(minutes=30), campaign=campaign)

    assert page(outsider).status_code == 404


def test_the_brand_home_links_to_the_stats(analyst: User) -> None:
    client = Client()
    client.force_login(analyst)

    assert f'href="{PAGE}"' in client.get("/console/northern-lights/").content.decode()
