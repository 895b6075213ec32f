"""The console's rules page in a real browser: add a rule, see it listed, try a text, at phone and desk widths."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role
from moderation.models import Rule
from moderation.services import rule_create
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PAGE = "/console/northern-lights/rules/"


def shots() -> Path:
    folder = Path(os.environ.get("FANFARE_SCREENSHOTS") or settings.BASE_DIR / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", [390, 1280])
def test_moderator_adds_a_rule_and_tries_a_text(browser: Any, live_site: str, width: int) -> None:
    brand = BrandFactory.create(name="Northern Lights", slug="northern-lights")
    CampaignFactory.create(brand=brand, slug="movement-monday", hashtag="#MovementMonday")
    moderator = UserFactory.create(email="mod@northern.test")
    MembershipFactory.create(user=moderator, brand=brand, role=Role.MODERATOR)
    rule_create(actor=moderator, brand=brand, kind="blocked_fan", value="spam.example", action="flag")
    rule_create(actor=moderator, brand=brand, kind="new_account", value="hours:24", action="flag")
    client = Client()
    client.force_login(moderator)
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
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_site}{PAGE}")

    page.get_by_label("Kind").select_option("burst")
    page.get_by_label("Value").fill("lots")
    page.get_by_role("button", name="Add the rule").click()
    assert "Write how many entries an hour" in page.locator("#id_value_error").inner_text()

    page.get_by_label("Kind").select_option("blocked_term")
    page.get_by_label("Value").fill("cheap pills")
    page.get_by_label("Action").select_option("hold")
    page.get_by_role("button", name="Add the rule").click()
    page.wait_for_url(f"{live_site}{PAGE}")
    assert page.get_by_text("The rule is in place.").is_visible()
    assert Rule.objects.filter(kind="blocked_term", value="cheap pills", action="hold").exists()

    page.get_by_label("Text to try").fill("Get CHEAP ＰＩＬＬＳ today, a classic offer")
    page.get_by_role("button", name="Try it").click()
    mark = page.locator(".rule-try-text mark")
    assert mark.inner_text() == "CHEAP ＰＩＬＬＳ"
    assert mark.get_attribute("title") == "cheap pills"
    page.screenshot(path=str(shots() / f"console-rules-{width}.png"), full_page=True)
    assert errors == []
    context.close()
