"""The audit trail over the API: who reads what, filters, and the streamed exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Brand, User
from activity.api import EXPORT_FIELDS
from activity.models import Activity
from campaigns.models import Campaign
from moderation.services import entry_decide
from submissions.models import Entry
from tests.helpers import pending_entry

pytestmark = pytest.mark.django_db
Api = Callable[[User | None], APIClient]
DAY = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def _at(
    brand: Brand, at: dt.datetime, verb: str = "entry.approved", actor: str = "mod@northern.test", **kw: Any
) -> Activity:
    fields: dict[str, Any] = {"actor_id": 7, "target_type": "entry", "target_id": "e1", "snapshot": {}, **kw}
    return Activity.objects.create(brand_id=brand.pk, at=at, verb=verb, actor=actor, **fields)


@pytest.fixture
def decided(campaign: Campaign, fan: User, moderator: User) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign)
    entry_decide(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["safe"], note="Too risky")
    return entry


def _stream(response: Any) -> str:
    assert response.streaming, "an export must stream, not sit in memory"
    return b"".join(response.streaming_content).decode()


# --- An entry's timeline --------------------------------------------------------------------------
def test_every_member_of_the_brand_reads_an_entrys_timeline(
    api: Api, decided: Entry, moderator: User, analyst: User, brand_admin: User
) -> None:
    for person in (moderator, analyst, brand_admin):
        response = api(person).get(f"/api/v1/entries/{decided.pk}/activity/")
        assert response.status_code == 200, person
        verbs = [row["verb"] for row in response.json()["results"]]
        assert verbs[0] == "entry.processed"
        assert set(response.json()["results"][0]) == {
            "id", "at", "actor", "verb", "target_type", "target_id", "campaign_id", "entry_id", "snapshot"
        }  # fmt: skip


def test_outsiders_fans_and_strangers_get_404_for_an_entrys_timeline(
    api: Api, decided: Entry, outsider: User, fan: User
) -> None:
    for person in (outsider, fan):
        assert api(person).get(f"/api/v1/entries/{decided.pk}/activity/").status_code == 404
    assert api(None).get(f"/api/v1/entries/{decided.pk}/activity/").status_code in (401, 403)
    assert api(outsider).get("/api/v1/entries/not-a-uuid/activity/").status_code == 404


def test_a_deleted_entrys_timeline_stays_readable_by_its_brand(api: Api, decided: Entry, analyst: User) -> None:
    entry_id = decided.pk
    Entry.objects.filter(pk=entry_id).delete()
    response = api(analyst).get(f"/api/v1/entries/{entry_id}/activity/")
    assert response.status_code == 200
    assert response.json()["results"]


# --- The brand's record -----------------------------------------------------------------------------
def test_admins_and_analysts_read_the_brands_record_and_moderators_do_not(
    api: Api, brand: Brand, brand_admin: User, analyst: User, moderator: User, outsider: User
) -> None:
    _at(brand, DAY)
    for person in (brand_admin, analyst):
        response = api(person).get(f"/api/v1/brands/{brand.slug}/activity/")
        assert response.status_code == 200
        assert response.json()["count"] == 1
    for person in (moderator, outsider):
        for suffix in ("", "export.csv", "export.jsonl"):
            assert api(person).get(f"/api/v1/brands/{brand.slug}/activity/{suffix}").status_code == 404


def test_the_brands_record_is_filtered_by_dates_actor_and_verb(
    api: Api, brand: Brand, other_brand: Brand, analyst: User
) -> None:
    early = _at(brand, DAY - dt.timedelta(days=2), verb="campaign.updated", target_type="campaign")
    on_day = _at(brand, DAY + dt.timedelta(hours=23, minutes=59), verb="entry.rejected")
    system = _at(brand, DAY + dt.timedelta(hours=1), actor="system:processing", actor_id=None, verb="entry.processed")
    late = _at(brand, DAY + dt.timedelta(days=3), actor="Admin@Northern.test", actor_id=8)
    _at(other_brand, DAY)
    client = api(analyst)

    def ids(**query: str) -> list[int]:
        response = client.get(f"/api/v1/brands/{brand.slug}/activity/", query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [late.pk, on_day.pk, system.pk, early.pk]  # newest first, only this brand
    assert ids(since="2026-11-20", until="2026-11-20") == [on_day.pk, system.pk]
    assert ids(since="2026-11-20T01:00:00Z", until="2026-11-20T23:00:00+00:00") == [system.pk]
    assert ids(since="2026-11-20T03:00:00+03:00") == [late.pk, on_day.pk, system.pk]
    assert ids(actor="system") == [system.pk]
    assert ids(actor="system:processing") == [system.pk]
    assert ids(actor="admin@northern.test") == [late.pk]
    assert ids(actor="8") == [late.pk]
    assert ids(verb="entry.") == [late.pk, on_day.pk, system.pk]
    assert ids(verb="entry.rej") == [on_day.pk]
    assert ids(verb="campaign") == [early.pk]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "yesterday"),
        ("since", "2026-02-30"),
        ("until", "2026-11-20T25:00:00Z"),
        ("since", " 2026-11-20"),
        ("actor", "two words"),
        ("actor", "ctrl\x1dchar"),
        ("actor", "x" * 255),
        ("verb", "Entry.Approved"),
        ("verb", "entry.approved.twice"),
    ],
)
def test_a_filter_that_cannot_be_read_is_a_400_naming_it(
    api: Api, brand: Brand, analyst: User, name: str, value: str
) -> None:
    query = {"since": "2026-11-20", name: value} if name == "until" else {name: value}
    for suffix in ("", "export.csv", "export.jsonl"):
        response = api(analyst).get(f"/api/v1/brands/{brand.slug}/activity/{suffix}", query)
        assert response.status_code == 400, suffix
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert list(body) == [name, "detail"]


def test_empty_filters_are_no_filters_and_a_range_ending_before_it_starts_matches_nothing(
    api: Api, brand: Brand, analyst: User
) -> None:
    _at(brand, DAY)
    url = f"/api/v1/brands/{brand.slug}/activity/"
    assert api(analyst).get(url, {"since": "", "until": "", "actor": "", "verb": ""}).json()["count"] == 1
    assert api(analyst).get(url, {"since": "2026-11-20", "until": "2026-11-19"}).json()["count"] == 0


# --- Exports --------------------------------------------------------------------------------------
def test_the_csv_export_streams_every_matching_row_oldest_first_and_parses_back(
    api: Api, brand: Brand, analyst: User
) -> None:
    rows = [_at(brand, DAY + dt.timedelta(minutes=n), snapshot={"n": n, "note": 'a, "quoted"\nline'}) for n in range(5)]
    _at(brand, DAY + dt.timedelta(days=5))
    response = api(analyst).get(
        f"/api/v1/brands/{brand.slug}/activity/export.csv", {"since": "2026-11-19", "until": "2026-11-21"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="northern-lights-activity-2026-11-19-to-2026-11-21.csv"'
    )
    parsed = list(csv.DictReader(io.StringIO(_stream(response))))
    assert [int(r["id"]) for r in parsed] == [r.pk for r in rows]
    assert tuple(parsed[0]) == EXPORT_FIELDS
    assert json.loads(parsed[2]["snapshot"]) == {"n": 2, "note": 'a, "quoted"\nline'}
    assert dt.datetime.fromisoformat(parsed[0]["at"]) == DAY


def test_the_json_lines_export_streams_one_record_per_line(api: Api, brand: Brand, brand_admin: User) -> None:
    for n in range(3):
        _at(brand, DAY + dt.timedelta(minutes=n), verb="entry.rejected" if n else "campaign.created", snapshot={"n": n})
    response = api(brand_admin).get(f"/api/v1/brands/{brand.slug}/activity/export.jsonl", {"verb": "entry."})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="northern-lights-activity-start-to-')
    lines = _stream(response).splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["snapshot"] for r in records] == [{"n": 1}, {"n": 2}]
    assert set(records[0]) == set(EXPORT_FIELDS)


def test_csv_cells_that_would_run_as_formulas_are_neutralised(api: Api, brand: Brand, analyst: User) -> None:
    _at(brand, DAY, actor='=HYPERLINK("http://evil.test")@x.test', target_id="+1", snapshot={})
    _at(brand, DAY + dt.timedelta(seconds=1), actor="@SUM(A1)", target_id="-2", verb="entry.approved")
    response = api(analyst).get(f"/api/v1/brands/{brand.slug}/activity/export.csv")
    parsed = list(csv.DictReader(io.StringIO(_stream(response))))
    assert [r["actor"] for r in parsed] == ['\'=HYPERLINK("http://evil.test")@x.test', "'@SUM(A1)"]
    assert [r["target_id"] for r in parsed] == ["'+1", "'-2"]
    for row in parsed:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())


def test_an_export_iterates_the_database_in_chunks_instead_of_loading_it(
    api: Api, brand: Brand, analyst: User, monkeypatch: Any
) -> None:
    from django.db.models import QuerySet

    Activity.objects.bulk_create(
        Activity(brand_id=brand.pk, at=DAY + dt.timedelta(seconds=n), actor="system:test", verb="entry.processed",
                 target_type="entry", target_id=str(n))
        for n in range(10)
    )  # fmt: skip
    chunks: list[int] = []
    real = QuerySet.iterator

    def spy(self: QuerySet[Any], chunk_size: int | None = None) -> Any:
        chunks.append(chunk_size or 0)
        return real(self, chunk_size=chunk_size)

    real_fetch_all = QuerySet._fetch_all

    def fetch_all(self: QuerySet[Any]) -> None:
        if self.model is Activity:
            pytest.fail("the export loaded the whole queryset")
        real_fetch_all(self)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    monkeypatch.setattr(QuerySet, "_fetch_all", fetch_all)
    for suffix in ("export.csv", "export.jsonl"):
        response = api(analyst).get(f"/api/v1/brands/{brand.slug}/activity/{suffix}")
        assert len(_stream(response).splitlines()) == 10 + (suffix == "export.csv")
    assert chunks == [2000, 2000]


def test_the_schema_documents_the_audit_endpoints_and_the_exports_media_types(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "/api/v1/entries/{entry_id}/activity/" in paths
    listing = paths["/api/v1/brands/{brand}/activity/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"since", "until", "actor", "verb", "limit", "offset"}
    for suffix, media_type in (("export.csv", "text/csv"), ("export.jsonl", "application/x-ndjson")):
        export = paths[f"/api/v1/brands/{{brand}}/activity/{suffix}"]["get"]
        assert list(export["responses"]["200"]["content"]) == [media_type]
        assert "400" in export["responses"]
