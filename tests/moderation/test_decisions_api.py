"""The moderation API: queue, claims, decisions, shortlist, publishing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from moderation.models import Decision, Feature
from moderation.selectors import shortlist_week
from submissions.models import Entry
from tests.helpers import approved_entry, pending_entry, undo_window_passes

pytestmark = pytest.mark.django_db(transaction=True)


def decide(client: Any, entry: Entry, **body: Any) -> Any:
    return client.post(f"/api/v1/entries/{entry.pk}/decision/", body, format="json")


def test_moderator_sees_pending_entries_of_the_brand_oldest_first(
    api: Any, moderator: Any, fan: Any, campaign: Any
) -> None:
    first = pending_entry(author=fan, campaign=campaign, seed=1)
    second = pending_entry(author=fan, campaign=campaign, seed=2)
    response = api(moderator).get("/api/v1/brands/northern-lights/queue/")
    assert response.status_code == 200
    assert [e["id"] for e in response.json()["results"]] == [str(first.pk), str(second.pk)]
    assert {g["code"] for g in response.json()["results"][0]["guidelines"]} >= {"own-work", "no-ads"}


def test_claim_gives_two_moderators_different_entries(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, campaign: Any
) -> None:
    pending_entry(author=fan, campaign=campaign, seed=1)
    pending_entry(author=fan, campaign=campaign, seed=2)
    a = api(moderator).post("/api/v1/brands/northern-lights/queue/claim/").json()
    b = api(brand_admin).post("/api/v1/brands/northern-lights/queue/claim/").json()
    assert a["id"] != b["id"]
    assert a["claimed_by"] == moderator.email


def test_claim_on_empty_queue_says_no_content(api: Any, moderator: Any, campaign: Any) -> None:
    assert api(moderator).post("/api/v1/brands/northern-lights/queue/claim/").status_code == 204


def test_claiming_again_returns_the_entry_already_held(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    pending_entry(author=fan, campaign=campaign, seed=1)
    pending_entry(author=fan, campaign=campaign, seed=2)
    first = api(moderator).post("/api/v1/brands/northern-lights/queue/claim/").json()
    again = api(moderator).post("/api/v1/brands/northern-lights/queue/claim/").json()
    assert first["id"] == again["id"]


def test_moderator_approves_and_fan_is_told(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = decide(api(moderator), entry, action="approve")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "pending"  # nothing leaves before the undo window ends
    assert mail.outbox == []
    assert not entry.renditions.exclude(public_name="").exists()
    assert undo_window_passes() == 1
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert entry.renditions.exclude(public_name="").count() == entry.renditions.count()
    assert mail.outbox[-1].to == [fan.email]
    assert "approved" in mail.outbox[-1].subject


def test_approved_entry_becomes_public(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert api(None).get(f"/api/v1/entries/{entry.pk}/").status_code == 404
    decide(api(moderator), entry, action="approve")
    assert api(None).get(f"/api/v1/entries/{entry.pk}/").status_code == 404  # within the undo window
    undo_window_passes()
    body = api(None).get(f"/api/v1/entries/{entry.pk}/").json()
    assert body["state"] == "approved"
    assert body["renditions"]
    assert all("/media/entries/" in r["url"] or "entries/" in r["url"] for r in body["renditions"])


def test_author_always_sees_own_pending_entry(api: Any, fan: Any, other_fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert api(fan).get(f"/api/v1/entries/{entry.pk}/").status_code == 200
    assert api(other_fan).get(f"/api/v1/entries/{entry.pk}/").status_code == 404


def test_rejection_cites_guidelines_and_fan_reads_them(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = decide(api(moderator), entry, action="reject", guidelines=["no-ads"], note="A logo.")
    assert response.status_code == 201
    assert api(fan).get("/api/v1/me/entries/").json()["results"][0]["state"] == "pending"
    undo_window_passes()
    mine = api(fan).get("/api/v1/me/entries/").json()["results"][0]
    assert mine["state"] == "rejected"
    assert mine["rejection"]["guidelines"] == [{"number": 4, "code": "no-ads", "text": "No advertising."}]
    assert mine["rejection"]["note"] == "A logo."
    assert "No advertising." in mail.outbox[-1].body


def test_rejection_without_guideline_is_refused(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = decide(api(moderator), entry, action="reject")
    assert response.status_code == 400
    assert "guidelines" in response.json()
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert not Decision.objects.exists()


def test_unknown_guideline_code_is_refused(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = decide(api(moderator), entry, action="reject", guidelines=["made-up"])
    assert response.status_code == 400
    assert "made-up" in response.json()["guidelines"][0]


def test_unknown_action_is_refused(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert "action" in decide(api(moderator), entry, action="maybe").json()


def test_second_decision_on_decided_entry_is_a_conflict(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, campaign: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert decide(api(moderator), entry, action="approve").status_code == 201
    response = decide(api(brand_admin), entry, action="reject", guidelines=["safe"])
    assert response.status_code == 409  # within the window: the entry is still held
    undo_window_passes()
    response = decide(api(brand_admin), entry, action="reject", guidelines=["safe"])
    assert response.status_code == 409
    assert Decision.objects.count() == 1
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_moderator_cannot_decide_entry_another_moderator_holds(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, campaign: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    api(moderator).post("/api/v1/brands/northern-lights/queue/claim/")
    response = decide(api(brand_admin), entry, action="approve")
    assert response.status_code == 409
    assert "Another moderator" in response.json()["detail"]


def test_moderator_cannot_decide_other_brands_entry(api: Any, outsider: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert decide(api(outsider), entry, action="approve").status_code == 404
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_analyst_cannot_decide(api: Any, analyst: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert decide(api(analyst), entry, action="approve").status_code == 404
    assert api(analyst).get("/api/v1/brands/northern-lights/queue/").status_code == 200


def test_fan_cannot_decide(api: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert decide(api(fan), entry, action="approve").status_code == 404


def test_decisions_are_append_only(moderator: Any, fan: Any, campaign: Any) -> None:
    from moderation.services import entry_decide

    entry = pending_entry(author=fan, campaign=campaign)
    decision = entry_decide(actor=moderator, entry_id=entry.pk, action="approve")
    decision.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        decision.save()
    with pytest.raises(ValueError, match="append-only"):
        decision.delete()


def test_shortlist_and_publish_features_entries(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, campaign: Any
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    response = api(moderator).post(f"/api/v1/entries/{entry.pk}/shortlist/")
    assert response.status_code == 201
    year, week = shortlist_week(campaign=campaign)
    assert response.json()["week"] == f"{year}-W{week:02d}"

    published = api(brand_admin).post("/api/v1/campaigns/movement-monday/features/publish/")
    assert published.status_code == 201, published.content
    assert [e["id"] for e in published.json()["entries"]] == [str(entry.pk)]
    entry.refresh_from_db()
    assert entry.state == "featured"
    assert "featured" in mail.outbox[-1].subject


def test_publishing_twice_in_a_week_is_a_conflict(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, campaign: Any
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    api(moderator).post(f"/api/v1/entries/{entry.pk}/shortlist/")
    assert api(brand_admin).post("/api/v1/campaigns/movement-monday/features/publish/").status_code == 201
    assert api(brand_admin).post("/api/v1/campaigns/movement-monday/features/publish/").status_code == 409
    assert Feature.objects.count() == 1


def test_publishing_with_empty_shortlist_is_a_conflict_that_says_why(api: Any, brand_admin: Any, campaign: Any) -> None:
    response = api(brand_admin).post("/api/v1/campaigns/movement-monday/features/publish/")
    assert response.status_code == 409  # the request is fine; the week is not ready
    assert response.json()["shortlist"][0].startswith("Nothing is shortlisted")


def test_moderator_cannot_publish(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    api(moderator).post(f"/api/v1/entries/{entry.pk}/shortlist/")
    assert api(moderator).post("/api/v1/campaigns/movement-monday/features/publish/").status_code == 404
    assert not Feature.objects.exists()


def test_only_approved_entries_can_be_shortlisted(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert api(moderator).post(f"/api/v1/entries/{entry.pk}/shortlist/").status_code == 409


def test_unshortlisting_takes_entry_out_of_the_feature(
    api: Any, moderator: Any, brand_admin: Any, fan: Any, campaign: Any
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    api(moderator).post(f"/api/v1/entries/{entry.pk}/shortlist/")
    assert api(moderator).delete(f"/api/v1/entries/{entry.pk}/shortlist/").status_code == 204
    assert api(brand_admin).post("/api/v1/campaigns/movement-monday/features/publish/").status_code == 409


def test_garbage_entry_id_is_404(api: Any, moderator: Any) -> None:
    assert decide(api(moderator), type("E", (), {"pk": "not-a-uuid"})(), action="approve").status_code == 404
    assert api(None).get("/api/v1/entries/not-a-uuid/").status_code == 404


def test_note_with_a_percent_sign_reaches_the_fan_as_written(api: Any, moderator: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    response = decide(api(moderator), entry, action="reject", guidelines=["song"], note="100% off topic %(x)s")
    assert response.status_code == 201
    undo_window_passes()
    assert "100% off topic %(x)s" in mail.outbox[-1].body
