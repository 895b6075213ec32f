"""The appeal API: POST/GET /api/v1/entries/{id}/appeal/ and POST …/appeal/decision/."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import Appeal
from submissions.models import Entry, EntryState
from tests.helpers import decide_now, pending_entry


@pytest.fixture
def rejected(fan: User, campaign: Campaign, moderator: User) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign, seed=3)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
    return entry


def url(entry: Entry, suffix: str = "") -> str:
    return f"/api/v1/entries/{entry.pk}/appeal/{suffix}"


def test_the_fan_files_and_reads_an_appeal(rejected: Entry, fan: User, api: Any) -> None:
    response = api(fan).post(url(rejected), {"text": "Please look again"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "entry", "text", "created_at", "status", "decided_at", "reasons", "restored_to"}
    assert body["status"] == "open"
    assert body["entry"] == str(rejected.pk)
    assert body["restored_to"] is None
    assert api(fan).get(url(rejected)).json()["id"] == body["id"]


def test_a_second_appeal_is_a_conflict_naming_the_entry(rejected: Entry, fan: User, api: Any) -> None:
    api(fan).post(url(rejected), {"text": "Please"}, format="json")
    response = api(fan).post(url(rejected), {"text": "Again"}, format="json")
    assert response.status_code == 409
    assert "entry" in response.json()


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 2001}])
def test_a_bad_text_is_a_400_naming_text(rejected: Entry, fan: User, api: Any, body: dict[str, Any]) -> None:
    response = api(fan).post(url(rejected), body, format="json")
    assert response.status_code == 400
    assert "text" in response.json()


def test_others_get_404(rejected: Entry, other_fan: User, outsider: User, api: Any) -> None:
    for someone in (other_fan, outsider):
        assert api(someone).post(url(rejected), {"text": "Please"}, format="json").status_code == 404
        assert api(someone).get(url(rejected)).status_code == 404
    assert api(None).post(url(rejected), {"text": "Please"}, format="json").status_code in (401, 403)
    assert api(other_fan).post("/api/v1/entries/not-a-uuid/appeal/", {"text": "x"}, format="json").status_code == 404


def test_no_appeal_yet_is_a_404(rejected: Entry, fan: User, api: Any) -> None:
    assert api(fan).get(url(rejected)).status_code == 404


def test_the_brand_reads_and_another_moderator_decides(
    rejected: Entry, fan: User, moderator: User, brand_admin: User, analyst: User, api: Any
) -> None:
    api(fan).post(url(rejected), {"text": "Please"}, format="json")
    assert api(analyst).get(url(rejected)).status_code == 200
    decision = {"outcome": "upheld", "restore_to": "approved", "reasons": "Safe enough"}
    assert api(analyst).post(url(rejected, "decision/"), decision, format="json").status_code == 404
    same = api(moderator).post(url(rejected, "decision/"), decision, format="json")
    assert same.status_code == 409
    assert "moderator" in same.json()
    response = api(brand_admin).post(url(rejected, "decision/"), decision, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "upheld"
    assert response.json()["restored_to"] == "approved"
    rejected.refresh_from_db()
    assert rejected.state == EntryState.APPROVED
    again = api(brand_admin).post(url(rejected, "decision/"), decision, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "maybe", "reasons": "x"}, "outcome"),
        ({"outcome": "upheld", "restore_to": "featured", "reasons": "x"}, "restore_to"),
        ({"outcome": "rejected"}, "reasons"),
        ({"outcome": "rejected", "reasons": "  "}, "reasons"),
    ],
)
def test_a_bad_decision_is_a_400_naming_the_field(
    rejected: Entry, fan: User, brand_admin: User, api: Any, body: dict[str, Any], field: str
) -> None:
    api(fan).post(url(rejected), {"text": "Please"}, format="json")
    response = api(brand_admin).post(url(rejected, "decision/"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Appeal.objects.get().decided_at is None


def test_deciding_without_an_appeal_is_a_404(rejected: Entry, brand_admin: User, api: Any) -> None:
    body = {"outcome": "rejected", "reasons": "No"}
    assert api(brand_admin).post(url(rejected, "decision/"), body, format="json").status_code == 404


def test_the_appeals_view_lists_open_appeals_oldest_first(
    fan: User, campaign: Campaign, moderator: User, brand_admin: User, api: Any
) -> None:
    campaign.max_entries_per_fan = campaign.max_entries_per_fan_per_day = 10
    campaign.save(update_fields=["max_entries_per_fan", "max_entries_per_fan_per_day"])
    entries = []
    for seed in (11, 12, 13):
        entry = pending_entry(author=fan, campaign=campaign, seed=seed)
        decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"], note="Risky")
        entries.append(entry)
    for entry in (entries[1], entries[0], entries[2]):
        api(fan).post(url(entry), {"text": f"Appeal {entry.pk}"}, format="json")
    body = {"outcome": "rejected", "reasons": "No"}
    api(brand_admin).post(url(entries[2], "decision/"), body, format="json")  # decided: leaves the view

    listed = api(moderator).get("/api/v1/brands/northern-lights/entries/?view=appeals").json()["results"]
    assert [e["id"] for e in listed] == [str(entries[1].pk), str(entries[0].pk)]
    appeal = listed[0]["appeal"]
    assert appeal["text"] == f"Appeal {entries[1].pk}"
    assert appeal["contested_by"] == moderator.email
    assert appeal["decision"] == {"action": "reject", "guidelines": ["safe"], "note": "Risky"}
    assert appeal["can_decide"] is False  # the moderator who rejected it
    by_admin = api(brand_admin).get("/api/v1/brands/northern-lights/entries/?view=appeals").json()["results"]
    assert by_admin[0]["appeal"]["can_decide"] is True
    counts = api(moderator).get("/api/v1/brands/northern-lights/views/").json()
    assert counts["appeals"] == 2
