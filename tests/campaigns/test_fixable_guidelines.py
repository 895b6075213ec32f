"""Fixable guidelines: marked in the guidelines text, shown in the campaign API."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Campaign
from campaigns.services import campaign_update, guidelines_as_text, parse_guidelines

pytestmark = pytest.mark.django_db

TEXT = "own-work: It is your own work.\ntoo-dark: The picture is bright enough to see. [fixable]"


def test_a_line_ending_in_the_marker_is_fixable() -> None:
    assert parse_guidelines(TEXT) == [
        ("own-work", "It is your own work.", False),
        ("too-dark", "The picture is bright enough to see.", True),
    ]


def test_brand_admin_marks_a_guideline_fixable_and_the_api_shows_it(
    api: Any, brand_admin: Any, campaign: Campaign
) -> None:
    campaign_update(actor=brand_admin, campaign=campaign, guidelines=TEXT)
    dark = campaign.guidelines.get(code="too-dark")
    assert dark.fixable
    assert dark.text == "The picture is bright enough to see."
    assert guidelines_as_text(campaign) == TEXT
    body = api(None).get(f"/api/v1/campaigns/{campaign.slug}/").json()
    assert [(g["code"], g["fixable"]) for g in body["guidelines"]] == [("own-work", False), ("too-dark", True)]


def test_removing_the_marker_is_recorded_as_an_edit(brand_admin: Any, campaign: Campaign) -> None:
    from activity.models import Activity

    campaign_update(actor=brand_admin, campaign=campaign, guidelines=TEXT)
    campaign_update(actor=brand_admin, campaign=campaign, guidelines=TEXT.replace(" [fixable]", ""))
    assert not campaign.guidelines.get(code="too-dark").fixable
    assert Activity.objects.filter(verb="guidelines.changed").latest("at").snapshot["edited"] == ["too-dark"]


def test_the_console_form_saves_the_marker(client: Any, brand_admin: Any, campaign: Campaign) -> None:
    from tests.test_tenancy import CAMPAIGN_FORM

    client.force_login(brand_admin)
    form = {**CAMPAIGN_FORM, "slug": campaign.slug, "opens_at": "2020-03-01T10:00", "guidelines": TEXT}
    response = client.post(f"/console/{campaign.brand.slug}/campaigns/{campaign.slug}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert campaign.guidelines.get(code="too-dark").fixable
    page = client.get(f"/console/{campaign.brand.slug}/campaigns/{campaign.slug}/edit/").content.decode()
    assert "[fixable]" in page
