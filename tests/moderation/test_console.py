"""The brand console: brands, the keyboard-driven queue and the weekly feature page."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any, cast

import pytest
from django.conf import settings
from django.http import StreamingHttpResponse
from django.test import Client

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import Decision, Feature, ShortlistItem
from moderation.services import entry_shortlist
from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import entry_create, entry_process
from tests.helpers import decide_now, pending_entry, undo_window_passes

pytestmark = pytest.mark.django_db

QUEUE = "/console/northern-lights/queue/"
FEATURE = "/console/northern-lights/campaigns/movement-monday/feature/"


def pending(*, author: User, campaign: Campaign, seed: int = 1, caption: str = "My moves") -> Entry:
    return pending_entry(
        author=author, campaign=campaign, seed=seed, caption=caption, alt_text=f"A fan dancing, take {seed}"
    )


def approved(*, author: User, campaign: Campaign, moderator: User, seed: int = 1) -> Entry:
    entry = pending(author=author, campaign=campaign, seed=seed)
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    entry.refresh_from_db()
    return entry


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Brands -----------------------------------------------------------------------------------------
def test_console_home_lists_my_brands_with_my_role(client: Client, moderator: User, outsider: User) -> None:
    response = login(client, moderator).get("/console/")
    assert response.status_code == 200
    assert b'href="/console/northern-lights/"' in response.content
    assert b"Moderator" in response.content
    assert b"Rival Records" not in response.content


def test_anonymous_visitor_is_sent_to_log_in(client: Client, brand: Any) -> None:
    response = client.get("/console/northern-lights/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_brand_page_lists_campaigns_with_counts(
    client: Client, brand_admin: User, moderator: User, fan: User, campaign: Campaign
) -> None:
    pending(author=fan, campaign=campaign, seed=1)
    pending(author=fan, campaign=campaign, seed=2)
    approved(author=fan, campaign=campaign, moderator=moderator, seed=3)
    response = login(client, brand_admin).get("/console/northern-lights/")
    assert response.status_code == 200
    row = response.context["rows"][0]
    assert row["campaign"].hashtag == "#MovementMonday"
    assert (row["campaign"].pending_count, row["campaign"].approved_count, row["campaign"].featured_count) == (2, 1, 0)
    assert row["status"][0] == "open"
    assert b"/console/northern-lights/campaigns/new/" in response.content
    assert b"/console/northern-lights/campaigns/movement-monday/edit/" in response.content
    assert FEATURE.encode() in response.content


def test_moderator_sees_no_campaign_admin_links(client: Client, moderator: User, campaign: Campaign) -> None:
    response = login(client, moderator).get("/console/northern-lights/")
    assert b"/campaigns/new/" not in response.content
    assert b"/edit/" not in response.content
    assert QUEUE.encode() in response.content


# --- The queue --------------------------------------------------------------------------------------
def test_moderator_sees_the_next_entry_and_approves_it(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign, caption="Kitchen moonwalk")
    login(client, moderator)
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert page["Cache-Control"] == "private, no-store"
    html = page.content.decode()
    assert "Kitchen moonwalk" in html
    assert 'alt="A fan dancing, take 1"' in html
    assert "Dancing Fan" in html
    assert "#MovementMonday" in html
    assert "1. It is your own work." in html
    assert "<code>own-work</code>" in html
    assert page.context["pending_count"] == 1
    entry.refresh_from_db()
    assert entry.claimed_by == moderator

    response = client.post(f"{QUEUE}{entry.pk}/decide/", {"action": "approve"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    undo_window_passes()
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert Decision.objects.get(entry=entry).moderator == moderator


def test_queue_picture_is_the_largest_private_rendition(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    page = login(client, moderator).get(QUEUE)
    largest = page.context["picture"]["largest"]
    biggest = entry.renditions.filter(format="jpeg").order_by("-width").first()
    assert biggest is not None
    assert largest["width"] == biggest.width
    if settings.USE_S3:  # a presigned GET of the private object
        assert biggest.name in largest["url"]
        assert "X-Amz-Signature=" in largest["url"]
    else:  # a signed link to Fanfare's private-media view
        assert largest["url"].startswith("/private-media/")
    assert f'src="{html.escape(largest["url"])}"'.encode() in page.content


def test_rejecting_cites_the_ticked_guidelines_and_keeps_the_note(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    login(client, moderator).get(QUEUE)
    response = client.post(
        f"{QUEUE}{entry.pk}/decide/", {"action": "reject", "guidelines": ["safe", "no-ads"], "note": "Too risky"}
    )
    assert response.status_code == 302
    undo_window_passes()
    entry.refresh_from_db()
    assert entry.state == "rejected"
    decision = Decision.objects.get(entry=entry)
    assert sorted(g.code for g in decision.guidelines.all()) == ["no-ads", "safe"]
    assert decision.note == "Too risky"


def test_rejecting_without_a_guideline_shows_the_error_and_leaves_the_entry_pending(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    login(client, moderator).get(QUEUE)
    response = client.post(f"{QUEUE}{entry.pk}/decide/", {"action": "reject", "note": "Keep me"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="guidelines-error"' in html
    assert "Cite at least one guideline" in html
    assert "Keep me" in html  # the note survives the round trip
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert not Decision.objects.exists()


def test_two_moderators_get_different_entries(
    client: Client, moderator: User, brand_admin: User, fan: User, campaign: Campaign
) -> None:
    pending(author=fan, campaign=campaign, seed=1)
    pending(author=fan, campaign=campaign, seed=2)
    first = login(client, moderator).get(QUEUE).context["entry"]
    second = login(Client(), brand_admin).get(QUEUE).context["entry"]
    assert first.pk != second.pk


def test_reloading_the_queue_shows_the_entry_already_held(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    pending(author=fan, campaign=campaign, seed=1)
    pending(author=fan, campaign=campaign, seed=2)
    login(client, moderator)
    assert client.get(QUEUE).context["entry"].pk == client.get(QUEUE).context["entry"].pk


def test_a_decided_entry_cannot_be_decided_again(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    login(client, moderator).get(QUEUE)
    client.post(f"{QUEUE}{entry.pk}/decide/", {"action": "approve"})
    undo_window_passes()
    response = client.post(f"{QUEUE}{entry.pk}/decide/", {"action": "reject", "guidelines": ["safe"]}, follow=True)
    assert response.status_code == 200
    assert any("already approved" in m for m in messages_of(response))
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert Decision.objects.filter(entry=entry).count() == 1


def test_an_entry_another_moderator_holds_cannot_be_decided(
    client: Client, moderator: User, brand_admin: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    login(Client(), brand_admin).get(QUEUE)
    response = login(client, moderator).post(f"{QUEUE}{entry.pk}/decide/", {"action": "approve"}, follow=True)
    assert any("Another moderator" in m for m in messages_of(response))
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_skip_hands_the_entry_to_another_moderator(
    client: Client, moderator: User, brand_admin: User, fan: User, campaign: Campaign
) -> None:
    first = pending(author=fan, campaign=campaign, seed=1)
    second = pending(author=fan, campaign=campaign, seed=2)
    login(client, moderator)
    assert client.get(QUEUE).context["entry"] == first

    response = client.post(f"{QUEUE}{first.pk}/skip/", follow=True)
    assert response.context["entry"] == second  # the next one, straight away
    first.refresh_from_db()
    assert first.claimed_by is None  # free for others, not parked with the moderator

    admin = login(Client(), brand_admin)
    assert admin.get(QUEUE).context["entry"] == first

    response = client.post(f"{QUEUE}{second.pk}/skip/", follow=True)
    assert response.context["entry"] is None
    assert response.context["front_skipped"] is True


def test_reviewing_skipped_entries_brings_them_back(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    login(client, moderator).get(QUEUE)
    client.post(f"{QUEUE}{entry.pk}/skip/")
    response = client.get(f"{QUEUE}?skipped=review", follow=True)
    assert response.context["entry"] == entry


def test_empty_queue_says_so(client: Client, moderator: User, campaign: Campaign) -> None:
    response = login(client, moderator).get(QUEUE)
    assert response.status_code == 200
    assert b"Queue is empty" in response.content
    # The script still runs: it looks for new entries and switches views.
    assert b"js/console/queue.js" in response.content


def test_queue_shows_keyboard_shortcuts_and_loads_the_script(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    pending(author=fan, campaign=campaign)
    html = login(client, moderator).get(QUEUE).content.decode()
    assert 'type="module"' in html
    assert "js/console/queue.js" in html
    for key in ("a", "r", "s", "z", "x", "j", "1"):
        assert f"<kbd>{key}</kbd>" in html
    assert 'data-number="1"' in html


def test_queue_page_gives_its_script_the_brand_the_undo_window_and_the_campaigns(
    client: Client, moderator: User, fan: User, campaign: Campaign, settings: Any
) -> None:
    settings.MODERATION_UNDO_SECONDS = 12
    pending(author=fan, campaign=campaign)
    page = login(client, moderator).get(f"{QUEUE}?view=done&kind=photo&campaign=nope&layout=grid")
    block = re.search(r'id="queue-config"[^>]*>(.*?)</script>', page.content.decode(), re.S)
    assert block is not None
    config = json.loads(html.unescape(block[1]))
    assert config["brand"] == "northern-lights"
    assert config["undo_seconds"] == 12
    assert config["me"] == moderator.email
    assert config["csrf_token"]
    assert (config["view"], config["layout"]) == ("done", "grid")
    assert config["filters"] == {"campaign": "", "kind": "photo", "q": ""}  # an unknown campaign: all
    assert config["campaigns"] == [{"slug": "movement-monday", "hashtag": "#MovementMonday", "title": campaign.title}]
    assert config["counts"]["pending"] == 1
    assert config["entry_url"] == "/console/northern-lights/entries/00000000-0000-0000-0000-000000000000/"


def test_analyst_cannot_open_the_queue(client: Client, analyst: User, fan: User, campaign: Campaign) -> None:
    entry = pending(author=fan, campaign=campaign)
    assert login(client, analyst).get(QUEUE).status_code == 404
    entry.refresh_from_db()
    assert entry.claimed_by is None


def test_entry_of_another_brand_cannot_be_decided_through_this_brand(
    client: Client, moderator: User, outsider: User, other_brand: Any, fan: User
) -> None:
    from tests.factories import CampaignFactory

    theirs = pending(author=fan, campaign=CampaignFactory.create(brand=other_brand))
    response = login(client, moderator).post(f"{QUEUE}{theirs.pk}/decide/", {"action": "approve"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "pending"


# --- The weekly feature -------------------------------------------------------------------------------
def test_feature_page_shows_the_week_and_when_it_is_due(client: Client, moderator: User, campaign: Campaign) -> None:
    from moderation.selectors import shortlist_week

    year, week = shortlist_week(campaign=campaign)
    response = login(client, moderator).get(FEATURE)
    assert response.status_code == 200
    assert f"{year}-W{week:02d}".encode() in response.content
    due = campaign.feature_due_at(year, week)
    assert due.strftime("%d %b %Y, %H:%M").lstrip("0").encode() in response.content
    assert b"Europe/Berlin" in response.content


def test_moderator_shortlists_and_unshortlists_from_the_feature_page(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = approved(author=fan, campaign=campaign, moderator=moderator)
    login(client, moderator)
    page = client.get(FEATURE)
    assert f'alt="{entry.alt_text}"'.encode() in page.content
    assert f"{FEATURE}{entry.pk}/shortlist/".encode() in page.content

    response = client.post(f"{FEATURE}{entry.pk}/shortlist/")
    assert response.status_code == 302
    assert response["Location"] == f"{FEATURE}#entry-{entry.pk}"
    assert ShortlistItem.objects.filter(entry=entry).exists()
    page = client.get(FEATURE)
    assert [row["item"].entry for row in page.context["shortlist"]] == [entry]
    assert page.context["shortlist"][0]["in_feature"] is True

    client.post(f"{FEATURE}{entry.pk}/unshortlist/")
    assert not ShortlistItem.objects.filter(entry=entry).exists()


def test_shortlisting_a_pending_entry_shows_a_message(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = pending(author=fan, campaign=campaign)
    response = login(client, moderator).post(f"{FEATURE}{entry.pk}/shortlist/", follow=True)
    assert response.status_code == 200
    assert any("Only approved entries" in m for m in messages_of(response))
    assert not ShortlistItem.objects.exists()


def test_admin_publishes_the_weeks_feature_from_the_feature_page(
    client: Client, brand_admin: User, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = approved(author=fan, campaign=campaign, moderator=moderator)
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    login(client, brand_admin)
    assert b"Publish this week" in client.get(FEATURE).content

    response = client.post(f"{FEATURE}publish/", follow=True)
    assert response.status_code == 200
    feature = Feature.objects.get(campaign=campaign)
    assert feature.published_by == brand_admin
    entry.refresh_from_db()
    assert entry.state == "featured"
    assert any(f"week {feature.week_label}" in m for m in messages_of(response))
    assert [f.entries_count for f in response.context["features"]] == [1]
    assert b"Publish this week" not in response.content


def test_publishing_an_empty_shortlist_shows_a_message(client: Client, brand_admin: User, campaign: Campaign) -> None:
    response = login(client, brand_admin).post(f"{FEATURE}publish/", follow=True)
    assert response.status_code == 200
    assert any("Nothing is shortlisted" in m for m in messages_of(response))
    assert not Feature.objects.exists()


def test_moderator_cannot_publish_the_feature(client: Client, moderator: User, fan: User, campaign: Campaign) -> None:
    entry = approved(author=fan, campaign=campaign, moderator=moderator)
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    login(client, moderator)
    assert b"Publish this week" not in client.get(FEATURE).content
    assert client.post(f"{FEATURE}publish/").status_code == 404
    assert not Feature.objects.exists()


def test_removing_after_a_report_needs_a_guideline(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    entry = approved(author=fan, campaign=campaign, moderator=moderator)
    response = login(client, moderator).post(f"{FEATURE}{entry.pk}/remove/", {"note": "Reported twice"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="rm-{entry.pk}-error"' in html
    assert "Cite at least one guideline" in html
    assert "Reported twice" in html
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_moderator_removes_an_entry_after_a_report(
    client: Client, moderator: User, fan: User, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    entry = approved(author=fan, campaign=campaign, moderator=moderator)
    with django_capture_on_commit_callbacks(execute=True):  # public files go after the commit
        response = login(client, moderator).post(f"{FEATURE}{entry.pk}/remove/", {"guidelines": ["own-work"]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "removed"
    assert entry.renditions.exclude(public_name="").count() == 0
    assert Decision.objects.filter(entry=entry, action="remove").exists()


def test_analyst_reads_the_feature_page_without_buttons(
    client: Client, analyst: User, moderator: User, fan: User, campaign: Campaign
) -> None:
    approved(author=fan, campaign=campaign, moderator=moderator)
    response = login(client, analyst).get(FEATURE)
    assert response.status_code == 200
    assert b"/shortlist/" not in response.content
    assert b"/remove/" not in response.content
    assert b"Publish this week" not in response.content


def test_queue_shows_what_the_original_carries_and_moderators_can_open_it(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    data = sample_photo(seed=50, with_gps=True)
    entry = entry_create(
        author=fan, campaign=campaign, upload=io.BytesIO(data), size=len(data), alt_text="A dancer", consent=True
    )
    entry_process(entry_id=entry.pk)
    page = login(client, moderator).get(QUEUE).content.decode()
    assert "FanfareCam Model 7 Serial 12345" in page
    assert "carries a location" in page
    response = client.get(f"/console/northern-lights/entries/{entry.pk}/original/")
    assert response.status_code == 302
    original = client.get(response["Location"]) if response["Location"].startswith("/") else None
    if original is not None:  # local storage: Fanfare serves the signed link itself
        streamed = cast(StreamingHttpResponse, original)  # a FileResponse; the test client's type says less
        assert b"FanfareCam" in streamed.getvalue()
        original.close()


def test_fans_cannot_open_originals(client: Client, fan: User, campaign: Campaign) -> None:
    entry = pending(author=fan, campaign=campaign)
    client.force_login(fan)
    assert client.get(f"/console/northern-lights/entries/{entry.pk}/original/").status_code == 404


def test_queue_flags_a_repeated_entry_with_a_link_to_the_earlier_one(
    client: Client, moderator: User, fan: User, other_fan: User, campaign: Campaign
) -> None:
    data = sample_photo(seed=51)
    for author in (fan, other_fan):
        entry = entry_create(
            author=author, campaign=campaign, upload=io.BytesIO(data), size=len(data), alt_text="x", consent=True
        )
        entry_process(entry_id=entry.pk)
    first = Entry.objects.order_by("created_at").first()
    assert first is not None
    login(client, moderator)
    client.post(f"{QUEUE}{first.pk}/decide/", {"action": "approve"})
    page = client.get(QUEUE).content.decode()
    assert "Same file as" in page
    assert f"/e/{first.pk}/" in page


def test_queue_page_claims_for_its_view_and_filters(
    client: Client, moderator: User, fan: User, campaign: Campaign
) -> None:
    plain = pending(author=fan, campaign=campaign, seed=1)
    flagged = pending(author=fan, campaign=campaign, seed=2)
    Entry.objects.filter(pk=flagged.pk).update(flags=[{"kind": "rule", "rule": "caption-link"}])
    login(client, moderator)

    done = client.get(f"{QUEUE}?view=done")
    assert done.status_code == 200
    assert done.context["entry"] is None  # Done is a list the script loads: nothing is claimed
    assert not Entry.objects.filter(claimed_by=moderator).exists()

    page = client.get(f"{QUEUE}?view=flagged")
    assert page.context["entry"] == flagged
    assert page.context["counts"] == {"pending": 2, "flagged": 1, "done": 0, "appeals": 0, "reported": 0}
    assert b'aria-current="page" aria-keyshortcuts="g f"' in page.content
    assert list(Entry.objects.filter(claimed_by=moderator)) == [flagged]

    videos = client.get(f"{QUEUE}?kind=video")
    assert videos.context["entry"] is None
    assert videos.context["counts"]["pending"] == 0
    assert Entry.objects.get(pk=plain.pk).claimed_by is None
