"""Reports over the API: anyone may report a public entry; moderators keep or remove it."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Report
from moderation.services import REPORTS_PER_HOUR
from submissions.models import Entry
from tests.helpers import approved_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(fan: Any, campaign: Any, moderator: Any) -> Entry:
    return approved_entry(author=fan, campaign=campaign, moderator=moderator)


def _post(api: Any, entry: Entry, body: dict[str, Any], user: Any = None, **extra: Any) -> Any:
    return api(user).post(f"/api/v1/entries/{entry.pk}/reports/", body, format="json", **extra)


def test_anyone_can_report_a_public_entry(api: Any, entry: Entry) -> None:
    response = _post(api, entry, {"reason": "illegal", "details": "It is a stolen video."})
    assert response.status_code == 201
    assert set(response.json()) == {"id", "reason", "created_at"}
    assert response.json()["reason"] == "illegal"
    assert Report.objects.get().details == "It is a stolen video."


def test_the_answer_does_not_tell_whether_the_entry_was_hidden(api: Any, entry: Entry) -> None:
    response = _post(api, entry, {"reason": "minor"})
    entry.refresh_from_db()
    assert entry.state == "hidden"
    assert set(response.json()) == {"id", "reason", "created_at"}


def test_a_guideline_code_is_a_reason(api: Any, entry: Entry) -> None:
    response = _post(api, entry, {"reason": "no-ads"})
    assert response.status_code == 201
    assert Report.objects.get().guideline.code == "no-ads"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "boring"}, "reason"),
        ({}, "reason"),
        ({"reason": "illegal", "details": "x" * 1001}, "details"),
    ],
)
def test_bad_reports_name_the_field(api: Any, entry: Entry, body: dict[str, Any], field: str) -> None:
    response = _post(api, entry, body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_second_report_by_the_same_account_is_409_naming_entry(api: Any, entry: Entry, other_fan: Any) -> None:
    assert _post(api, entry, {"reason": "illegal"}, user=other_fan).status_code == 201
    response = _post(api, entry, {"reason": "safe"}, user=other_fan)
    assert response.status_code == 409
    assert response.json()["entry"] == ["You already reported this entry."]


def test_anonymous_reporters_with_other_agents_count_apart(api: Any, entry: Entry) -> None:
    for agent in ("Firefox", "Safari"):
        assert _post(api, entry, {"reason": "illegal"}, HTTP_USER_AGENT=agent).status_code == 201
    assert _post(api, entry, {"reason": "illegal"}, HTTP_USER_AGENT="Firefox").status_code == 409
    assert Report.objects.count() == 2


def test_too_many_reports_from_one_client_get_429(api: Any, entry: Entry, settings: Any) -> None:
    settings.REPORTS_TO_HIDE = 100
    for n in range(REPORTS_PER_HOUR):
        assert _post(api, entry, {"reason": "illegal"}, HTTP_USER_AGENT=f"agent {n}").status_code == 201
    response = _post(api, entry, {"reason": "illegal"}, HTTP_USER_AGENT="one more")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_hidden_and_unknown_entries_are_404(api: Any, entry: Entry) -> None:
    _post(api, entry, {"reason": "minor"})
    assert _post(api, entry, {"reason": "illegal"}, HTTP_USER_AGENT="other").status_code == 404
    assert api().post("/api/v1/entries/not-a-uuid/reports/", {"reason": "illegal"}, format="json").status_code == 404


def test_moderator_keeps_a_hidden_entry(api: Any, entry: Entry, moderator: Any) -> None:
    _post(api, entry, {"reason": "depicted_person"})
    response = api(moderator).post(f"/api/v1/entries/{entry.pk}/keep/", {"note": "It is them"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "approved"


def test_moderator_removes_a_hidden_entry_citing_a_guideline(api: Any, entry: Entry, moderator: Any) -> None:
    _post(api, entry, {"reason": "minor"})
    client = api(moderator)
    response = client.post(f"/api/v1/entries/{entry.pk}/remove/", {"guidelines": []}, format="json")
    assert response.status_code == 400
    assert "guidelines" in response.json()
    response = client.post(f"/api/v1/entries/{entry.pk}/remove/", {"guidelines": ["safe"]}, format="json")
    assert response.status_code == 201
    entry.refresh_from_db()
    assert entry.state == "removed"
    assert client.post(f"/api/v1/entries/{entry.pk}/keep/", {}, format="json").status_code == 409


def test_analyst_and_outsider_cannot_keep(api: Any, entry: Entry, analyst: Any, outsider: Any) -> None:
    _post(api, entry, {"reason": "minor"})
    for user in (analyst, outsider):
        assert api(user).post(f"/api/v1/entries/{entry.pk}/keep/", {}, format="json").status_code == 404
    entry.refresh_from_db()
    assert entry.state == "hidden"


def test_reported_view_groups_reports_per_entry_oldest_first(
    api: Any, fan: Any, campaign: Any, moderator: Any, brand: Any, settings: Any
) -> None:
    settings.REPORTS_TO_HIDE = 100
    later = approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=2)
    earlier = approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=3)
    quiet = approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=4)
    _post(api, earlier, {"reason": "illegal", "details": "Stolen"}, HTTP_USER_AGENT="a")
    _post(api, later, {"reason": "safe"}, HTTP_USER_AGENT="a")
    _post(api, earlier, {"reason": "safe"}, HTTP_USER_AGENT="b")
    _post(api, earlier, {"reason": "safe", "details": "Roof jump"}, HTTP_USER_AGENT="c")
    _post(api, later, {"reason": "minor"}, HTTP_USER_AGENT="b")  # hides it at once

    client = api(moderator)
    page = client.get(f"/api/v1/brands/{brand.slug}/entries/", {"view": "reported"}).json()
    assert [e["id"] for e in page["results"]] == [str(earlier.pk), str(later.pk)]
    first, second = page["results"]
    assert first["reports"]["count"] == 3
    assert first["reports"]["reasons"] == {"illegal": 1, "safe": 2}
    assert first["reports"]["details"] == ["Roof jump", "Stolen"]
    assert first["state"] == "approved"
    assert second["state"] == "hidden"
    assert second["reports"]["reasons"] == {"safe": 1, "minor": 1}
    assert str(quiet.pk) not in {e["id"] for e in page["results"]}
    assert client.get(f"/api/v1/brands/{brand.slug}/views/").json()["reported"] == 2

    client.post(f"/api/v1/entries/{later.pk}/keep/", {}, format="json")
    assert client.get(f"/api/v1/brands/{brand.slug}/views/").json()["reported"] == 1
    pending_view = client.get(f"/api/v1/brands/{brand.slug}/entries/", {"view": "done"}).json()
    assert all(e["reports"] is None for e in pending_view["results"])


def test_a_number_is_not_a_note_or_a_reason(api: Any, entry: Entry, moderator: Any) -> None:
    kept = api(moderator).post(f"/api/v1/entries/{entry.pk}/keep/", {"note": 5}, format="json")
    assert kept.status_code == 400
    assert "note" in kept.json()
    reported = api(None).post(f"/api/v1/entries/{entry.pk}/reports/", {"reason": 7}, format="json")
    assert reported.status_code == 400
    assert "reason" in reported.json()
