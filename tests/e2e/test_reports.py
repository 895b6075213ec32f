"""Reports in a real browser: a visitor reports an entry; a moderator keeps one from the Reported tab."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from campaigns.models import Campaign
from moderation.models import Report
from moderation.services import report_create
from submissions.models import Entry
from tests.helpers import approved_entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
WIDTHS = (390, 1280)


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FANFARE_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_visitor_reports_an_entry_without_an_account(
    browser: Any, live_site: str, fan: User, campaign: Campaign, moderator: User, tmp_path: Path
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator, caption="Roof top moves")
    shots = _shots(tmp_path)
    for n, width in enumerate(WIDTHS):
        context = browser.new_context(viewport={"width": width, "height": 900}, user_agent=f"Visitor {n}")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{live_site}/e/{entry.pk}/")
        page.get_by_role("link", name="Report").click()
        page.get_by_role("button", name="Send the report").click()
        assert page.locator("#reason-error").inner_text() == "This field is required."
        page.get_by_label("It breaks rule 3: No dangerous stunts.").check()
        page.get_by_label("Details (optional)").fill("Jumping between roofs")
        assert "979 characters left." in page.locator("#details-count").inner_text()
        page.screenshot(path=str(shots / f"report-form-{width}.png"), full_page=True)
        page.get_by_role("button", name="Send the report").click()
        assert page.get_by_role("heading", name="Thank you for your report").is_visible()
        page.screenshot(path=str(shots / f"report-thanks-{width}.png"), full_page=True)
        assert errors == []
        context.close()
    assert Report.objects.filter(entry=entry, reason="safe").count() == 2


def test_a_moderator_keeps_a_hidden_entry_from_the_reported_tab(
    browser: Any, live_site: str, fan: User, campaign: Campaign, moderator: User, tmp_path: Path
) -> None:
    public = approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=2, caption="Two reports")
    hidden = approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=3, caption="A stranger")
    for n in range(2):
        report_create(
            actor=None, entry_id=public.pk, reason="illegal", details=f"Report {n}", address=f"192.0.2.{n}", agent="x"
        )
    report_create(actor=None, entry_id=hidden.pk, reason="depicted_person", address="192.0.2.9", agent="y")
    shots = _shots(tmp_path)
    client = Client()
    client.force_login(moderator)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_site,
                }
            ]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{live_site}/console/{campaign.brand.slug}/queue/")
        page.wait_for_function("() => window.fanfareQueue !== undefined")
        page.keyboard.press("g")
        page.keyboard.press("r")
        page.locator(".q-reports").wait_for()
        assert "Illegal content × 2" in page.locator(".q-reports").inner_text()
        assert page.locator('[data-count="reported"]').inner_text() == "2"
        page.screenshot(path=str(shots / f"console-reported-{width}.png"), full_page=True)
        assert errors == []
        context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_site,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_site}/console/{campaign.brand.slug}/queue/?view=reported")
    page.wait_for_function("() => window.fanfareQueue !== undefined")
    page.locator(".q-reports").wait_for()
    page.keyboard.press("j")  # the hidden entry was reported last: second in the list
    page.get_by_text("Hidden after reports.").wait_for()
    page.get_by_role("button", name="Keep (show it again)").click()
    _until(lambda: Entry.objects.get(pk=hidden.pk).state == "approved")
    context.close()
