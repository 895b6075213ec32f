"""The public report page: a form anyone can send, errors next to the fields, a thank-you."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.models import Report
from submissions.models import Entry
from tests.helpers import approved_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(fan: Any, campaign: Any, moderator: Any) -> Entry:
    return approved_entry(author=fan, campaign=campaign, moderator=moderator)


def test_the_entry_and_campaign_pages_link_to_the_report_page(client: Any, entry: Entry) -> None:
    link = f"/e/{entry.pk}/report/"
    assert link in client.get(f"/e/{entry.pk}/").content.decode()
    assert link in client.get(f"/c/{entry.campaign.slug}/").content.decode()


def test_the_form_lists_the_guidelines_and_the_reasons_open_to_anyone(client: Any, entry: Entry) -> None:
    page = client.get(f"/e/{entry.pk}/report/").content.decode()
    for text in ("No dangerous stunts.", "Illegal content", "This shows me and I did not agree", "This shows a minor"):
        assert text in page


def test_a_visitor_reports_without_an_account_and_is_thanked(client: Any, entry: Entry) -> None:
    response = client.post(f"/e/{entry.pk}/report/", {"reason": "safe", "details": "A back flip off a roof"})
    assert response.status_code == 200
    assert "Thank you for your report" in response.content.decode()
    report = Report.objects.get()
    assert report.guideline is not None
    assert report.details == "A back flip off a roof"


def test_errors_are_shown_next_to_the_fields(client: Any, entry: Entry) -> None:
    response = client.post(f"/e/{entry.pk}/report/", {"details": "x" * 1001})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="reason-error"' in page
    assert 'id="id_details_error"' in page
    assert not Report.objects.exists()


def test_a_second_report_says_so_kindly(client: Any, entry: Entry) -> None:
    client.post(f"/e/{entry.pk}/report/", {"reason": "safe"})
    response = client.post(f"/e/{entry.pk}/report/", {"reason": "illegal"})
    assert response.status_code == 400
    assert "You already reported this entry." in response.content.decode()


def test_hidden_entries_have_no_report_page(client: Any, entry: Entry) -> None:
    client.post(f"/e/{entry.pk}/report/", {"reason": "minor"})
    assert client.get(f"/e/{entry.pk}/report/").status_code == 404
    assert client.get("/e/not-a-uuid/report/").status_code == 404


def test_the_console_entry_page_lists_the_reports(client: Any, entry: Entry, moderator: Any) -> None:
    client.post(f"/e/{entry.pk}/report/", {"reason": "safe", "details": "Roof jump"})
    client.force_login(moderator)
    page = client.get(f"/console/{entry.brand.slug}/entries/{entry.pk}/").content.decode()
    assert "3. No dangerous stunts." in page
    assert "Roof jump" in page
    assert "a visitor" in page
