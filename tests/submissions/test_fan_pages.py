"""The fan's pages: enter a challenge, see what happened on "My entries"."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from submissions.models import Entry
from tests.helpers import decide_now, pending_entry

pytestmark = pytest.mark.django_db(transaction=True)


def test_home_lists_open_challenges(client: Any, campaign: Any) -> None:
    html = client.get("/").content.decode()
    assert "#MovementMonday" in html


def test_campaign_page_shows_rules_terms_and_enter_button(client: Any, campaign: Any) -> None:
    html = client.get("/c/movement-monday/").content.decode()
    assert "No advertising." in html
    assert "You let the brand show your entry." in html
    assert "Enter the challenge" in html


def test_entering_needs_login(client: Any, campaign: Any) -> None:
    response = client.get("/c/movement-monday/enter/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_fan_uploads_on_the_page_and_sees_entry_in_review(client: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    client.force_login(fan)
    response = client.post(
        "/c/movement-monday/enter/",
        {"file": SimpleUploadedFile("me.jpg", photo), "caption": "Hi", "alt_text": "Me dancing", "consent": "on"},
    )
    entry = Entry.objects.get()
    assert response["Location"] == f"/e/{entry.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "In review" in page
    assert 'alt="Me dancing"' in page


def test_upload_page_names_the_problem_next_to_the_field(client: Any, fan: Any, campaign: Any) -> None:
    client.force_login(fan)
    response = client.post(
        "/c/movement-monday/enter/",
        {"file": SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>"), "alt_text": "x", "consent": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_file_error"' in html
    assert "is not a photo (JPEG, PNG, WebP, HEIC, GIF) or a video" in html
    assert not Entry.objects.exists()


def test_missing_consent_is_shown_on_the_page(client: Any, fan: Any, campaign: Any, photo: bytes) -> None:
    client.force_login(fan)
    response = client.post("/c/movement-monday/enter/", {"file": SimpleUploadedFile("me.jpg", photo), "alt_text": "x"})
    assert response.status_code == 400
    assert 'id="id_consent_error"' in response.content.decode()
    assert not Entry.objects.exists()


def test_my_entries_explains_rejection_with_the_guideline_text(
    client: Any, fan: Any, moderator: Any, campaign: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=["song"], note="No music")
    client.force_login(fan)
    html = client.get("/me/entries/").content.decode()
    assert "Rejected" in html
    assert "Dance to the campaign&#x27;s song." in html
    assert "No music" in html


def test_other_people_cannot_open_a_pending_entry(client: Any, fan: Any, other_fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert client.get(f"/e/{entry.pk}/").status_code == 404
    client.force_login(other_fan)
    assert client.get(f"/e/{entry.pk}/").status_code == 404


def test_private_rendition_link_works_for_the_author_and_expires_when_forged(
    client: Any, fan: Any, campaign: Any, settings: Any
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    client.force_login(fan)
    html = client.get(f"/e/{entry.pk}/").content.decode()
    if settings.USE_S3:
        assert "X-Amz-Signature" in html
        return
    link = html.split('src="', 1)[1].split('"', 1)[0]
    assert link.startswith("/private-media/")
    response = client.get(link)
    assert response.status_code == 200
    response.close()
    assert client.get(link[:-3] + "xx/").status_code == 404


def test_author_withdraws_entry(client: Any, fan: Any, campaign: Any) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    client.force_login(fan)
    client.post(f"/e/{entry.pk}/withdraw/")
    entry.refresh_from_db()
    assert entry.state == "withdrawn"
