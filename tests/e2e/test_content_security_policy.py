"""Every page works under its strict Content-Security-Policy: a browser walks the site and the
policy reports nothing refused. New pages are photographed at a phone's and a desktop's width."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError

from accounts.models import Role
from moderation.services import entry_shortlist
from submissions.samples import sample_photo
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import approved_entry, pending_entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-dance-password"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}

# Collects what the policy refuses, from the first script on each page.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} refused ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Walk:
    """One person's browser: visits pages and keeps every CSP refusal and page error it saw."""

    def __init__(self, browser: Any, site: str, viewport: dict[str, int], shots: Path) -> None:
        self.context = browser.new_context(viewport=viewport)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.site, self.shots, self.width = site, shots, viewport["width"]
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"{self.page.url}: page error {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.problems.append(f"{self.page.url}: {msg.text}") if "Content Security Policy" in msg.text else None
            ),
        )

    def visit(self, path: str, *, shot: str | None = None) -> Any:
        response = self.page.goto(f"{self.site}{path}")
        assert response is not None, path
        assert response.status < 400, f"{path}: {response.status}"
        self.page.wait_for_load_state("networkidle")
        self.check(path, response)
        if shot:
            self.page.screenshot(path=str(self.shots / f"{shot}-{self.width}.png"), full_page=True)
        return response

    def check_here(self, label: str) -> None:
        """What the policy refused on the page as it is now (after a click, a keypress)."""
        for _attempt in range(3):  # the page may be navigating (a form's answer, a refresh)
            self.page.wait_for_load_state("networkidle")
            try:
                seen = self.page.evaluate("window.__cspViolations || []")
            except PlaywrightError:
                continue
            self.problems += [f"{label}: {v}" for v in seen]
            return
        self.problems.append(f"{label}: the page never settled")

    def check(self, path: str, response: Any) -> None:
        policy = response.headers.get("content-security-policy", "")
        if response.headers.get("content-type", "").startswith("text/html"):
            directives = {d.strip().split(" ")[0]: d.strip() for d in policy.split(";")}
            assert directives.get("script-src", "").startswith("script-src 'self'"), f"{path}: {policy!r}"
            assert "unsafe" not in policy, f"{path} has a loose policy: {policy!r}"
            assert response.headers.get("permissions-policy"), f"{path} has no Permissions-Policy"
        seen = self.page.evaluate("window.__cspViolations || []")
        self.problems += [f"{path}: {v}" for v in seen]

    def log_in(self, email: str) -> None:
        self.page.goto(f"{self.site}/accounts/login/")
        self.page.get_by_label(re.compile("^Email")).fill(email)
        self.page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
        self.page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
        self.page.wait_for_load_state()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: FANFARE_SCREENSHOTS to keep them for a look, a temporary folder otherwise."""
    folder = Path(os.environ.get("FANFARE_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_site_works_under_its_content_security_policy(browser: Any, live_site: str, shots: Path) -> None:
    brand = BrandFactory.create(name="Northern Lights", slug="northern-lights")
    campaign = CampaignFactory.create(brand=brand, slug="movement-monday", hashtag="#MovementMonday")
    CampaignFactory.create(
        brand=brand, slug="launch-party", hashtag="#LaunchParty", opens_at=dt.datetime(2031, 1, 5, 10, tzinfo=dt.UTC)
    )
    admin = UserFactory.create(email="admin@northern.test", password=PASSWORD)
    fan = UserFactory.create(email="fan@example.test", password=PASSWORD, display_name="Kitchen Dancer")
    for person in (admin, fan):
        EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    MembershipFactory.create(user=admin, brand=brand, role=Role.ADMIN)
    shown = approved_entry(author=fan, campaign=campaign, moderator=admin)
    entry_shortlist(actor=admin, entry_id=shown.pk)
    call_command("publish_features", "--campaign", "movement-monday", "--now")
    pending_entry(author=UserFactory.create(email="other@example.test"), campaign=campaign, seed=5)

    problems: list[str] = []
    for viewport in (PHONE, DESKTOP):
        visitor = Walk(browser, live_site, viewport, shots)
        for path in ("/", "/c/movement-monday/", f"/e/{shown.pk}/", "/accounts/login/", "/accounts/signup/"):
            visitor.visit(path)
        visitor.visit("/embed/v1/movement-monday/")
        visitor.visit("/api/docs/")
        visitor.page.get_by_text("Fanfare API").first.wait_for()
        problems += visitor.problems
        visitor.context.close()

    # The fan enters with the upload script, reads "My entries" and makes an API token.
    fan_walk = Walk(browser, live_site, PHONE, shots)
    fan_walk.log_in(fan.email)
    fan_walk.visit("/c/movement-monday/enter/")
    fan_walk.page.get_by_label("Photo or video").set_input_files(
        {"name": "dance.jpg", "mimeType": "image/jpeg", "buffer": sample_photo(seed=31)}
    )
    fan_walk.page.get_by_label("Describe your picture").fill("A fan on a skateboard")
    fan_walk.page.get_by_label("I accept the campaign's terms").check()
    fan_walk.page.get_by_role("button", name="Send my entry").click()
    fan_walk.page.wait_for_url(re.compile(r"/e/[0-9a-f-]{36}/$"))
    fan_walk.check_here("entry page after upload")
    fan_walk.visit("/me/entries/")
    for viewport in (PHONE, DESKTOP):
        fan_walk.page.set_viewport_size(viewport)
        fan_walk.width = viewport["width"]
        fan_walk.visit("/me/tokens/", shot="api-tokens")
    fan_walk.page.get_by_label(re.compile(r"^Name:?$")).fill("Shop integration")
    fan_walk.page.get_by_label("Your password").fill(PASSWORD)
    fan_walk.page.get_by_role("button", name="Create a token").click()
    fan_walk.page.get_by_text("shown only this once").wait_for()
    fan_walk.check_here("/me/tokens/ (created)")
    for viewport in (PHONE, DESKTOP):
        fan_walk.page.set_viewport_size(viewport)
        fan_walk.width = viewport["width"]
        fan_walk.page.screenshot(path=str(shots / f"api-tokens-created-{fan_walk.width}.png"), full_page=True)
    fan_walk.visit("/accounts/password/change/")
    problems += fan_walk.problems

    # The brand admin: console, the preview of a scheduled campaign, the keyboard queue.
    staff = Walk(browser, live_site, DESKTOP, shots)
    staff.log_in(admin.email)
    for path in ("/console/", "/console/northern-lights/", "/console/northern-lights/campaigns/movement-monday/edit/"):
        staff.visit(path)
    staff.visit("/console/northern-lights/campaigns/movement-monday/feature/")
    # The audit trail: the brand's activity (filtered, as a person would) and one entry's page.
    for viewport in (PHONE, DESKTOP):
        staff.page.set_viewport_size(viewport)
        staff.width = viewport["width"]
        staff.visit("/console/northern-lights/activity/?verb=entry.", shot="console-activity")
        staff.visit(f"/console/northern-lights/entries/{shown.pk}/", shot="console-entry")
    for viewport in (PHONE, DESKTOP):
        staff.page.set_viewport_size(viewport)
        staff.width = viewport["width"]
        staff.visit("/console/northern-lights/moderators/", shot="moderator-stats")
        staff.visit(f"/console/northern-lights/moderators/?period=24h&moderator={admin.pk}", shot="moderator-stats-one")
    for viewport in (PHONE, DESKTOP):
        staff.page.set_viewport_size(viewport)
        staff.width = viewport["width"]
        staff.visit("/c/launch-party/", shot="campaign-preview")
    staff.visit("/console/northern-lights/queue/")
    staff.page.keyboard.press("a")
    staff.check_here("queue after a decision")
    problems += staff.problems
    # No page may still be talking to the server (a refresh, a queue request) when the test
    # database is flushed after the test.
    fan_walk.context.close()
    staff.context.close()

    assert not problems, "\n".join(problems)
