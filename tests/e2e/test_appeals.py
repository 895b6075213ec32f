"""Appeals in a real browser: the fan appeals from "My entries", another moderator upholds it in
the console's Appeals tab while the one who rejected it sees why they cannot. Photographed at a
phone's and a desktop's width (FANFARE_SCREENSHOTS keeps the pictures for a look)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role, User
from moderation.models import Appeal
from submissions.models import Entry, EntryState
from tests.e2e.test_content_security_policy import RECORD_VIOLATIONS
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import decide_now, pending_entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FANFARE_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def people() -> dict[str, Any]:
    brand = BrandFactory.create(name="Northern Lights", slug="northern-lights")
    campaign = CampaignFactory.create(
        brand=brand, slug="movement-monday", hashtag="#MovementMonday", max_entries_per_fan=10
    )
    rejecter = UserFactory.create(email="mod@northern.test")
    other = UserFactory.create(email="lead@northern.test")
    for person in (rejecter, other):
        MembershipFactory.create(user=person, brand=brand, role=Role.MODERATOR)
    fan = UserFactory.create(email="fan@example.test", display_name="Kitchen Dancer")
    entry = pending_entry(author=fan, campaign=campaign, seed=3, caption="Backflip off the kitchen table")
    decide_now(actor=rejecter, entry_id=entry.pk, action="reject", guideline_codes=["safe"], note="Looks risky")
    return {"fan": fan, "rejecter": rejecter, "other": other, "entry": entry}


@pytest.fixture
def open_as(browser: Any, live_site: str) -> Iterator[Callable[..., Any]]:
    """open_as(user, path, width) is a logged-in page at `path`, recording CSP refusals and errors."""
    contexts: list[Any] = []

    def open_(user: User, path: str, width: int) -> Any:
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.add_init_script(RECORD_VIOLATIONS)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_site,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto(f"{live_site}{path}")
        return page

    yield open_
    for context in contexts:
        context.close()


def clean(page: Any) -> None:
    assert page.errors == []
    assert page.evaluate("window.__cspViolations || []") == []


@pytest.mark.parametrize("width", [390, 1280])
def test_a_fan_appeals_and_another_moderator_upholds_it(
    open_as: Callable[..., Any], people: dict[str, Any], shots: Path, live_site: str, width: int
) -> None:
    entry: Entry = people["entry"]
    fan_page = open_as(people["fan"], "/me/entries/", width)
    fan_page.get_by_role("link", name="Appeal", exact=True).click()
    fan_page.wait_for_url(re.compile(r"/appeal/$"))
    box = fan_page.get_by_label("Why should the decision be looked at again?")
    box.fill("I practised it for weeks with a mat under the table; nobody was at risk.")
    counter = fan_page.locator("#appeal-counter")
    assert counter.inner_text().startswith(str(2000 - len(box.input_value())))
    fan_page.screenshot(path=str(shots / f"appeal-form-{width}.png"), full_page=True)
    fan_page.get_by_role("button", name="Send my appeal").click()
    fan_page.wait_for_load_state()
    assert fan_page.get_by_role("heading", name="Your appeal is being reviewed").is_visible()
    clean(fan_page)
    assert Appeal.objects.get().text.startswith("I practised it")

    blocked = open_as(people["rejecter"], "/console/northern-lights/queue/?view=appeals", width)
    blocked.wait_for_selector("#q-appeal:not([hidden])")
    assert blocked.locator("#q-appeal-text").inner_text().startswith("I practised it")
    assert blocked.get_by_role("button", name="Uphold: approve").is_disabled()
    assert blocked.locator("#q-appeal-blocked").is_visible()
    assert "Rejected by mod@northern.test citing safe" in blocked.locator("#q-decision").inner_text()
    blocked.screenshot(path=str(shots / f"console-appeals-blocked-{width}.png"), full_page=True)
    clean(blocked)

    deciding = open_as(people["other"], "/console/northern-lights/queue/", width)
    deciding.wait_for_function("() => window.fanfareQueue !== undefined")
    deciding.keyboard.press("g")
    deciding.keyboard.press("a")
    deciding.wait_for_selector("#q-appeal:not([hidden])")
    assert deciding.get_by_role("button", name="Uphold: approve").is_enabled()
    deciding.get_by_label("Reasons (sent to the fan)").fill("With a mat and practice, it is safe enough.")
    deciding.screenshot(path=str(shots / f"console-appeals-{width}.png"), full_page=True)
    deciding.get_by_role("button", name="Uphold: approve").click()
    deciding.wait_for_function("() => document.querySelector('#queue-status-text').textContent.includes('upheld')")
    entry.refresh_from_db()
    assert entry.state == EntryState.APPROVED
    deciding.wait_for_selector("#q-empty:not([hidden])")
    clean(deciding)

    fan_page.goto(f"{live_site}/me/entries/")
    assert fan_page.get_by_text("Appeal upheld:").is_visible()
    fan_page.screenshot(path=str(shots / f"my-entries-appeal-upheld-{width}.png"), full_page=True)
