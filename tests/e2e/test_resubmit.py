"""Fix and resubmit in a real browser: "Send a new version" on My entries, the form, the queue's history.

Screenshots at a phone's and a desktop's width go to FANFARE_SCREENSHOTS (see
test_content_security_policy.py); the form is sent once with a new file, once keeping the picture.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role, User
from campaigns.models import Campaign, Guideline
from submissions.models import Entry, EntryState
from submissions.samples import sample_photo
from tests.e2e.test_content_security_policy import DESKTOP, PHONE, Walk
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import decide_now, pending_entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: FANFARE_SCREENSHOTS to keep them for a look, a temporary folder otherwise."""
    folder = Path(os.environ.get("FANFARE_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def logged_in(walk: Walk, user: User, site: str) -> Walk:
    client = Client()
    client.force_login(user)
    walk.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    return walk


def test_fan_sends_a_new_version_and_the_moderator_sees_the_history(
    browser: Any, live_site: str, shots: Path, tmp_path: Path
) -> None:
    brand = BrandFactory.create(name="Northern Lights", slug="northern-lights")
    campaign: Campaign = CampaignFactory.create(
        brand=brand, slug="movement-monday", hashtag="#MovementMonday", max_entries_per_fan_per_day=10
    )
    Guideline.objects.create(
        campaign=campaign, number=5, code="too-dark", text="The picture is bright enough to see.", fixable=True
    )
    moderator = UserFactory.create(email="mod@northern.test")
    MembershipFactory.create(user=moderator, brand=brand, role=Role.MODERATOR)
    fan = UserFactory.create(email="fan@example.test", display_name="Kitchen Dancer")
    rejected = {}
    for seed, viewport in ((3, PHONE), (4, DESKTOP)):
        entry = pending_entry(author=fan, campaign=campaign, seed=seed, caption=f"Night dance {seed}")
        decide_now(
            actor=moderator,
            entry_id=entry.pk,
            action="reject",
            guideline_codes=["too-dark"],
            note="We cannot see you: try by a window.",
        )
        rejected[viewport["width"]] = entry
    new_file = tmp_path / "brighter.jpg"
    new_file.write_bytes(sample_photo(seed=40, size=(900, 700)))

    problems: list[str] = []
    for viewport in (PHONE, DESKTOP):
        width = viewport["width"]
        entry = rejected[width]
        walk = logged_in(Walk(browser, live_site, viewport, shots), fan, live_site)
        walk.visit("/me/entries/", shot="resubmit-my-entries")
        walk.page.locator(f"a[href$='resubmit={entry.pk}']").click()
        walk.page.wait_for_load_state("networkidle")
        assert walk.page.get_by_role("heading", name="Why your entry was rejected").is_visible()
        assert walk.page.get_by_text("The picture is bright enough to see.").first.is_visible()
        assert walk.page.get_by_label("Caption").input_value() == entry.caption
        walk.page.screenshot(path=str(shots / f"resubmit-form-{width}.png"), full_page=True)
        walk.page.get_by_label("Caption").fill("Brighter now, by the window #MovementMonday")
        if width == PHONE["width"]:
            walk.page.get_by_label("Photo or video").set_input_files(str(new_file))
        walk.page.get_by_label("I accept the campaign's terms").check()
        walk.page.get_by_role("button", name="Send the new version").click()
        walk.page.wait_for_url(re.compile(r"/e/[0-9a-f-]{36}/$"))
        walk.check_here("after sending")
        new = Entry.objects.get(resubmission_of=entry)
        assert new.state == EntryState.PENDING
        assert new.caption == "Brighter now, by the window #MovementMonday"
        if width == PHONE["width"]:
            assert (new.width, new.height) == (900, 700)
        problems += walk.problems
        walk.context.close()

    for viewport in (PHONE, DESKTOP):
        staff = logged_in(Walk(browser, live_site, viewport, shots), moderator, live_site)
        staff.visit("/console/northern-lights/queue/")
        note = staff.page.locator("#q-resubmit")
        note.wait_for(state="visible")
        assert "New version" in note.inner_text()
        assert "The picture is bright enough to see." in note.inner_text()
        assert "Night dance" in note.inner_text()
        staff.page.screenshot(path=str(staff.shots / f"resubmit-queue-{viewport['width']}.png"), full_page=True)
        staff.page.locator("#q-resubmit a").first.click()
        staff.page.wait_for_load_state("networkidle")
        assert "New version" not in staff.page.locator("h1").inner_text()
        assert staff.page.get_by_text("The fan sent a new version of this entry").is_visible()
        problems += staff.problems
        staff.context.close()
    assert problems == []
