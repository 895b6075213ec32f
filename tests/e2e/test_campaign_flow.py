"""The whole campaign flow as people live it, in a real browser.

A fan signs up, verifies the address, uploads a photo and sees it in review; a moderator approves
and shortlists it; the week's feature is published; a brand's page on another origin embeds the
gallery script and shows the picture and caption.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command

from accounts.models import Role
from submissions.models import Entry
from submissions.samples import sample_photo
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.helpers import undo_window_passes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-dance-password"


def test_fan_entry_goes_from_upload_to_the_embedded_gallery(
    browser: Any, live_site: str, other_origin: tuple[str, Any]
) -> None:
    brand = BrandFactory.create(name="Northern Lights", slug="northern-lights")
    CampaignFactory.create(brand=brand, slug="movement-monday", hashtag="#MovementMonday")
    moderator = UserFactory.create(email="mod@northern.test", password=PASSWORD)
    EmailAddress.objects.create(user=moderator, email=moderator.email, verified=True, primary=True)
    MembershipFactory.create(user=moderator, brand=brand, role=Role.ADMIN)

    # --- The fan, on a phone-sized screen -------------------------------------------------------
    fan_ctx = browser.new_context(viewport={"width": 390, "height": 844})
    fan = fan_ctx.new_page()
    fan.goto(f"{live_site}/accounts/signup/")
    fan.get_by_label(re.compile("^Email")).fill("dancer@example.test")
    fan.get_by_label(re.compile("^Name shown with your entries")).fill("Kitchen Dancer")
    fan.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    fan.get_by_label(re.compile(r"^Password \(again\)")).fill(PASSWORD)
    fan.get_by_role("button", name=re.compile("Sign Up", re.I)).click()
    fan.wait_for_load_state()

    found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", str(mail.outbox[-1].body))
    assert found is not None
    link = found.group(0)
    fan.goto(link)
    fan.get_by_role("button", name=re.compile("Confirm", re.I)).click()
    fan.wait_for_load_state()
    if "/accounts/login/" in fan.url:
        fan.get_by_label(re.compile("^Email")).fill("dancer@example.test")
        fan.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
        fan.get_by_role("button", name=re.compile("Sign In", re.I)).click()
        fan.wait_for_load_state()

    fan.goto(f"{live_site}/c/movement-monday/")
    fan.get_by_role("link", name="Enter the challenge").click()
    fan.get_by_label("Photo or video").set_input_files(
        {"name": "dance.jpg", "mimeType": "image/jpeg", "buffer": sample_photo(seed=21, with_gps=True)}
    )
    fan.get_by_label("Describe your picture").fill("A fan spinning in a kitchen")
    fan.get_by_label("Caption").fill("Kitchen spin <b>for</b> #MovementMonday")
    fan.get_by_label("I accept the campaign's terms").check()
    fan.get_by_role("button", name="Send my entry").click()
    fan.wait_for_url(re.compile(r"/e/[0-9a-f-]{36}/$"))
    fan.get_by_text("In review").first.wait_for()
    fan.get_by_text(re.compile("^by Kitchen Dancer")).wait_for()  # the chosen name, not the e-mail
    entry = Entry.objects.get()
    assert entry.state == "pending"

    # --- The moderator ------------------------------------------------------------------------
    mod_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    mod = mod_ctx.new_page()
    mod.goto(f"{live_site}/accounts/login/")
    mod.get_by_label(re.compile("^Email")).fill(moderator.email)
    mod.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    mod.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    mod.wait_for_load_state()
    mod.goto(f"{live_site}/console/northern-lights/queue/")
    mod.get_by_text("Kitchen spin <b>for</b> #MovementMonday").first.wait_for()
    mod.get_by_role("button", name=re.compile("^Approve")).click()
    # The one-page queue sends the decision in the background; it takes effect after the undo window.
    mod.wait_for_function("() => window.fanfareQueue.acked === 1 && window.fanfareQueue.sending === 0")
    assert undo_window_passes() == 1
    entry.refresh_from_db()
    assert entry.state == "approved"

    mod.goto(f"{live_site}/console/northern-lights/campaigns/movement-monday/feature/")
    mod.get_by_role("button", name=re.compile("^Shortlist")).first.click()
    mod.wait_for_load_state()

    # --- The week's feature is published ------------------------------------------------------
    call_command("publish_features", "--campaign", "movement-monday", "--now")
    entry.refresh_from_db()
    assert entry.state == "featured"

    # --- A visitor of the brand's own site ----------------------------------------------------
    origin, root = other_origin
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>Northern Lights</title></head><body>"
        "<h1>Northern Lights – fan gallery</h1>"
        f'<script src="{live_site}/embed/v1/gallery.js" data-campaign="movement-monday" async></script>'
        "<p id='after'>Tour dates below.</p></body></html>"
    )
    visitor = browser.new_context().new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda exc: errors.append(str(exc)))
    visitor.goto(f"{origin}/index.html")
    picture = visitor.locator(".fanfare-gallery img")  # Playwright pierces the open shadow root
    picture.first.wait_for()
    assert picture.first.get_attribute("alt") == "A fan spinning in a kitchen"
    visitor.wait_for_function(
        "() => { const h = document.querySelector('.fanfare-gallery');"
        " const img = h && h.shadowRoot.querySelector('img'); return img && img.complete && img.naturalWidth > 0; }"
    )
    caption = visitor.locator(".fanfare-gallery .ff-cap").first.inner_text()
    assert "Kitchen spin <b>for</b> #MovementMonday" in caption  # as text, not as HTML
    assert visitor.locator(".fanfare-gallery b").count() == 0
    assert visitor.locator("#after").inner_text() == "Tour dates below."  # host page intact
    assert errors == []
