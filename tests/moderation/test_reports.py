"""Public reports: one per reporter, auto-hide on enough of them (or at once), keep and remove."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import timezone

from activity.models import Activity
from config.errors import Conflict, DomainError, RateLimited
from moderation.models import OutboxMail, Report, Rule, RuleKind
from moderation.services import (
    REPORTS_PER_HOUR,
    entry_keep,
    entry_remove,
    entry_shortlist,
    report_create,
    reporter_key,
)
from submissions.models import Entry
from submissions.services import entry_withdraw
from submissions.storage import public_storage
from tests.helpers import approved_entry

pytestmark = pytest.mark.django_db


def _report(entry: Entry, n: int, reason: str = "illegal", **kwargs: Any) -> Report:
    return report_create(
        actor=None, entry_id=entry.pk, reason=reason, address=f"198.51.100.{n}", agent="Firefox", **kwargs
    )


@pytest.fixture
def entry(fan: Any, campaign: Any, moderator: Any) -> Entry:
    return approved_entry(author=fan, campaign=campaign, moderator=moderator)


def test_three_reporters_hide_the_entry(entry: Entry) -> None:
    for n in range(3):
        _report(entry, n)
    entry.refresh_from_db()
    assert entry.state == "hidden"
    hidden = Activity.objects.get(verb="entry.hidden")
    assert hidden.actor == "system:reports"
    assert hidden.snapshot["reporters"] == 3
    assert hidden.snapshot["reasons"] == {"illegal": 3}


def test_two_reporters_do_not_hide_the_entry(entry: Entry) -> None:
    _report(entry, 1)
    _report(entry, 2, reason="safe")
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_reports_older_than_a_day_do_not_count_towards_hiding(entry: Entry) -> None:
    _report(entry, 1)
    _report(entry, 2)
    Report.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    _report(entry, 3)
    entry.refresh_from_db()
    assert entry.state == "approved"


@pytest.mark.parametrize("reason", ["minor", "depicted_person"])
def test_a_minor_or_depicted_person_report_hides_at_once(entry: Entry, reason: str) -> None:
    _report(entry, 1, reason=reason)
    entry.refresh_from_db()
    assert entry.state == "hidden"


def test_a_members_report_hides_at_once(entry: Entry, analyst: Any) -> None:
    report = report_create(actor=analyst, entry_id=entry.pk, reason="safe")
    assert report.by_member
    assert report.reporter_key == f"user:{analyst.pk}"
    assert report.guideline is not None
    assert report.guideline.code == "safe"
    entry.refresh_from_db()
    assert entry.state == "hidden"


def test_one_ordinary_report_by_an_outsider_account_never_hides(entry: Entry, outsider: Any) -> None:
    report = report_create(actor=outsider, entry_id=entry.pk, reason="illegal")
    assert not report.by_member
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_one_reporter_twice_is_a_conflict_and_counted_once(entry: Entry, other_fan: Any) -> None:
    report_create(actor=other_fan, entry_id=entry.pk, reason="illegal")
    with pytest.raises(Conflict) as exc:
        report_create(actor=other_fan, entry_id=entry.pk, reason="minor")
    assert exc.value.field == "entry"
    assert Report.objects.filter(entry=entry).count() == 1
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_anonymous_reporters_are_told_apart_by_a_hash_without_the_address(entry: Entry) -> None:
    a = report_create(actor=None, entry_id=entry.pk, reason="illegal", address="203.0.113.9", agent="Firefox")
    b = report_create(actor=None, entry_id=entry.pk, reason="illegal", address="203.0.113.9", agent="Safari")
    with pytest.raises(Conflict):
        report_create(actor=None, entry_id=entry.pk, reason="minor", address="203.0.113.9", agent="Firefox")
    other_address = reporter_key(user=None, address="203.0.113.10", agent="Firefox")
    keys = {a.reporter_key, b.reporter_key, other_address}
    assert len(keys) == 3
    assert all(k.startswith("anon:") and "203.0.113" not in k for k in keys)
    stored = json.dumps(list(Report.objects.values()), default=str)
    assert "203.0.113" not in stored


def test_the_anonymous_salt_changes_every_day() -> None:
    today = timezone.now()
    same = reporter_key(user=None, address="203.0.113.9", agent="x", now=today)
    assert same == reporter_key(user=None, address="203.0.113.9", agent="x", now=today)
    assert same != reporter_key(user=None, address="203.0.113.9", agent="x", now=today + dt.timedelta(days=1))


def test_reports_are_rate_limited_per_client_network(fan: Any, campaign: Any, moderator: Any, settings: Any) -> None:
    settings.REPORTS_TO_HIDE = 100
    entries = [approved_entry(author=fan, campaign=campaign, moderator=moderator, seed=s) for s in range(2)]
    for n in range(REPORTS_PER_HOUR):
        report_create(actor=None, entry_id=entries[n % 2].pk, reason="safe", address="192.0.2.7", agent=f"agent {n}")
    with pytest.raises(RateLimited) as exc:
        report_create(actor=None, entry_id=entries[0].pk, reason="safe", address="192.0.2.7", agent="another")
    assert 0 < exc.value.retry_after <= 3600
    report_create(actor=None, entry_id=entries[0].pk, reason="safe", address="192.0.2.8", agent="another")


def test_a_blocked_fans_report_is_answered_and_dropped(entry: Entry, brand: Any, other_fan: Any) -> None:
    Rule.objects.create(brand=brand, kind=RuleKind.BLOCKED_FAN, value=other_fan.email, action="reject")
    report = report_create(actor=other_fan, entry_id=entry.pk, reason="minor")
    assert report.id is not None
    assert report.created_at is not None
    assert not Report.objects.exists()
    entry.refresh_from_db()
    assert entry.state == "approved"


def test_reason_must_be_listed_or_an_active_guideline(entry: Entry) -> None:
    with pytest.raises(DomainError) as exc:
        _report(entry, 1, reason="ugly")
    assert exc.value.field == "reason"
    entry.campaign.guidelines.filter(code="safe").update(active=False)
    with pytest.raises(DomainError):
        _report(entry, 1, reason="safe")


def test_details_longer_than_a_thousand_characters_are_refused(entry: Entry) -> None:
    with pytest.raises(DomainError) as exc:
        _report(entry, 1, details="x" * 1001)
    assert exc.value.field == "details"


def test_only_public_entries_can_be_reported(entry: Entry, fan: Any, campaign: Any) -> None:
    _report(entry, 1, reason="minor")  # hidden now
    with pytest.raises(Http404):
        _report(entry, 2)
    from tests.helpers import pending_entry

    pending = pending_entry(author=fan, campaign=campaign, seed=7)
    with pytest.raises(Http404):
        _report(pending, 2)


def test_the_fan_is_told_the_entry_is_hidden_and_why(entry: Entry) -> None:
    _report(entry, 1, reason="safe")
    _report(entry, 2, reason="safe")
    _report(entry, 3, reason="minor")
    mail = OutboxMail.objects.get(subject__contains="temporarily hidden")
    assert mail.to == entry.author.email
    assert "No dangerous stunts." in mail.body
    assert "shows a minor" in mail.body
    assert "automatic" in mail.body
    assert str(entry.pk) in mail.body
    assert "198.51.100" not in mail.body


def test_keep_restores_a_hidden_entry_and_resolves_its_reports(entry: Entry, moderator: Any) -> None:
    _report(entry, 1, reason="depicted_person")
    _report_count = Report.objects.filter(resolved_at__isnull=True).count()
    assert _report_count == 1
    entry_keep(actor=moderator, entry_id=entry.pk, note="It is the fan themselves")
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert set(Report.objects.values_list("resolution", flat=True)) == {"kept"}
    assert OutboxMail.objects.filter(subject__contains="is back").exists()
    assert Activity.objects.filter(verb="entry.kept").exists()


def test_keeping_a_still_public_entry_only_resolves_its_reports(entry: Entry, moderator: Any) -> None:
    _report(entry, 1)
    entry_keep(actor=moderator, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "approved"
    assert Report.objects.get().resolution == "kept"


def test_keep_needs_a_moderator_of_the_brand(entry: Entry, analyst: Any, outsider: Any) -> None:
    _report(entry, 1, reason="minor")
    with pytest.raises(Http404):
        entry_keep(actor=outsider, entry_id=entry.pk)
    with pytest.raises(Http404):
        entry_keep(actor=analyst, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "hidden"


def test_remove_from_hidden_resolves_reports(entry: Entry, moderator: Any) -> None:
    _report(entry, 1, reason="minor")
    entry_remove(actor=moderator, entry_id=entry.pk, guideline_codes=["safe"])
    entry.refresh_from_db()
    assert entry.state == "removed"
    assert Report.objects.get().resolution == "removed"


def test_withdrawal_by_the_author_resolves_reports(entry: Entry, fan: Any) -> None:
    _report(entry, 1, reason="minor")
    entry_withdraw(actor=fan, entry=entry)
    assert Report.objects.get().resolved_at is not None


def test_reporter_after_a_resolution_cannot_report_again(entry: Entry, moderator: Any, other_fan: Any) -> None:
    report_create(actor=other_fan, entry_id=entry.pk, reason="illegal")
    entry_keep(actor=moderator, entry_id=entry.pk)
    with pytest.raises(Conflict):
        report_create(actor=other_fan, entry_id=entry.pk, reason="illegal")


def test_reported_activity_names_no_anonymous_reporter(entry: Entry) -> None:
    _report(entry, 1, details="Contact me at someone@example.test")
    record = Activity.objects.get(verb="entry.reported")
    assert record.actor == "system:public"
    assert record.snapshot == {"reason": "illegal", "by_member": False, "has_details": True}


@pytest.mark.django_db(transaction=True)
def test_a_hidden_featured_entry_leaves_every_public_path_and_keep_brings_it_back_featured(
    client: Any, fan: Any, campaign: Any, moderator: Any, other_fan: Any
) -> None:
    entry = approved_entry(author=fan, campaign=campaign, moderator=moderator)
    entry_shortlist(actor=moderator, entry_id=entry.pk)
    call_command("publish_features", "--campaign", campaign.slug, "--now")
    entry.refresh_from_db()
    assert entry.state == "featured"
    public_names = list(entry.renditions.exclude(public_name="").values_list("public_name", flat=True))
    assert public_names
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/featured/").json()["entries"]  # now cached
    assert str(entry.pk) in client.get(f"/c/{campaign.slug}/").content.decode()

    _report(entry, 1, reason="minor")

    entry.refresh_from_db()
    assert entry.state == "hidden"
    assert not any(public_storage().exists(name) for name in public_names)
    with public_storage().open(f"features/{campaign.slug}.json") as fh:
        assert json.loads(fh.read())["entries"] == []
    assert client.get(f"/api/v1/campaigns/{campaign.slug}/featured/").json()["entries"] == []
    assert client.get(f"/api/v1/entries/{entry.pk}/").status_code == 404
    assert client.get(f"/e/{entry.pk}/").status_code == 404
    assert str(entry.pk) not in client.get(f"/c/{campaign.slug}/").content.decode()

    entry_keep(actor=moderator, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.state == "featured"
    assert all(r.public_name and public_storage().exists(r.public_name) for r in entry.renditions.all())
    with public_storage().open(f"features/{campaign.slug}.json") as fh:
        assert [e["id"] for e in json.loads(fh.read())["entries"]] == [str(entry.pk)]


def test_my_entries_says_the_entry_is_hidden_and_why(client: Any, entry: Entry, fan: Any) -> None:
    _report(entry, 1, reason="safe")
    _report(entry, 2, reason="safe")
    _report(entry, 3, reason="minor")
    client.force_login(fan)
    page = client.get("/me/entries/").content.decode()
    assert "Temporarily hidden" in page
    assert "Reported as: 3. No dangerous stunts.; Someone says it shows a minor" in page
