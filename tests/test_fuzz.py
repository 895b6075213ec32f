"""Schemathesis fuzzes the whole API against its own live OpenAPI schema: 0 server errors, 0 violations.

A live server (pytest-django's `live_server`, on this run's test database) serves `/api/schema/`;
schemathesis' CLI generates requests from it (valid and invalid ones) with every check, once
anonymously, once as a fan, once as a moderator, and once as an analyst for the brand's audit trail
(see AUDIT). Path parameters are often the real ones of
the data made here (a brand, an open campaign, pending and approved entries, an upload slot), so
the decision, claim, shortlist, upload and activity operations are reached, not only their 404s.

Any failure fails the test with schemathesis' report; its summary line is printed either way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from accounts.tokens import api_token_create
from campaigns.models import MAX_BYTES_LIMIT
from submissions.models import UploadSlot
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import approved_entry, pending_entry

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

# Per persona and operation; with the coverage phase this keeps the three runs near two minutes.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SUMMARY = re.compile(r"^=+ .* in [0-9.]+s =+$", re.MULTILINE)
CASES = re.compile(r"^\s*([0-9]+ generated.*)$", re.MULTILINE)
# Where the server reads the file's bytes or the campaign's own rules (its byte limit, the kinds it
# takes, ffmpeg on this machine, a fan's entries so far, its guideline codes), or checks a password,
# a request the schema calls valid can still be a documented 400 naming the field: no schema can
# describe a decodable photo, one campaign's state or someone's password. Everything else a schema
# can say, it says (tests/test_api_docs.py holds it to that).
DECIDED_BY_DATA = [
    "/api/v1/auth/token/",
    "/api/v1/campaigns/{slug}/entries/",
    "/api/v1/campaigns/{slug}/uploads/",
    "/api/v1/uploads/{slot_id}/complete/",
    "/api/v1/entries/{entry_id}/decision/",
    # A rejection must cite guidelines, a reversal needs a reason that is not only white space.
    "/api/v1/brands/{brand}/bulk/",
    "/api/v1/entries/{entry_id}/reversal/",
    # A report's reason may be one of the campaign's guideline codes; a removal cites them.
    "/api/v1/entries/{entry_id}/reports/",
    "/api/v1/entries/{entry_id}/remove/",
    # Whether an entry may be sent again depends on its rejection's guidelines and its campaign.
    "/api/v1/entries/{entry_id}/resubmit/",
    # A rule's value is read by its kind (a term, an address or domain, `fan:N`, `hours:N`…), and
    # its guideline and campaign must be the brand's own.
    "/api/v1/brands/{brand}/rules/",
    "/api/v1/brands/{brand}/rules/{rule_id}/",
]
# A multipart body carries every value as text: `caption=false` is the caption "false", so a "wrong
# type" there is a valid request. Negative checks stay on for the JSON twin (complete), which reads
# the same fields with the same serializer.
# The lease release also takes a URL-encoded form (navigator.sendBeacon cannot send JSON with a CSRF
# header), whose values are text too.
MULTIPART = [
    "/api/v1/campaigns/{slug}/entries/",
    "/api/v1/uploads/{slot_id}/file/",
    "/api/v1/brands/{brand}/queue/release/",
]
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
# The brand's audit trail and its exports answer only owners, admins and analysts (moderators get
# 404), so a fourth run, as an analyst, fuzzes them and nothing else. The exports stream CSV and
# JSON lines, which the schema documents as such (text/csv, application/x-ndjson).
AUDIT = r"^/api/v1/brands/\{brand\}/activity/"


def _token_for(user: User) -> str:
    return api_token_create(user=user, name="fuzz")


def _world() -> dict[str, Any]:
    """A brand with a moderator, an open campaign with guidelines, a fan with entries in every step."""
    brand = BrandFactory.create(name="Fuzz Records", slug="fuzz-records")
    moderator = UserFactory.create(email="mod@fuzz.test")
    MembershipFactory.create(user=moderator, brand=brand, role=Role.MODERATOR)
    admin = UserFactory.create(email="admin@fuzz.test")
    MembershipFactory.create(user=admin, brand=brand, role=Role.ADMIN)
    analyst = UserFactory.create(email="analyst@fuzz.test")
    MembershipFactory.create(user=analyst, brand=brand, role=Role.ANALYST)
    campaign = CampaignFactory.create(
        brand=brand,
        slug="fuzz-monday",
        max_bytes=MAX_BYTES_LIMIT,
        max_entries_per_fan=10_000,
        max_entries_per_fan_per_day=10_000,
    )
    fan = UserFactory.create(email="fan@fuzz.test", display_name="Fuzzy Fan")
    pending = [pending_entry(author=fan, campaign=campaign, seed=seed) for seed in range(1, 5)]
    approved = approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=9)
    slot = UploadSlot.objects.create(
        campaign=campaign,
        author=fan,
        key="quarantine/fuzz",
        kind="photo",
        content_type="image/jpeg",
        max_bytes=campaign.max_bytes,
        expires_at=timezone.now() + dt.timedelta(minutes=10),
    )
    return {
        "tokens": {
            "fan": _token_for(fan),
            "moderator": _token_for(moderator),
            "admin": _token_for(admin),
            "analyst": _token_for(analyst),
        },
        "dictionaries": {
            "slugs": [campaign.slug],
            "brands": [brand.slug],
            "entries": [str(e.pk) for e in [*pending, approved]],
            "slots": [str(slot.pk)],
        },
    }


def _config(path: Path, world: dict[str, Any], token: str | None) -> Path:
    lines = [f'[generation]\nmax-examples = {MAX_EXAMPLES}\ndatabase = "none"\n']
    if token:
        lines.append(f'[headers]\nAuthorization = "Token {token}"\n')
    lines.append("[dictionaries]")
    for name, values in world["dictionaries"].items():
        lines.append(f"{name} = {{ values = {json.dumps(values)} }}")
    lines.append("\n[parameters]")
    for param, dictionary in [("slug", "slugs"), ("brand", "brands"), ("entry_id", "entries"), ("slot_id", "slots")]:
        lines.append(f'"path.{param}" = {{ dictionary = "{dictionary}", probability = 0.7 }}')
    for operation in dict.fromkeys([*DECIDED_BY_DATA, *MULTIPART]):  # one entry per operation: the first match wins
        lines.append(f'\n[[operations]]\ninclude-path = "{operation}"')
        if operation in DECIDED_BY_DATA:
            lines.append(f"checks.positive_data_acceptance.expected-statuses = {json.dumps([*ACCEPTED, '400'])}")
        if operation in MULTIPART:
            lines.append("checks.negative_data_rejection.enabled = false")
    path.write_text("\n".join(lines) + "\n")
    return path


# Signed out, the lease release only ever answers 401 (tests/test_api_errors.py and the tenancy
# sweep hold that); fuzzing it anonymously made the test server (Django's live server, not the
# app) drop the connection now and then mid-request, a "Network Error" that failed CI without
# telling us anything about Fanfare. The signed-in runs still fuzz it.
ANONYMOUS_SKIPS = r"/queue/release/$"


def _fuzz(
    base_url: str, config: Path, report: Path, only: str | None = None, skip: str | None = None
) -> subprocess.Popen[str]:
    """Start one schemathesis run; it works in the config's folder (its crash cache stays out of the tree)."""
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{base_url}/api/schema/?format=json",
        # Every check runs by default; not `--checks all`, which would override the operations'
        # own settings in the config file (CLI options come first), such as MULTIPART's.
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *(["--include-path-regex", only] if only else []),
        *(["--exclude-path-regex", skip] if skip else []),
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=config.parent)


