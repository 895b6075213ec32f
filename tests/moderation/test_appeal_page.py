"""The fan's side of appeals: the "Appeal" button on My entries and the appeal page."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import Appeal
from moderation.services import appeal_decide, appeal_file
from submissions.models import Entry
from tests.helpers import decide_now, pending_entry


@pytest.fixture
def rejected(fan: User, campaign: Campaign, moderator: User) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign, seed=3)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
    return entry


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_entries_offers_an_appeal_with_its_deadline(rejected: Entry, fan: User) -> None:
    page = logged_in(fan).get("/me/entries/").content.decode()
    assert f"/me/entries/{rejected.pk}/appeal/" in page
    assert "You can appeal until" in page


def test_the_fan_appeals_from_the_page_and_sees_the_outcome(rejected: Entry, fan: User, brand_admin: User) -> None:
    client = logged_in(fan)
    page = client.get(f"/me/entries/{rejected.pk}/appeal/").content.decode()
    assert "No dangerous stunts." in page
    assert 'maxlength="2000"' in page
    response = client.post(f"/me/entries/{rejected.pk}/appeal/", {"text": "It was safe"})
    assert response.status_code == 302
    assert Appeal.objects.get().text == "It was safe"
    assert "Appeal sent" in client.get("/me/entries/").content.decode()
    appeal_decide(actor=brand_admin, entry_id=rejected.pk, outcome="rejected", reasons="Still a stunt")
    assert "Appeal not upheld" in client.get("/me/entries/").content.decode()
    page = client.get(f"/me/entries/{rejected.pk}/appeal/").content.decode()
    assert "Still a stunt" in page
    assert "This decision is final." in page


def test_a_blank_appeal_shows_the_error_next_to_the_field(rejected: Entry, fan: User) -> None:
    page = logged_in(fan).post(f"/me/entries/{rejected.pk}/appeal/", {"text": "   "}).content.decode()
    assert 'id="id_text_error"' in page
    assert not Appeal.objects.exists()


def test_someone_elses_entry_is_a_404(rejected: Entry, other_fan: User, brand_admin: User) -> None:
    for someone in (other_fan, brand_admin):
        assert logged_in(someone).get(f"/me/entries/{rejected.pk}/appeal/").status_code == 404
        assert logged_in(someone).post(f"/me/entries/{rejected.pk}/appeal/", {"text": "x"}).status_code == 404
    assert not Appeal.objects.exists()


def test_the_console_shows_the_appeal_and_an_appeals_tab(rejected: Entry, fan: User, brand_admin: User) -> None:
    appeal_file(actor=fan, entry_id=rejected.pk, text="It was choreographed")
    client = logged_in(brand_admin)
    page = client.get(f"/console/northern-lights/entries/{rejected.pk}/").content.decode()
    assert "It was choreographed" in page
    assert "Decide it in the Appeals view" in page
    queue = client.get("/console/northern-lights/queue/?view=appeals")
    assert queue.status_code == 200
    assert queue.context["entry"] is None  # a list the script loads: nothing is claimed
    assert {"name": "appeals", "label": "Appeals", "key": "a", "count": 1} in queue.context["views"]
