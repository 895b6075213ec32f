"""The tenancy sweep: every brand-scoped console page and API route, walked by the wrong people.

An outsider (admin of another brand) gets 404 everywhere, so they cannot even learn that a brand,
campaign or entry exists. An analyst reads but cannot write: every write is refused (404/403) and
changes nothing. A brand admin reaching each route (not 404) proves the route list is not stale.

A new brand-scoped route only needs a new line in ROUTES; test_every_brand_scoped_route_is_swept
fails until it has one.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.models import User
from campaigns.models import Campaign, Guideline
from moderation.models import Appeal, Decision, Feature, Report, Rule, ShortlistItem
from moderation.services import appeal_file, decisions_bulk, entry_decide, entry_shortlist, rule_create
from submissions.models import Entry
from submissions.samples import sample_photo
from submissions.services import entry_create, entry_process
from tests.helpers import decide_now

CAMPAIGN_FORM = {
    "slug": "movement-monday",
    "title": "Taken over",
    "hashtag": "#MovementMonday",
    "consent_terms": "Other terms.",
    "guidelines": "evil: Only our rules now.",
    "opens_at": "2030-03-01T10:00",
    "time_zone": "UTC",
    "feature_weekday": "0",
    "feature_hour": "12",
    "feature_count": "6",
    "max_bytes": "20",
    "max_pixels": "50000000",
    "max_entries_per_fan": "5",
    "max_entries_per_fan_per_day": "3",
    "accepts_photos": "on",
    "accepts_videos": "on",
    "max_video_seconds": "60",
}


@dataclass(frozen=True)
class Route:
    method: str
    # placeholders: {brand} {campaign} {pending} {approved} {shortlisted} {rule}, and {deciding} (an entry
    # whose approval {decision} waits out its undo window) and {bulk} (a bulk rejection, likewise);
    # {appealed}: a rejected entry its fan appealed
    path: str
    data: dict[str, Any] = field(default_factory=dict)
    api: bool = False
    # GETs are reads unless they change state (the console queue claims an entry).
    writes: bool | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "GET" if self.writes is None else self.writes

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


C = "/console/{brand}"
F = "/console/{brand}/campaigns/{campaign}/feature"
ROUTES = [
    # Console pages
    Route("GET", C + "/"),
    Route("GET", C + "/campaigns/new/"),
    Route("POST", C + "/campaigns/new/", {**CAMPAIGN_FORM, "slug": "sneaky"}),
    Route("GET", C + "/campaigns/{campaign}/edit/"),
    Route("POST", C + "/campaigns/{campaign}/edit/", CAMPAIGN_FORM),
    Route("GET", C + "/moderators/"),
    Route("GET", C + "/queue/", writes=True),
    Route("POST", C + "/queue/{pending}/decide/", {"action": "approve"}),
    Route("POST", C + "/queue/{pending}/skip/"),
    Route("GET", C + "/entries/{pending}/original/"),
    Route("GET", C + "/entries/{pending}/"),
    Route("GET", C + "/activity/"),
    Route("GET", C + "/rules/", {"text": "spam"}),
    Route("POST", C + "/rules/", {"kind": "blocked_term", "value": "sneaky", "action": "flag"}),
    Route("GET", C + "/rules/{rule}/edit/"),
    Route("POST", C + "/rules/{rule}/edit/", {"kind": "blocked_term", "value": "other", "action": "hold"}),
    Route("GET", C + "/rules/{rule}/delete/"),
    Route("POST", C + "/rules/{rule}/delete/"),
    Route("GET", F + "/"),
    Route("POST", F + "/publish/"),
    Route("POST", F + "/{approved}/shortlist/"),
    Route("POST", F + "/{shortlisted}/unshortlist/"),
    Route("POST", F + "/{approved}/remove/", {"guidelines": ["safe"]}),
    # API
    Route("GET", "/api/v1/brands/{brand}/queue/", api=True),
    Route("POST", "/api/v1/brands/{brand}/queue/claim/", api=True),
    Route("GET", "/api/v1/entries/{pending}/", api=True),
    Route("POST", "/api/v1/entries/{pending}/decision/", {"action": "approve"}, api=True),
    Route("POST", "/api/v1/entries/{approved}/shortlist/", api=True),
    Route("DELETE", "/api/v1/entries/{shortlisted}/shortlist/", api=True),
    Route("POST", "/api/v1/campaigns/{campaign}/features/publish/", api=True),
    Route("POST", "/api/v1/brands/{brand}/queue/claims/", {"count": 2}, api=True),
    Route("POST", "/api/v1/brands/{brand}/queue/leases/", {"entries": ["{pending}"]}, api=True),
    Route("POST", "/api/v1/brands/{brand}/queue/release/", {"entries": ["{deciding}"]}, api=True),
    Route("POST", "/api/v1/brands/{brand}/bulk/", {"action": "approve", "entries": ["{pending}"]}, api=True),
    Route("POST", "/api/v1/brands/{brand}/bulk/{bulk}/undo/", api=True),
    Route("GET", "/api/v1/brands/{brand}/entries/", {"view": "done"}, api=True),
    Route("GET", "/api/v1/brands/{brand}/views/", api=True),
    Route("POST", "/api/v1/decisions/{decision}/undo/", api=True),
    Route("POST", "/api/v1/entries/{approved}/reversal/", {"action": "withdraw_approval", "reason": "Oops"}, api=True),
    Route("GET", "/api/v1/entries/{pending}/activity/", api=True),
    Route("POST", "/api/v1/entries/{approved}/keep/", {"note": "Fine"}, api=True),
    Route("POST", "/api/v1/entries/{approved}/remove/", {"guidelines": ["safe"]}, api=True),
    Route("GET", "/api/v1/brands/{brand}/activity/", api=True),
    Route("GET", "/api/v1/brands/{brand}/activity/export.csv", api=True),
    Route("GET", "/api/v1/brands/{brand}/activity/export.jsonl", api=True),
    # Filing (POST) is the author's alone (tests/moderation/test_appeals_api.py); the brand reads it.
    Route("GET", "/api/v1/entries/{appealed}/appeal/", api=True),
    Route("POST", "/api/v1/entries/{appealed}/appeal/decision/", {"outcome": "rejected", "reasons": "No"}, api=True),
    Route("GET", "/api/v1/brands/{brand}/rules/", api=True),
    Route(
        "POST", "/api/v1/brands/{brand}/rules/", {"kind": "blocked_term", "value": "sneaky", "action": "flag"}, api=True
    ),
    Route("PATCH", "/api/v1/brands/{brand}/rules/{rule}/", {"action": "hold"}, api=True),
    Route("DELETE", "/api/v1/brands/{brand}/rules/{rule}/", api=True),
    Route("POST", "/api/v1/brands/{brand}/rules/test/", {"text": "spam here"}, api=True, writes=False),
]

# API routes that are not brand-scoped: public reads, a fan's own entries, token login.
NOT_BRAND_SCOPED = {
    "api-token",
    "api-campaigns",
    "api-campaign",
    "api-campaign-entries",
    "api-campaign-featured",
    "api-my-entries",
    # A fan's own upload slots: scoped to their author (tests/submissions/test_direct_upload.py).
    "api-campaign-uploads",
    "api-upload-file",
    "api-upload-complete",
    # A fan's new version of their own rejected entry: anyone but its author, brand staff included,
    # gets 404 (tests/submissions/test_resubmit.py).
    "api-entry-resubmit",
    "console-home",
    # A person's own API tokens: someone else's token id is a 404 (tests/accounts/test_api_tokens.py).
    "api-tokens",
    "api-token-detail",
    # Reporting a public entry: open to anyone (no account), per reporter (tests/moderation/test_reports_api.py).
    "api-entry-reports",
    # Its public page (/e/<id>/report/, outside console/): the same service, tests/moderation/test_report_page.py.
    "entry-report",
}


def _entry(*, fan: User, campaign: Campaign, seed: int) -> Entry:
    data = sample_photo(seed=seed, size=(320, 240))
    entry = entry_create(
        author=fan, campaign=campaign, upload=io.BytesIO(data), size=len(data), alt_text="A dancer", consent=True
    )
    entry_process(entry_id=entry.pk)
    entry.refresh_from_db()
    return entry


@pytest.fixture
def world(brand: Any, campaign: Campaign, moderator: User, fan: User) -> dict[str, str]:
    """One campaign with a pending, an approved and a shortlisted entry, and two decided within
    their undo window (one alone, one in bulk)."""
    campaign.max_entries_per_fan = campaign.max_entries_per_fan_per_day = 10
    campaign.save(update_fields=["max_entries_per_fan", "max_entries_per_fan_per_day"])
    pending = _entry(fan=fan, campaign=campaign, seed=1)
    approved = _entry(fan=fan, campaign=campaign, seed=2)
    shortlisted = _entry(fan=fan, campaign=campaign, seed=3)
    deciding = _entry(fan=fan, campaign=campaign, seed=4)
    in_bulk = _entry(fan=fan, campaign=campaign, seed=5)
    appealed = _entry(fan=fan, campaign=campaign, seed=6)
    decide_now(actor=moderator, entry_id=appealed.pk, action="reject", guideline_codes=["safe"])
    appeal_file(actor=fan, entry_id=appealed.pk, text="Please look again")
    for entry in (approved, shortlisted):
        decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    entry_shortlist(actor=moderator, entry_id=shortlisted.pk)
    decision = entry_decide(actor=moderator, entry_id=deciding.pk, action="approve")
    bulk = decisions_bulk(
        actor=moderator, brand=brand, action="reject", entry_ids=[in_bulk.pk], guideline_codes=["safe"]
    )
    rule = rule_create(actor=moderator, brand=brand, kind="blocked_term", value="spam", action="flag")
    return {
        "brand": brand.slug,
        "campaign": campaign.slug,
        "pending": str(pending.pk),
        "approved": str(approved.pk),
        "shortlisted": str(shortlisted.pk),
        "deciding": str(deciding.pk),
        "decision": str(decision.pk),
        "bulk": str(bulk.bulk_id),
        "appealed": str(appealed.pk),
        "rule": str(rule.pk),
    }


def snapshot() -> dict[str, Any]:
    """Everything a brand-scoped write could change."""
    return {
        "entries": sorted(Entry.objects.values_list("pk", "state", "claimed_by_id", "claim_expires_at")),
        "decisions": sorted(Decision.objects.values_list("pk", "undone_at", "applied_at")),
        "shortlist": sorted(ShortlistItem.objects.values_list("entry_id", "iso_year", "iso_week")),
        "features": Feature.objects.count(),
        "appeals": sorted(Appeal.objects.values_list("pk", "decided_at", "outcome")),
        "campaigns": sorted(Campaign.objects.values_list("slug", "title", "consent_version", "updated_at")),
        "guidelines": sorted(Guideline.objects.values_list("campaign_id", "code", "text", "active")),
        "reports": sorted(Report.objects.values_list("pk", "resolved_at")),
        "rules": sorted(Rule.objects.values_list("pk", "kind", "value", "action", "guideline", "campaign_id")),
    }


def _filled(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, list):
        return [_filled(v, world) for v in value]
    return value


def call(route: Route, user: User, world: dict[str, str], api: Any) -> Any:
    path = route.path.format(**world)
    data = {key: _filled(value, world) for key, value in route.data.items()}
    if route.api:
        client = api(user)
        return getattr(client, route.method.lower())(path, data or None, format="json")
    client = Client()
    client.force_login(user)
    return getattr(client, route.method.lower())(path, data)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_outsider_gets_404_and_analyst_cannot_write(
    route: Route, world: dict[str, str], outsider: User, analyst: User, brand_admin: User, api: Any
) -> None:
    before = snapshot()
    response = call(route, outsider, world, api)
    assert response.status_code == 404, f"outsider: {route} gave {response.status_code}"
    assert snapshot() == before, f"outsider changed something through {route}"

    if route.is_write:
        response = call(route, analyst, world, api)
        assert response.status_code in (403, 404), f"analyst: {route} gave {response.status_code}"
        assert snapshot() == before, f"analyst changed something through {route}"

    # The route is real: a brand admin gets through (whatever the business answer is).
    response = call(route, brand_admin, world, api)
    assert response.status_code not in (404, 405), f"brand admin: {route} gave {response.status_code}"
    assert response.status_code < 500


def _route_names(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            names += _route_names(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append((pattern.name, prefix + str(pattern.pattern)))
    return names


def test_every_brand_scoped_route_is_swept() -> None:
    """Each console page and each API route is either in ROUTES or declared not brand-scoped."""
    ids = ("pending", "approved", "shortlisted", "deciding", "bulk", "appealed", "rule")
    dummy = {"brand": "b", "campaign": "c", "decision": "1", **{k: str(uuid.uuid4()) for k in ids}}
    swept = {resolve(route.path.format(**dummy)).url_name for route in ROUTES}
    scoped = {
        name
        for name, route in _route_names(get_resolver())
        if route.startswith(("console/", "api/v1/")) and name not in NOT_BRAND_SCOPED
    }
    assert scoped - swept == set(), "add these routes to ROUTES in tests/test_tenancy.py"
