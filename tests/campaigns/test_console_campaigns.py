"""Opening and editing campaigns in the brand console."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from campaigns.models import Campaign

pytestmark = pytest.mark.django_db

NEW = "/console/northern-lights/campaigns/new/"
EDIT = "/console/northern-lights/campaigns/movement-monday/edit/"


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "slug": "spin-sunday",
        "title": "Spin on Sundays",
        "hashtag": "#SpinSunday",
        "description": "Spin like nobody watches.",
        "consent_terms": "You let the brand show your entry.",
        "guidelines": "own-work: It is your own work.\nsafe: No dangerous stunts.",
        "opens_at": "2030-03-01T10:00",
        "closes_at": "2030-04-01T10:00",
        "time_zone": "Europe/Berlin",
        "feature_weekday": "6",
        "feature_hour": "18",
        "feature_count": "4",
        "max_bytes": "2.5",
        "max_pixels": "20000000",
        "max_entries_per_fan": "3",
        "max_entries_per_fan_per_day": "2",
        "accepts_photos": "on",
        "max_video_seconds": "30",
        "embed_origins": "https://band.example",
    }
    data.update(overrides)
    return data


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_admin_creates_a_campaign_with_its_guidelines(client: Client, brand_admin: User, brand: Any) -> None:
    response = login(client, brand_admin).post(NEW, form_data())
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/console/northern-lights/"
    campaign = Campaign.objects.get(slug="spin-sunday")
    assert campaign.brand == brand
    assert [(g.number, g.code, g.text) for g in campaign.guidelines.all()] == [
        (1, "own-work", "It is your own work."),
        (2, "safe", "No dangerous stunts."),
    ]
    assert (campaign.feature_weekday, campaign.feature_hour, campaign.feature_count) == (6, 18, 4)
    assert campaign.max_bytes == int(2.5 * 1024 * 1024)
    assert campaign.max_entries_per_fan == 3
    assert campaign.max_entries_per_fan_per_day == 2
    assert (campaign.accepts_photos, campaign.accepts_videos, campaign.max_video_seconds) == (True, False, 30)


def test_opening_times_are_read_in_the_campaigns_time_zone(client: Client, brand_admin: User) -> None:
    login(client, brand_admin).post(NEW, form_data(opens_at="2030-03-01T10:00", time_zone="America/New_York"))
    campaign = Campaign.objects.get(slug="spin-sunday")
    assert campaign.opens_at == dt.datetime(2030, 3, 1, 15, 0, tzinfo=dt.UTC)


def test_bad_guideline_line_shows_the_error_next_to_the_field_and_creates_nothing(
    client: Client, brand_admin: User
) -> None:
    response = login(client, brand_admin).post(NEW, form_data(guidelines="own-work: Yours.\nNo code here"))
    assert response.status_code == 400
    html = response.content.decode()
    errors = html[html.index('id="id_guidelines_error"') :]
    assert "Line 2" in errors[: errors.index("</ul>")]
    assert 'aria-invalid="true"' in html
    assert "No code here" in html  # what the admin typed is kept
    assert not Campaign.objects.filter(slug="spin-sunday").exists()


def test_a_rule_the_service_enforces_lands_on_its_field(client: Client, brand_admin: User) -> None:
    response = login(client, brand_admin).post(NEW, form_data(closes_at="2030-02-01T10:00"))
    assert response.status_code == 400
    assert response.context["form"].errors["closes_at"] == ["The campaign must close after it opens."]
    assert not Campaign.objects.filter(slug="spin-sunday").exists()


def test_a_taken_slug_is_an_error_on_the_slug(client: Client, brand_admin: User, campaign: Campaign) -> None:
    response = login(client, brand_admin).post(NEW, form_data(slug="movement-monday"))
    assert response.status_code == 400
    assert "slug" in response.context["form"].errors


def test_edit_form_is_prefilled_with_guidelines_and_local_times(
    client: Client, brand_admin: User, campaign: Campaign
) -> None:
    response = login(client, brand_admin).get(EDIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "own-work: It is your own work.\nsong: Dance to the campaign&#x27;s song." in html
    local = campaign.opens_at.astimezone(campaign.tz).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local}"' in html
    assert 'value="20.0"' in html  # 20 MB


def test_admin_edits_a_campaign_and_its_guidelines(client: Client, brand_admin: User, campaign: Campaign) -> None:
    data = form_data(
        slug="movement-monday",
        title="Move every Monday",
        hashtag="#MovementMonday",
        guidelines="safe: No dangerous stunts at all.\nown-work: It is your own work.",
        consent_terms="New terms.",
    )
    response = login(client, brand_admin).post(EDIT, data)
    assert response.status_code == 302, response.content.decode()
    campaign.refresh_from_db()
    assert campaign.title == "Move every Monday"
    assert campaign.consent_version == 2
    assert [(g.number, g.code) for g in campaign.guidelines.all()] == [(1, "safe"), (2, "own-work")]


def test_failed_edit_changes_nothing(client: Client, brand_admin: User, campaign: Campaign) -> None:
    data = form_data(slug="movement-monday", title="Changed", guidelines="not a guideline")
    response = login(client, brand_admin).post(EDIT, data)
    assert response.status_code == 400
    campaign.refresh_from_db()
    assert campaign.title == "Dance every Monday"
    assert campaign.guidelines.count() == 4


def test_moderator_cannot_create_or_edit_campaigns(client: Client, moderator: User, campaign: Campaign) -> None:
    login(client, moderator)
    assert client.get(NEW).status_code == 404
    assert client.post(NEW, form_data()).status_code == 404
    assert client.get(EDIT).status_code == 404
    assert client.post(EDIT, form_data(slug="movement-monday", title="Hijacked")).status_code == 404
    assert not Campaign.objects.filter(slug="spin-sunday").exists()
    campaign.refresh_from_db()
    assert campaign.title == "Dance every Monday"


def test_campaign_of_another_brand_cannot_be_edited_through_this_brand(
    client: Client, brand_admin: User, other_brand: Any
) -> None:
    from tests.factories import CampaignFactory

    CampaignFactory.create(brand=other_brand, slug="rival-challenge")
    response = login(client, brand_admin).get("/console/northern-lights/campaigns/rival-challenge/edit/")
    assert response.status_code == 404


def test_a_campaign_must_accept_photos_or_videos(client: Client, brand_admin: User) -> None:
    client.force_login(brand_admin)
    data = {k: v for k, v in form_data().items() if k != "accepts_photos"}
    response = client.post("/console/northern-lights/campaigns/new/", data)
    assert response.status_code == 400
    assert "Accept photos, videos or both." in response.content.decode()
    assert not Campaign.objects.exists()


def test_campaign_address_is_fixed_once_it_exists(client: Client, brand_admin: User, campaign: Campaign) -> None:
    from campaigns.services import campaign_update, guidelines_as_text
    from config.errors import DomainError

    response = login(client, brand_admin).post(EDIT, form_data(slug="renamed", title="Still here"))
    assert response.status_code == 302  # the disabled field keeps the stored address
    campaign.refresh_from_db()
    assert (campaign.slug, campaign.title) == ("movement-monday", "Still here")
    with pytest.raises(DomainError, match="address cannot change"):
        campaign_update(actor=brand_admin, campaign=campaign, guidelines=guidelines_as_text(campaign), slug="x")
