"""The console's rules page: list by kind, add, edit, delete after confirming, try a text."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from moderation.models import Rule
from moderation.services import rule_create

pytestmark = pytest.mark.django_db
PAGE = "/console/northern-lights/rules/"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_moderator_adds_a_rule_through_the_form(moderator: Any, campaign: Any) -> None:
    client = signed_in(moderator)
    response = client.post(
        PAGE, {"kind": "blocked_term", "value": "spam", "action": "reject", "guideline": "no-ads", "campaign": ""}
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.value, rule.action, rule.guideline) == ("spam", "reject", "no-ads")
    page = client.get(PAGE).content.decode()
    assert "<code>spam</code>" in page
    assert "The rule is in place." in page


def test_a_refused_rule_shows_the_message_next_to_its_field(moderator: Any, campaign: Any) -> None:
    response = signed_in(moderator).post(PAGE, {"kind": "burst", "value": "lots", "action": "flag"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_value_error"' in page
    assert "Write how many entries an hour" in page
    assert not Rule.objects.exists()


def test_analyst_sees_the_rules_read_only(analyst: Any, moderator: Any, brand: Any, campaign: Any) -> None:
    rule_create(actor=moderator, brand=brand, kind="blocked_term", value="spam", action="hold")
    page = signed_in(analyst).get(PAGE).content.decode()
    assert "<code>spam</code>" in page
    assert "Add a rule" not in page
    assert "/edit/" not in page


def test_trying_a_text_highlights_each_match(moderator: Any, brand: Any, campaign: Any) -> None:
    rule_create(actor=moderator, brand=brand, kind="blocked_term", value="spam", action="flag")
    page = signed_in(moderator).get(PAGE, {"text": "a classic ＳＰＡＭ post"}).content.decode()
    assert '<mark title="spam">ＳＰＡＭ</mark>' in page
    assert "1 match" in page


def test_delete_asks_to_confirm_then_deletes(moderator: Any, brand: Any, campaign: Any) -> None:
    rule = rule_create(actor=moderator, brand=brand, kind="blocked_fan", value="spam.example", action="flag")
    client = signed_in(moderator)
    confirm = client.get(f"{PAGE}{rule.pk}/delete/")
    assert confirm.status_code == 200
    assert "Delete this rule?" in confirm.content.decode()
    assert Rule.objects.exists()
    assert client.post(f"{PAGE}{rule.pk}/delete/").status_code == 302
    assert not Rule.objects.exists()


def test_editing_a_rule_changes_it(moderator: Any, brand: Any, campaign: Any) -> None:
    rule = rule_create(actor=moderator, brand=brand, kind="blocked_term", value="spam", action="flag")
    client = signed_in(moderator)
    form = client.get(f"{PAGE}{rule.pk}/edit/").content.decode()
    assert 'value="spam"' in form
    response = client.post(
        f"{PAGE}{rule.pk}/edit/", {"kind": "blocked_term", "value": "spam", "action": "hold", "campaign": campaign.slug}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.action == "hold"
    assert rule.campaign_id == campaign.pk
