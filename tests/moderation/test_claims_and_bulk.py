"""Claims of several entries, leases that follow the moderator, bulk actions and reversals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from activity.models import Activity
from config.errors import Conflict
from moderation import services
from moderation.models import Decision, OutboxMail, ShortlistItem
from submissions.models import Entry
from tests.helpers import decide_now, pending_entry, undo_window_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def roomy(campaign: Any) -> Any:
    campaign.max_entries_per_fan = campaign.max_entries_per_fan_per_day = 20
    campaign.save(update_fields=["max_entries_per_fan", "max_entries_per_fan_per_day"])
    return campaign


def entries(fan: Any, campaign: Any, n: int) -> list[Entry]:
    return [pending_entry(author=fan, campaign=campaign, seed=i + 1) for i in range(n)]


def test_a_claim_takes_the_oldest_entries_and_passes_over_excluded_ones(
    moderator: Any, brand_admin: Any, fan: Any, roomy: Any, brand: Any
) -> None:
    first, second, third, fourth = entries(fan, roomy, 4)
    taken = services.queue_claim(actor=moderator, brand=brand, count=2, exclude=[first.pk])
    assert [e.pk for e in taken] == [second.pk, third.pk]
    assert all(e.claimed_by_id == moderator.pk for e in Entry.objects.filter(pk__in=[second.pk, third.pk]))
    # Another moderator gets what is left, never the same entry.
    assert [e.pk for e in services.queue_claim(actor=brand_admin, brand=brand, count=5)] == [first.pk, fourth.pk]


def test_after_a_reload_the_moderator_gets_their_own_leases_first(
    moderator: Any, fan: Any, roomy: Any, brand: Any
) -> None:
    entries(fan, roomy, 3)
    held = services.queue_claim(actor=moderator, brand=brand, count=2)
    assert len(held) == 2
    again = services.queue_claim(actor=moderator, brand=brand, count=4, resume=True)
    assert [e.pk for e in again[:2]] == [e.pk for e in held]


@pytest.mark.postgresql  # the one-statement claim is PostgreSQL's
def test_a_claim_is_one_statement_on_postgresql(moderator: Any, fan: Any, roomy: Any, brand: Any) -> None:
    entries(fan, roomy, 3)
    with CaptureQueriesContext(connection) as queries:
        taken = services.queue_claim(actor=moderator, brand=brand, count=3)
    claims = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]
    assert len(taken) == 3
    assert len(claims) == 1
    assert "SKIP LOCKED" in claims[0]


def test_taking_over_an_expired_lease_is_recorded(
    moderator: Any, brand_admin: Any, fan: Any, roomy: Any, brand: Any
) -> None:
    [entry] = entries(fan, roomy, 1)
    services.queue_claim(actor=moderator, brand=brand)
    Entry.objects.filter(pk=entry.pk).update(claim_expires_at=timezone.now() - dt.timedelta(seconds=1))
    [taken] = services.queue_claim(actor=brand_admin, brand=brand)
    assert taken.pk == entry.pk
    record = Activity.objects.get(verb="claim.taken_over")
    assert (record.actor, record.snapshot["previous_holder_id"]) == (brand_admin.email, moderator.pk)


def test_leases_are_renewed_and_lost_ones_reported(
    moderator: Any, brand_admin: Any, fan: Any, roomy: Any, brand: Any, api: Any
) -> None:
    mine, theirs = entries(fan, roomy, 2)
    services.queue_claim(actor=moderator, brand=brand, count=1)
    services.queue_claim(actor=brand_admin, brand=brand, count=1)
    response = api(moderator).post(
        f"/api/v1/brands/{brand.slug}/queue/leases/", {"entries": [str(mine.pk), str(theirs.pk)]}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["renewed"] == [str(mine.pk)]
    assert [(lost["id"], lost["claimed_by"]) for lost in body["lost"]] == [(str(theirs.pk), brand_admin.email)]


def test_leaving_the_page_releases_the_leases_by_beacon(
    moderator: Any, fan: Any, roomy: Any, brand: Any, client: Any
) -> None:
    """navigator.sendBeacon posts a URL-encoded form with the CSRF token; the API takes it like JSON."""
    a, b = entries(fan, roomy, 2)
    services.queue_claim(actor=moderator, brand=brand, count=2)
    client.force_login(moderator)
    body = urlencode({"entries": [str(a.pk), str(b.pk)]}, doseq=True)
    response = client.post(
        f"/api/v1/brands/{brand.slug}/queue/release/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 204, response.content
    assert not Entry.objects.filter(claimed_by=moderator).exists()


def test_claims_api_returns_the_entries_with_guidelines_and_the_lease(
    moderator: Any, fan: Any, roomy: Any, brand: Any, api: Any
) -> None:
    entries(fan, roomy, 3)
    response = api(moderator).post(f"/api/v1/brands/{brand.slug}/queue/claims/", {"count": 4}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["entries"]) == 3
    assert body["lease_seconds"] == 300
    first = body["entries"][0]
    assert first["claimed_by"] == moderator.email
    assert [g["code"] for g in first["guidelines"]][:1] == ["own-work"]
    assert first["renditions"]
    assert first["original_url"].endswith("/original/")


def test_claims_api_names_a_bad_field(moderator: Any, brand: Any, api: Any) -> None:
    client = api(moderator)
    for body, field in (({"count": 0}, "count"), ({"kind": "audio"}, "kind"), ({"exclude": ["x"]}, "exclude")):
        response = client.post(f"/api/v1/brands/{brand.slug}/queue/claims/", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), response.json()


def test_a_filter_naming_another_brands_campaign_finds_nothing(
    moderator: Any, fan: Any, roomy: Any, brand: Any, api: Any
) -> None:
    entries(fan, roomy, 1)
    client = api(moderator)
    claims = client.post(f"/api/v1/brands/{brand.slug}/queue/claims/", {"campaign": "not-ours"}, format="json")
    assert claims.json()["entries"] == []
    counts = client.get(f"/api/v1/brands/{brand.slug}/views/", {"campaign": "not-ours"}).json()
    assert counts == {"pending": 0, "flagged": 0, "done": 0, "appeals": 0, "reported": 0}
    assert client.get(f"/api/v1/brands/{brand.slug}/views/", {"campaign": roomy.slug}).json()["pending"] == 1


def test_bulk_approval_reports_entries_held_by_others_and_takes_the_rest(
    moderator: Any, brand_admin: Any, fan: Any, roomy: Any, brand: Any, api: Any
) -> None:
    a, b, held = entries(fan, roomy, 3)
    services.queue_claim(actor=brand_admin, brand=brand, count=1, exclude=[a.pk, b.pk])
    response = api(moderator).post(
        f"/api/v1/brands/{brand.slug}/bulk/",
        {"action": "approve", "entries": [str(a.pk), str(b.pk), str(held.pk), str(uuid.uuid4())]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(body["done"]) == sorted([str(a.pk), str(b.pk)])
    skipped = {s["entry"]: s for s in body["skipped"]}
    assert skipped[str(held.pk)]["claimed_by"] == brand_admin.email
    assert len(skipped) == 2  # the held one and the unknown id
    assert not OutboxMail.objects.exists()
    assert undo_window_passes() == 2
    assert sorted(Entry.objects.values_list("state", flat=True)) == ["approved", "approved", "pending"]


def test_bulk_rejection_needs_a_guideline_and_can_be_undone_together(
    moderator: Any, fan: Any, roomy: Any, brand: Any, api: Any
) -> None:
    a, b = entries(fan, roomy, 2)
    url = f"/api/v1/brands/{brand.slug}/bulk/"
    ids = [str(a.pk), str(b.pk)]
    refused = api(moderator).post(url, {"action": "reject", "entries": ids}, format="json")
    assert refused.status_code == 400
    assert "guidelines" in refused.json()
    body = (
        api(moderator)
        .post(url, {"action": "reject", "entries": ids, "guidelines": ["safe"], "note": "Risky"}, format="json")
        .json()
    )
    assert len(body["decisions"]) == 2
    assert Decision.objects.filter(bulk_id=body["bulk"], note="Risky").count() == 2
    undo = api(moderator).post(f"{url}{body['bulk']}/undo/")
    assert undo.status_code == 200
    assert sorted(undo.json()["undone"]) == sorted(body["decisions"])
    assert undo_window_passes() == 0
    assert set(Entry.objects.values_list("state", flat=True)) == {"pending"}
    assert Activity.objects.filter(verb="bulk.decided").count() == 1


def test_bulk_takes_at_most_500_entries(moderator: Any, brand: Any, api: Any) -> None:
    ids = [str(uuid.uuid4()) for _ in range(501)]
    response = api(moderator).post(
        f"/api/v1/brands/{brand.slug}/bulk/", {"action": "approve", "entries": ids}, format="json"
    )
    assert response.status_code == 400
    assert "entries" in response.json()


def test_bulk_shortlist_takes_approved_entries_only(moderator: Any, fan: Any, roomy: Any, brand: Any) -> None:
    approved, waiting = entries(fan, roomy, 2)
    decide_now(actor=moderator, entry_id=approved.pk, action="approve")
    result = services.decisions_bulk(
        actor=moderator, brand=brand, action="shortlist", entry_ids=[approved.pk, waiting.pk]
    )
    assert result.done == [approved.pk]
    assert [s["entry"] for s in result.skipped] == [waiting.pk]
    assert ShortlistItem.objects.filter(entry=approved).exists()


def test_a_rejection_past_its_window_is_reopened_with_a_reason(moderator: Any, fan: Any, roomy: Any, api: Any) -> None:
    [entry] = entries(fan, roomy, 1)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"])
    url = f"/api/v1/entries/{entry.pk}/reversal/"
    assert "reason" in api(moderator).post(url, {"action": "reopen", "reason": " "}, format="json").json()
    response = api(moderator).post(url, {"action": "reopen", "reason": "Misread the logo"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "pending"
    record = Activity.objects.get(verb="entry.reopened")
    assert record.snapshot["reason"] == "Misread the logo"


def test_withdrawing_an_approval_takes_the_pictures_down_and_restoring_puts_them_back(
    moderator: Any, fan: Any, roomy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    [entry] = entries(fan, roomy, 1)
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    with django_capture_on_commit_callbacks(execute=True):
        services.entry_reverse(actor=moderator, entry_id=entry.pk, action="withdraw_approval", reason="Wrong campaign")
    entry.refresh_from_db()
    assert entry.state == "pending"
    assert not entry.renditions.exclude(public_name="").exists()
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    services.entry_remove(actor=moderator, entry_id=entry.pk, guideline_codes=["safe"])
    services.entry_reverse(actor=moderator, entry_id=entry.pk, action="restore", reason="The report was wrong")
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert entry.renditions.exclude(public_name="").count() == entry.renditions.count()


def test_a_file_refused_by_processing_cannot_be_reopened(moderator: Any, fan: Any, roomy: Any) -> None:
    [entry] = entries(fan, roomy, 1)
    Entry.objects.filter(pk=entry.pk).update(state="rejected", rejection_reason="Not a picture")
    with pytest.raises(Conflict):
        services.entry_reverse(actor=moderator, entry_id=entry.pk, action="reopen", reason="Try")


def test_views_count_and_search_the_brands_entries(moderator: Any, fan: Any, roomy: Any, brand: Any, api: Any) -> None:
    a, b, c = entries(fan, roomy, 3)
    Entry.objects.filter(pk=b.pk).update(caption="Moonwalk in the kitchen", flags=[{"kind": "duplicate"}])
    decide_now(actor=moderator, entry_id=c.pk, action="approve")
    client = api(moderator)
    counts = client.get(f"/api/v1/brands/{brand.slug}/views/").json()
    assert counts == {"pending": 2, "flagged": 1, "done": 1, "appeals": 0, "reported": 0}
    found = client.get(f"/api/v1/brands/{brand.slug}/entries/", {"q": "moonwalk"}).json()["results"]
    assert [e["id"] for e in found] == [str(b.pk)]
    by_id = client.get(f"/api/v1/brands/{brand.slug}/entries/", {"q": str(a.pk)}).json()["results"]
    assert [e["id"] for e in by_id] == [str(a.pk)]
    done = client.get(f"/api/v1/brands/{brand.slug}/entries/", {"view": "done"}).json()["results"]
    assert [(e["id"], e["last_decision"]["action"]) for e in done] == [(str(c.pk), "approve")]
    bad = client.get(f"/api/v1/brands/{brand.slug}/entries/", {"view": "everything"})
    assert bad.status_code == 400
    assert "view" in bad.json()


def test_true_and_false_are_not_entry_ids(moderator: Any, brand: Any, api: Any) -> None:
    response = api(moderator).post(
        f"/api/v1/brands/{brand.slug}/queue/release/", {"entries": [False, True]}, format="json"
    )
    assert response.status_code == 400
    assert "entries" in response.json()


def test_a_signed_out_release_answers_401_in_json_whatever_its_body(brand: Any, api: Any) -> None:
    entries = ["e3e70682-c209-1cac-a29f-6fbed82c07cd", 0] * 300  # as the fuzzer sent it
    path = f"/api/v1/brands/{brand.slug}/queue/release/"
    for response in (
        api(None).post(path, {"entries": entries}, format="json"),
        api(None).post(path, urlencode({"entries": "x" * 20_000}), content_type="application/x-www-form-urlencoded"),
    ):
        assert response.status_code in (401, 403)
        assert response["Content-Type"].startswith("application/json")


def test_an_empty_kind_filter_is_refused_naming_it(moderator: Any, brand: Any, api: Any) -> None:
    for path in ("entries", "views"):
        response = api(moderator).get(f"/api/v1/brands/{brand.slug}/{path}/?kind=")
        assert response.status_code == 400, path
        assert "kind" in response.json()
