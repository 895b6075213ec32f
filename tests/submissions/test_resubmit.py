"""Fix and resubmit: a new version of an entry rejected for fixable guidelines only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from activity.models import Activity
from campaigns.models import Campaign, Guideline
from config.errors import Conflict, DomainError
from moderation.models import Decision, Rule, RuleAction, RuleKind
from moderation.services import appeal_file
from submissions.models import Entry, EntryState
from submissions.resubmissions import entry_resubmit
from submissions.samples import sample_photo
from submissions.selectors import entry_resubmit_refusal, entry_resubmittable
from submissions.services import entry_transition
from submissions.storage import private_storage
from tests.helpers import decide_now, pending_entry
from tests.submissions.test_direct_upload import send

pytestmark = pytest.mark.django_db(transaction=True)
DETAILS = {"caption": "Brighter now #MovementMonday", "alt_text": "A fan dancing in daylight", "consent": True}


@pytest.fixture
def too_dark(campaign: Campaign) -> Guideline:
    return Guideline.objects.create(
        campaign=campaign, number=5, code="too-dark", text="The picture is bright enough to see.", fixable=True
    )


@pytest.fixture
def hashtag(campaign: Campaign) -> Guideline:
    return Guideline.objects.create(
        campaign=campaign, number=6, code="hashtag", text="The caption carries the hashtag.", fixable=True
    )


def rejected(*, fan: Any, moderator: Any, campaign: Campaign, codes: list[str], seed: int = 3) -> Entry:
    entry = pending_entry(author=fan, campaign=campaign, seed=seed)
    decide_now(actor=moderator, entry_id=entry.pk, action="reject", guideline_codes=codes, note="Too dark to see.")
    entry.refresh_from_db()
    assert entry.state == EntryState.REJECTED
    return entry


def resubmit(fan: Any, entry: Entry, **overrides: Any) -> Entry:
    return entry_resubmit(actor=fan, entry=entry, **{**DETAILS, **overrides})


def test_rejection_citing_only_fixable_guidelines_can_be_resubmitted(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline, hashtag: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark", "hashtag"])
    assert entry_resubmittable(entry, author=fan)


def test_rejection_citing_a_guideline_that_is_not_fixable_cannot_be_resubmitted(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark", "own-work"])
    assert not entry_resubmittable(entry)
    with pytest.raises(DomainError) as exc:
        resubmit(fan, entry)
    assert exc.value.field == "entry"
    assert not Entry.objects.filter(resubmission_of=entry).exists()


def test_entry_refused_by_processing_cannot_be_resubmitted(fan: Any, campaign: Campaign) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    Entry.objects.filter(pk=entry.pk).update(state=EntryState.REJECTED, rejection_reason="Unreadable file")
    entry.refresh_from_db()
    assert entry_resubmit_refusal(entry)


def test_pending_or_approved_entries_cannot_be_resubmitted(fan: Any, moderator: Any, campaign: Campaign) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    assert not entry_resubmittable(entry)
    decide_now(actor=moderator, entry_id=entry.pk, action="approve")
    entry.refresh_from_db()
    assert not entry_resubmittable(entry)


def test_an_undone_rejection_does_not_count(fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    Decision.objects.filter(entry=entry).update(undone_at=entry.state_changed_at)
    entry = Entry.objects.get(pk=entry.pk)
    assert not entry_resubmittable(entry)


def test_automatic_rule_rejection_citing_a_fixable_guideline_can_be_resubmitted(
    fan: Any, campaign: Campaign, hashtag: Guideline
) -> None:
    entry = pending_entry(author=fan, campaign=campaign)
    entry.flags = [{"kind": "rule", "action": "reject", "guideline": "hashtag", "rule": 1}]
    entry.save(update_fields=["flags"])
    entry_transition(entry=entry, to=EntryState.REJECTED)
    new = resubmit(fan, entry)
    assert new.resubmission_of_id == entry.pk


def test_only_the_author_can_resubmit(
    fan: Any, other_fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    with pytest.raises(DomainError) as exc:
        resubmit(other_fan, entry)
    assert exc.value.status == 404


def test_a_rejected_entry_is_resubmitted_once(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    resubmit(fan, entry)
    with pytest.raises(Conflict):
        resubmit(fan, entry, caption="Third try")
    assert Entry.objects.filter(author=fan).count() == 2


def test_no_resubmission_after_the_campaign_closed(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    Campaign.objects.filter(pk=campaign.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    entry = Entry.objects.select_related("campaign").get(pk=entry.pk)
    with pytest.raises(DomainError) as exc:
        resubmit(fan, entry)
    assert exc.value.field == "entry"


def test_caption_only_resubmission_keeps_the_file_and_enters_the_queue(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    new = resubmit(fan, entry)
    new.refresh_from_db()
    assert new.state == EntryState.PENDING
    assert new.resubmission_of_id == entry.pk
    assert new.caption == DETAILS["caption"]
    assert new.original != entry.original
    storage = private_storage()
    with storage.open(new.original, "rb") as a, storage.open(entry.original, "rb") as b:
        assert a.read() == b.read()
    record = Activity.objects.get(verb="entry.resubmitted")
    assert record.snapshot["previous"] == str(entry.pk)
    assert (record.actor, record.actor_id) == (f"fan:{fan.pk}", fan.pk)


def test_resubmission_with_a_new_file_through_an_upload_slot(
    api: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client = api(fan)
    data = sample_photo(seed=42, size=(800, 600))
    slot = client.post(
        f"/api/v1/campaigns/{campaign.slug}/uploads/",
        {"content_type": "image/jpeg", "size": len(data), "resubmission": True},
        format="json",
    ).json()
    assert send(client, slot, data) in (200, 201, 204)  # to Django, or straight to the bucket with S3
    response = client.post(f"/api/v1/entries/{entry.pk}/resubmit/", {**DETAILS, "slot": slot["id"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["resubmission_of"] == str(entry.pk)
    assert body["previous_decision"]["action"] == "reject"
    assert [g["code"] for g in body["previous_decision"]["guidelines"]] == ["too-dark"]
    assert body["previous_decision"]["note"] == "Too dark to see."
    new = Entry.objects.get(pk=body["id"])
    assert (new.width, new.height) == (800, 600)
    assert new.state == EntryState.PENDING


def test_api_answers_like_the_entry_endpoint(
    api: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client = api(fan)
    assert client.get(f"/api/v1/entries/{entry.pk}/").json()["resubmittable"] is True
    response = client.post(f"/api/v1/entries/{entry.pk}/resubmit/", {**DETAILS, "slot": None}, format="json")
    assert response.status_code == 201
    assert response.json() == client.get(f"/api/v1/entries/{response.json()['id']}/").json()
    assert client.get(f"/api/v1/entries/{entry.pk}/").json()["resubmittable"] is False
    again = client.post(f"/api/v1/entries/{entry.pk}/resubmit/", DETAILS, format="json")
    assert again.status_code == 409
    assert "entry" in again.json()


def test_api_errors_name_the_field(
    api: Any, fan: Any, other_fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    url = f"/api/v1/entries/{entry.pk}/resubmit/"
    assert api(None).post(url, DETAILS, format="json").status_code in (401, 403)
    assert api(other_fan).post(url, DETAILS, format="json").status_code == 404
    assert api(fan).post("/api/v1/entries/not-a-uuid/resubmit/", DETAILS, format="json").status_code == 404
    no_consent = api(fan).post(url, {**DETAILS, "consent": False}, format="json")
    assert no_consent.status_code == 400
    assert "consent" in str(no_consent.json())
    bad_slot = api(fan).post(url, {**DETAILS, "slot": "nope"}, format="json")
    assert bad_slot.status_code == 400
    assert "slot" in str(bad_slot.json())
    unknown_slot = api(fan).post(url, {**DETAILS, "slot": "6f1c1d4e-0000-4000-8000-000000000000"}, format="json")
    assert unknown_slot.status_code == 404
    assert not Entry.objects.filter(resubmission_of=entry).exists()


def test_brand_staff_and_outsiders_cannot_resubmit_a_fans_entry(
    api: Any,
    fan: Any,
    moderator: Any,
    brand_admin: Any,
    analyst: Any,
    outsider: Any,
    campaign: Campaign,
    too_dark: Guideline,
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    url = f"/api/v1/entries/{entry.pk}/resubmit/"
    for person in (moderator, brand_admin, analyst, outsider):
        assert api(person).post(url, DETAILS, format="json").status_code == 404
    assert not Entry.objects.filter(resubmission_of=entry).exists()


def test_a_blocked_fan_cannot_send_a_new_version(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    Rule.objects.create(brand=campaign.brand, kind=RuleKind.BLOCKED_FAN, value=fan.email, action=RuleAction.FLAG)
    with pytest.raises(DomainError) as refused:
        resubmit(fan, entry)
    assert refused.value.field == "campaign"
    assert not Entry.objects.filter(resubmission_of=entry).exists()


def test_an_open_appeal_and_a_new_version_exclude_each_other(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    appealed = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    appeal_file(actor=fan, entry_id=appealed.pk, text="It is bright enough on my phone.")
    assert "appeal" in entry_resubmit_refusal(Entry.objects.get(pk=appealed.pk))
    resent = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"], seed=4)
    resubmit(fan, resent)
    with pytest.raises(Conflict) as refused:
        appeal_file(actor=fan, entry_id=resent.pk, text="Please look again.")
    assert refused.value.field == "entry"


def test_a_fan_at_the_daily_limit_can_still_resubmit(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(max_entries_per_fan_per_day=1)
    campaign.refresh_from_db()
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    pending_entry(author=fan, campaign=campaign, seed=8)  # today's one entry
    new = resubmit(fan, Entry.objects.get(pk=entry.pk))
    assert new.resubmission_of_id == entry.pk


def test_a_resubmission_counts_once_against_the_total(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(max_entries_per_fan=2, max_entries_per_fan_per_day=5)
    campaign.refresh_from_db()
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    pending_entry(author=fan, campaign=campaign, seed=8)
    resubmit(fan, Entry.objects.get(pk=entry.pk))  # the chain counts as one: 2 of 2
    with pytest.raises(DomainError) as exc:
        pending_entry(author=fan, campaign=campaign, seed=9)
    assert exc.value.field == "file"


def test_the_chain_is_kept_across_versions(fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline) -> None:
    from submissions.selectors import resubmission_history

    first = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    second = resubmit(fan, first)
    decide_now(actor=moderator, entry_id=second.pk, action="reject", guideline_codes=["too-dark"])
    second.refresh_from_db()
    third = resubmit(fan, second, caption="Third time lucky")
    history = resubmission_history(third)
    assert [h["id"] for h in history] == [second.pk, first.pk]
    assert history[1]["caption"] == "My moves"
    assert history[0]["decision"]["guidelines"][0]["code"] == "too-dark"


def test_moderator_sees_the_new_version_with_the_previous_decision(
    api: Any, client: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    new = resubmit(fan, entry)
    queue = api(moderator).get(f"/api/v1/brands/{campaign.brand.slug}/queue/").json()
    items = queue["results"] if isinstance(queue, dict) else queue
    shown = next(e for e in items if e["id"] == str(new.pk))
    assert shown["resubmission_of"] == str(entry.pk)
    assert shown["previous_decision"]["guidelines"][0]["text"] == "The picture is bright enough to see."
    assert shown["history"][0]["caption"] == "My moves"
    assert any(g["code"] == "too-dark" and g["fixable"] for g in shown["guidelines"])
    client.force_login(moderator)
    page = client.get(f"/console/{campaign.brand.slug}/queue/").content.decode()
    assert "New version" in page
    assert "The picture is bright enough to see." in page
    assert f"/console/{campaign.brand.slug}/entries/{entry.pk}/" in page
    detail = client.get(f"/console/{campaign.brand.slug}/entries/{new.pk}/").content.decode()
    assert "New version" in detail
    assert "“My moves”" in detail
    earlier = client.get(f"/console/{campaign.brand.slug}/entries/{entry.pk}/").content.decode()
    assert f"/console/{campaign.brand.slug}/entries/{new.pk}/" in earlier


def test_rejection_mail_offers_a_new_version_only_for_fixable_guidelines(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    from moderation.models import OutboxMail

    fixable = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    mail = OutboxMail.objects.filter(to=fan.email).latest("created_at")
    assert f"/c/{campaign.slug}/enter/?resubmit={fixable.pk}" in mail.body
    rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark", "own-work"], seed=5)
    mail = OutboxMail.objects.filter(to=fan.email).latest("created_at")
    assert "resubmit=" not in mail.body


def test_my_entries_offers_a_new_version_and_the_form_is_prefilled(
    client: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client.force_login(fan)
    page = client.get("/me/entries/").content.decode()
    link = f"/c/{campaign.slug}/enter/?resubmit={entry.pk}"
    assert "Send a new version" in page
    assert link in page
    form = client.get(link).content.decode()
    assert "The picture is bright enough to see." in form
    assert 'value="A fan dancing"' in form
    assert "My moves" in form
    assert f'data-resubmit-url="/api/v1/entries/{entry.pk}/resubmit/"' in form


def test_the_form_without_javascript_sends_a_caption_only_version(
    client: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client.force_login(fan)
    response = client.post(f"/c/{campaign.slug}/enter/?resubmit={entry.pk}", {**DETAILS, "resubmit": str(entry.pk)})
    assert response.status_code == 302
    new = Entry.objects.get(resubmission_of=entry)
    assert response["Location"] == f"/e/{new.pk}/"
    assert new.caption == DETAILS["caption"]
    assert "Send a new version" not in client.get("/me/entries/").content.decode()


def test_the_form_without_javascript_takes_a_new_file(
    client: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client.force_login(fan)
    upload = SimpleUploadedFile("new.jpg", sample_photo(seed=77, size=(700, 500)), content_type="image/jpeg")
    response = client.post(f"/c/{campaign.slug}/enter/", {**DETAILS, "resubmit": str(entry.pk), "file": upload})
    assert response.status_code == 302, response.content.decode()[:1500]
    new = Entry.objects.get(resubmission_of=entry)
    assert (new.width, new.height) == (700, 500)


def test_someone_elses_entry_cannot_be_opened_for_a_new_version(
    client: Any, fan: Any, other_fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client.force_login(other_fan)
    assert client.get(f"/c/{campaign.slug}/enter/?resubmit={entry.pk}").status_code == 404


def test_the_form_says_when_a_rejection_cannot_be_fixed(
    client: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["own-work"])
    client.force_login(fan)
    page = client.get(f"/c/{campaign.slug}/enter/?resubmit={entry.pk}").content.decode()
    assert "cannot be fixed with a new version" in page
    response = client.post(f"/c/{campaign.slug}/enter/", {**DETAILS, "resubmit": str(entry.pk)})
    assert response.status_code == 400
    assert not Entry.objects.filter(resubmission_of=entry).exists()


def test_a_resubmission_slot_needs_a_rejected_entry(api: Any, fan: Any, campaign: Campaign) -> None:
    response = api(fan).post(
        f"/api/v1/campaigns/{campaign.slug}/uploads/",
        {"content_type": "image/jpeg", "size": 1000, "resubmission": True},
        format="json",
    )
    assert response.status_code == 400
    assert "resubmission" in response.json()


def test_entry_page_offers_a_new_version_to_its_author_only(
    client: Any, fan: Any, other_fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client.force_login(fan)
    assert f"?resubmit={entry.pk}" in client.get(f"/e/{entry.pk}/").content.decode()
    client.force_login(moderator)
    assert "?resubmit=" not in client.get(f"/e/{entry.pk}/").content.decode()


def test_a_refused_new_file_frees_its_upload_slot(
    api: Any, fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    from submissions.models import UploadSlot

    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    client = api(fan)
    slot = client.post(
        f"/api/v1/campaigns/{campaign.slug}/uploads/",
        {"content_type": "image/jpeg", "size": 1000, "resubmission": True},
        format="json",
    ).json()
    response = client.post(f"/api/v1/entries/{entry.pk}/resubmit/", {**DETAILS, "slot": slot["id"]}, format="json")
    assert response.status_code == 400
    assert "file" in response.json()
    assert UploadSlot.objects.get(pk=slot["id"]).expires_at <= timezone.now()
    assert not Entry.objects.filter(resubmission_of=entry).exists()


def test_a_new_version_sent_today_counts_toward_todays_limit(
    fan: Any, moderator: Any, campaign: Campaign, too_dark: Guideline
) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(max_entries_per_fan_per_day=1)
    campaign.refresh_from_db()
    entry = rejected(fan=fan, moderator=moderator, campaign=campaign, codes=["too-dark"])
    resubmit(fan, entry)
    with pytest.raises(DomainError) as exc:
        pending_entry(author=fan, campaign=campaign, seed=8)
    assert "24 hours" in exc.value.message
