"""The rules API: list, add, change, delete and try a text; validation names the field."""

from __future__ import annotations

from typing import Any

import pytest

from activity.models import Activity
from campaigns.models import Guideline
from moderation.models import Rule
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
RULES = "/api/v1/brands/northern-lights/rules/"


def add(client: Any, **body: Any) -> Any:
    return client.post(RULES, {"action": "flag", **body}, format="json")


def test_moderator_adds_a_blocked_term_and_members_list_it(api: Any, moderator: Any, analyst: Any) -> None:
    response = add(api(moderator), kind="blocked_term", value="  Ｓpam  Bot ", action="hold")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "blocked_term"
    assert body["value"] == "Ｓpam Bot"
    assert body["normalized"] == "spam bot"
    assert body["guideline"] is None
    assert body["campaign"] is None
    assert {"id", "created_at", "updated_at"} <= set(body)
    listed = api(analyst).get(RULES)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [body["id"]]


def test_analyst_cannot_add_a_rule_and_outsider_gets_404(api: Any, analyst: Any, outsider: Any) -> None:
    assert add(api(analyst), kind="blocked_term", value="spam").status_code == 404
    assert add(api(outsider), kind="blocked_term", value="spam").status_code == 404
    assert api(outsider).get(RULES).status_code == 404
    assert not Rule.objects.exists()


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("blocked_fan", "Spammer@Example.com", "spammer@example.com"),
        ("blocked_fan", "@spam.example", "@spam.example"),
        ("blocked_fan", "spam.example", "spam.example"),
        ("burst", "3", "fan:3"),
        ("burst", "network:10", "network:10"),
        ("new_account", "24", "hours:24"),
        ("new_account", "approved:2", "approved:2"),
    ],
)
def test_values_are_stored_in_their_canonical_form(
    api: Any, moderator: Any, kind: str, value: str, stored: str
) -> None:
    response = add(api(moderator), kind=kind, value=value)
    assert response.status_code == 201, response.content
    assert response.json()["value"] == stored
    assert response.json()["normalized"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "blocked_term", "value": "\u200b\u200b"}, "value"),
        ({"kind": "blocked_term", "value": "x" * 201}, "value"),
        ({"kind": "blocked_fan", "value": "not an address"}, "value"),
        ({"kind": "burst", "value": "0"}, "value"),
        ({"kind": "burst", "value": "city:4"}, "value"),
        ({"kind": "new_account", "value": "soon"}, "value"),
        ({"kind": "bogus", "value": "x"}, "kind"),
        ({"kind": "blocked_term", "value": "x", "action": "ban"}, "action"),
        ({"kind": "blocked_term", "value": "x", "action": "reject"}, "guideline"),
        ({"kind": "blocked_term", "value": "x", "action": "reject", "guideline": "nope"}, "guideline"),
        ({"kind": "blocked_term", "value": "x", "campaign": "elsewhere"}, "campaign"),
    ],
)
def test_invalid_rules_are_a_400_naming_the_field(
    api: Any, moderator: Any, campaign: Any, body: dict[str, Any], field: str
) -> None:
    response = add(api(moderator), **body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Rule.objects.exists()


def test_guideline_must_belong_to_the_rules_campaign(api: Any, moderator: Any, brand: Any, campaign: Any) -> None:
    other = CampaignFactory.create(brand=brand, slug="other-one")
    Guideline.objects.create(campaign=other, number=9, code="only-there", text="Only there.")
    client = api(moderator)
    narrowed = add(
        client, kind="blocked_term", value="x", action="reject", guideline="only-there", campaign=campaign.slug
    )
    assert narrowed.status_code == 400
    assert "guideline" in narrowed.json()
    brand_wide = add(client, kind="blocked_term", value="x", action="reject", guideline="only-there")
    assert brand_wide.status_code == 201, brand_wide.content
    assert brand_wide.json()["guideline"] == "only-there"


def test_the_same_rule_twice_is_a_conflict(api: Any, moderator: Any, campaign: Any) -> None:
    client = api(moderator)
    assert add(client, kind="blocked_term", value="Spam").status_code == 201
    again = add(client, kind="blocked_term", value="ＳＰＡＭ")
    assert again.status_code == 409
    assert "value" in again.json()
    assert add(client, kind="blocked_term", value="spam", campaign=campaign.slug).status_code == 201


def test_patch_to_reject_needs_a_guideline_the_brand_has(api: Any, moderator: Any) -> None:
    client = api(moderator)
    rule_id = add(client, kind="blocked_term", value="spam").json()["id"]
    response = client.patch(f"{RULES}{rule_id}/", {"action": "reject", "guideline": "safe"}, format="json")
    assert response.status_code == 400  # no campaign of the brand has "safe" yet
    assert "guideline" in response.json()


def test_patch_and_delete_record_who_did_it(api: Any, moderator: Any, campaign: Any) -> None:
    client = api(moderator)
    rule_id = add(client, kind="blocked_term", value="spam").json()["id"]
    response = client.patch(f"{RULES}{rule_id}/", {"action": "reject", "guideline": "safe"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["action"] == "reject"
    assert response.json()["value"] == "spam"
    assert client.delete(f"{RULES}{rule_id}/").status_code == 204
    assert not Rule.objects.exists()
    verbs = list(Activity.objects.filter(target_type="rule").order_by("pk").values_list("verb", "actor"))
    assert verbs == [
        ("rule.created", "mod@northern.test"),
        ("rule.changed", "mod@northern.test"),
        ("rule.deleted", "mod@northern.test"),
    ]


def test_unknown_rule_ids_are_404(api: Any, moderator: Any) -> None:
    client = api(moderator)
    assert client.patch(f"{RULES}not-a-uuid/", {"action": "hold"}, format="json").status_code == 404
    assert client.delete(f"{RULES}00000000-0000-0000-0000-000000000000/").status_code == 404


def test_trying_a_text_answers_each_match_with_its_span(api: Any, moderator: Any, analyst: Any) -> None:
    rule_id = add(api(moderator), kind="blocked_term", value="spam").json()["id"]
    text = "Buy ＳＰ\u200bAM now, a classic spammer"
    response = api(analyst).post(f"{RULES}test/", {"text": text}, format="json")
    assert response.status_code == 200, response.content
    [match] = response.json()["matches"]
    assert match["rule"] == rule_id
    assert match["kind"] == "blocked_term"
    assert match["action"] == "flag"
    assert match["normalized"] == "spam"
    start, end = match["span"]
    assert text[start:end] == match["matched"] == "ＳＰ\u200bAM"


def test_trying_a_text_without_text_is_a_400(api: Any, moderator: Any) -> None:
    response = api(moderator).post(f"{RULES}test/", {}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()