def test_the_api_survives_schemathesis_as_anyone_a_fan_a_moderator_and_an_analyst(
    live_server: Any, tmp_path: Path
) -> None:
    world = _world()
    # PostgreSQL serves the runs at once; SQLite's shared in-memory test database, one at a time.
    at_once = connection.vendor == "postgresql"
    started = time.monotonic()
    runs: dict[str, subprocess.Popen[str]] = {}
    outputs: dict[str, str] = {}
    for persona in ("anonymous", "fan", "moderator", "analyst"):
        config = _config(tmp_path / f"{persona}.toml", world, world["tokens"].get(persona))
        only = AUDIT if persona == "analyst" else None
        skip = ANONYMOUS_SKIPS if persona == "anonymous" else None
        runs[persona] = _fuzz(live_server.url, config, tmp_path / f"{persona}.xml", only, skip)
        if not at_once:
            outputs[persona] = runs[persona].communicate(timeout=600)[0]
    failures = []
    for persona, run in runs.items():
        output = outputs.get(persona) or run.communicate(timeout=600)[0]
        found, cases = SUMMARY.findall(output), CASES.findall(output)
        last = f"{found[-1]} ({cases[-1] if cases else 'no count'})" if found else output[-500:]
        print(f"schemathesis as {persona}: {last}")
        if run.returncode != 0:
            failures.append(f"--- schemathesis as {persona} (exit {run.returncode}) ---\n{output}")
    print(f"schemathesis: four runs in {time.monotonic() - started:.0f} s")
    assert not failures, "\n".join(failures)
